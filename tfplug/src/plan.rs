//! The plan pipeline, in the order the Terraform plugin framework uses:
//! 1. defaults for attributes left null in configuration, and null for an optional
//!    object declared computed only for old Terraform's sake ([`PlanModifier::AsConfigured`]);
//! 2. write-only attributes planned null;
//! 3. computed attributes left null in configuration marked unknown, on create and
//!    whenever the resource has other changes;
//! 4. attribute plan modifiers (use-state-for-unknown, requires-replace);
//! 5. the resource's own `modify_plan` (run by the server, also on destroy);
//! 6. requires-replace paths sorted and deduplicated.

use crate::path::AttributePath;
use crate::schema::{Attribute, AttributeKind, Block, Nesting};
use crate::value::Value;

/// A plan-time behaviour of one attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanModifier {
    /// A change of this attribute replaces the resource.
    RequiresReplace,
    /// A computed attribute keeps its prior value instead of becoming unknown when
    /// the resource has other changes (for values that never change, such as `id`).
    UseStateForUnknown,
    /// An optional attribute declared computed although the provider never sets it
    /// (see [`Attribute::input_object`]): planned null where the configuration leaves it
    /// out, whatever Terraform proposed from the prior state.
    AsConfigured,
}

impl PlanModifier {
    /// What the modifier does, for documentation.
    pub fn description(&self) -> &'static str {
        match self {
            PlanModifier::RequiresReplace => "a change of this value replaces the resource",
            PlanModifier::UseStateForUnknown => "the prior value is kept when the resource changes",
            PlanModifier::AsConfigured => "planned exactly as configured",
        }
    }
}

/// The planned new state and the attributes whose change forces a replacement.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedState {
    /// The planned new state.
    pub planned: Value,
    /// Attributes whose change forces a replacement, sorted and deduplicated.
    pub requires_replace: Vec<AttributePath>,
}

/// Runs steps 1–4 and 6 of the pipeline for a create or update. `prior` is null on
/// create. A destroy (null `proposed`) plans null and never reaches this function.
pub fn plan_block(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> PlannedState {
    let creating = prior.is_null();
    let mut planned = proposed.clone();
    apply_defaults(block, config, &mut planned);
    let changed = creating || &planned != prior;
    let mut requires_replace = Vec::new();
    let mut walk = Walk {
        creating,
        changed,
        requires_replace: &mut requires_replace,
    };
    walk.block(block, prior, config, &mut planned, &AttributePath::root());
    requires_replace.sort();
    requires_replace.dedup();
    PlannedState {
        planned,
        requires_replace,
    }
}

/// Steps 1 and 2: defaults and write-only nulls, at every depth.
fn apply_defaults(block: &Block, config: &Value, planned: &mut Value) {
    if !matches!(planned, Value::Map(_)) {
        return;
    }
    for attr in &block.attributes {
        let cfg = config.attr(&attr.name);
        let Some(slot) = planned.attr_mut(&attr.name) else {
            continue;
        };
        if attr.write_only {
            *slot = Value::Null;
            continue;
        }
        if cfg.is_null() {
            if let Some(default) = &attr.default {
                *slot = default.clone();
                continue;
            }
            if attr.modifiers.contains(&PlanModifier::AsConfigured) {
                *slot = Value::Null;
                continue;
            }
        }
        if let AttributeKind::Nested(nesting, attrs) = &attr.kind {
            for_each_nested(*nesting, cfg, slot, |cfg_item, slot_item| {
                let nested = nested_block(attrs);
                apply_defaults(&nested, cfg_item, slot_item);
            });
        }
    }
}

fn nested_block(attrs: &[Attribute]) -> Block {
    Block {
        attributes: attrs.to_vec(),
        ..Block::default()
    }
}

/// Calls `f` on matching (config, planned) elements of a nested value: by index for
/// lists, by key for maps, and on the object itself for single nesting. Sets carry no
/// stable identity between config and plan, so they are left as Terraform proposed.
fn for_each_nested(
    nesting: Nesting,
    cfg: &Value,
    slot: &mut Value,
    mut f: impl FnMut(&Value, &mut Value),
) {
    match (nesting, slot) {
        (Nesting::Single, slot @ Value::Map(_)) => f(cfg, slot),
        (Nesting::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let c = cfg
                    .as_elements()
                    .and_then(|e| e.get(i))
                    .unwrap_or(&Value::Null);
                f(c, item);
            }
        }
        (Nesting::Map, Value::Map(entries)) => {
            for (k, item) in entries.iter_mut() {
                f(cfg.attr(k), item);
            }
        }
        _ => {}
    }
}

struct Walk<'a> {
    creating: bool,
    changed: bool,
    requires_replace: &'a mut Vec<AttributePath>,
}

impl Walk<'_> {
    /// Steps 3 and 4 over one object.
    fn block(
        &mut self,
        block: &Block,
        prior: &Value,
        config: &Value,
        planned: &mut Value,
        path: &AttributePath,
    ) {
        if !matches!(planned, Value::Map(_)) {
            return;
        }
        for attr in &block.attributes {
            let at = path.at_attr(&attr.name);
            let prior_v = prior.attr(&attr.name);
            let cfg = config.attr(&attr.name);
            let Some(slot) = planned.attr_mut(&attr.name) else {
                continue;
            };
            if attr.computed
                && cfg.is_null()
                && attr.default.is_none()
                && !attr.modifiers.contains(&PlanModifier::AsConfigured)
                && self.changed
                && !attr.write_only
            {
                *slot = Value::unknown();
            }
            for m in &attr.modifiers {
                match m {
                    PlanModifier::UseStateForUnknown => {
                        if slot.is_unknown() && !prior_v.is_null() && !prior_v.is_unknown() {
                            *slot = prior_v.clone();
                        }
                    }
                    PlanModifier::AsConfigured => {}
                    PlanModifier::RequiresReplace => {
                        if !self.creating && !prior.is_null() && &*slot != prior_v {
                            self.requires_replace.push(at.clone());
                        }
                    }
                }
            }
            if let AttributeKind::Nested(nesting, attrs) = &attr.kind {
                let nested = nested_block(attrs);
                self.nested(&nested, *nesting, prior_v, cfg, slot, &at);
            }
        }
    }

    fn nested(
        &mut self,
        block: &Block,
        nesting: Nesting,
        prior: &Value,
        cfg: &Value,
        slot: &mut Value,
        path: &AttributePath,
    ) {
        match (nesting, slot) {
            (Nesting::Single, slot @ Value::Map(_)) => self.block(block, prior, cfg, slot, path),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let p = prior
                        .as_elements()
                        .and_then(|e| e.get(i))
                        .unwrap_or(&Value::Null);
                    let c = cfg
                        .as_elements()
                        .and_then(|e| e.get(i))
                        .unwrap_or(&Value::Null);
                    self.block(block, p, c, item, &path.at_index(i));
                }
            }
            (Nesting::Map, Value::Map(entries)) => {
                for (k, item) in entries.iter_mut() {
                    self.block(
                        block,
                        prior.attr(k),
                        cfg.attr(k),
                        item,
                        &path.at_key(k.clone()),
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

    fn schema() -> Block {
        Block {
            attributes: vec![
                Attribute::string("id")
                    .computed()
                    .modify(PlanModifier::UseStateForUnknown),
                Attribute::string("namespace")
                    .default("flux-system")
                    .modify(PlanModifier::RequiresReplace),
                Attribute::string("path").optional(),
                Attribute::map("repository_files", Type::String).computed(),
                Attribute::string("secret").optional().write_only(),
                Attribute::single_nested(
                    "timeouts",
                    vec![
                        Attribute::string("create").optional(),
                        Attribute::string("effective").computed(),
                    ],
                )
                .optional(),
            ],
            ..Block::default()
        }
    }

    /// What Terraform proposes: config values, with prior values for computed
    /// attributes that the configuration leaves null.
    fn proposed(config: &Value, prior: &Value) -> Value {
        let mut out = config.clone();
        for name in ["id", "repository_files"] {
            if config.attr(name).is_null() {
                out.set_attr(name, prior.attr(name).clone());
            }
        }
        if config.attr("namespace").is_null() {
            out.set_attr("namespace", prior.attr("namespace").clone());
        }
        out
    }

    fn config(path: &str) -> Value {
        Value::object([
            ("id", Value::Null),
            ("namespace", Value::Null),
            ("path", path.into()),
            ("repository_files", Value::Null),
            ("secret", "s3cret".into()),
            (
                "timeouts",
                Value::object([("create", "5m".into()), ("effective", Value::Null)]),
            ),
        ])
    }

    #[test]
    fn create_applies_defaults_and_marks_computed_unknown() {
        let c = config("clusters/a");
        let p = plan_block(&schema(), &Value::Null, &c, &proposed(&c, &Value::Null));
        assert_eq!(p.planned.attr("namespace").as_str(), Some("flux-system"));
        assert!(p.planned.attr("id").is_unknown());
        assert!(p.planned.attr("repository_files").is_unknown());
        assert!(p.planned.attr("timeouts").attr("effective").is_unknown());
        assert!(
            p.planned.attr("secret").is_null(),
            "write-only values are never planned"
        );
        assert!(p.requires_replace.is_empty());
    }

    fn prior() -> Value {
        Value::object([
            ("id", "flux-system".into()),
            ("namespace", "flux-system".into()),
            ("path", "clusters/a".into()),
            ("repository_files", Value::object([("f", "x".into())])),
            ("secret", Value::Null),
            (
                "timeouts",
                Value::object([("create", "5m".into()), ("effective", "5m".into())]),
            ),
        ])
    }

    #[test]
    fn no_change_keeps_computed_values() {
        let c = config("clusters/a");
        let prior = prior();
        let mut prop = proposed(&c, &prior);
        prop.attr_mut("timeouts")
            .unwrap()
            .set_attr("effective", "5m".into());
        let p = plan_block(&schema(), &prior, &c, &prop);
        assert_eq!(p.planned, prior);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn a_change_marks_computed_unknown_except_use_state() {
        let c = config("clusters/b");
        let prior = prior();
        let p = plan_block(&schema(), &prior, &c, &proposed(&c, &prior));
        assert_eq!(p.planned.attr("id").as_str(), Some("flux-system"));
        assert!(p.planned.attr("repository_files").is_unknown());
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn requires_replace_names_the_changed_attribute() {
        let mut c = config("clusters/a");
        c.set_attr("namespace", "flux".into());
        let prior = prior();
        let p = plan_block(&schema(), &prior, &c, &proposed(&c, &prior));
        assert_eq!(p.requires_replace, vec![AttributePath::attr("namespace")]);
    }

    #[test]
    fn removing_an_attribute_with_a_default_plans_the_default() {
        let c = config("clusters/a");
        let mut prior = prior();
        prior.set_attr("namespace", "custom".into());
        let p = plan_block(&schema(), &prior, &c, &proposed(&c, &prior));
        assert_eq!(p.planned.attr("namespace").as_str(), Some("flux-system"));
        assert_eq!(p.requires_replace, vec![AttributePath::attr("namespace")]);
    }

    /// `git = { http = { ... } }` as an input object: the object and the optional
    /// object inside it are computed for old Terraform, and planned as configured.
    fn with_input_object() -> Block {
        Block {
            attributes: vec![
                Attribute::string("path").optional(),
                Attribute::map("repository_files", Type::String).computed(),
                Attribute::single_nested(
                    "git",
                    vec![
                        Attribute::string("url").required(),
                        Attribute::single_nested(
                            "http",
                            vec![Attribute::string("username").optional()],
                        )
                        .optional(),
                    ],
                )
                .optional()
                .input_object(),
            ],
            ..Block::default()
        }
    }

    #[test]
    fn input_object_marks_optional_objects_at_every_depth() {
        let block = with_input_object();
        let git = &block.attributes[2];
        assert!(git.computed && git.modifiers.contains(&PlanModifier::AsConfigured));
        let AttributeKind::Nested(_, inner) = &git.kind else {
            panic!("git is nested")
        };
        assert!(!inner[0].computed, "a required attribute stays as it is");
        assert!(inner[1].computed && inner[1].modifiers.contains(&PlanModifier::AsConfigured));
    }

    #[test]
    fn an_input_object_left_out_is_planned_null_and_counts_as_a_change() {
        let block = with_input_object();
        let git = Value::object([
            ("url", "https://example.com/fleet.git".into()),
            ("http", Value::object([("username", "git".into())])),
        ]);
        let prior = Value::object([
            ("path", "clusters/a".into()),
            ("repository_files", Value::object([("f", "x".into())])),
            ("git", git.clone()),
        ]);
        // Computed, so Terraform proposes the prior object for a configuration without it.
        let config = Value::object([
            ("path", "clusters/a".into()),
            ("repository_files", Value::Null),
            ("git", Value::Null),
        ]);
        let p = plan_block(&block, &prior, &config, &prior);
        assert!(p.planned.attr("git").is_null());
        assert!(p.planned.attr("repository_files").is_unknown());

        let mut without_http = git.clone();
        without_http.set_attr("http", Value::Null);
        let mut config = prior.clone();
        config.set_attr("repository_files", Value::Null);
        config.set_attr("git", without_http.clone());
        let p = plan_block(&block, &prior, &config, &prior);
        assert_eq!(p.planned.attr("git"), &without_http);

        let p = plan_block(&block, &Value::Null, &config, &config);
        assert_eq!(
            p.planned.attr("git"),
            &without_http,
            "not unknown on create"
        );
    }
}

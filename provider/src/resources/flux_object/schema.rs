//! The Terraform schema of a Flux object resource: the kind's field table as
//! attributes (Flux's defaults planned, checks run at validation and located at
//! the attribute), plus the attributes every object resource shares.

use flux_core::objects::{Check, DefaultValue, FieldDef, FieldType, KindDef};
use tfplug::validator::{each, one_of, string_check};
use tfplug::{Attribute, Number, PlanModifier, Schema, Type, Value};

use super::cluster_drift::DriftCheck;
use super::status::StatusAttribute;

/// `delivery` values.
pub const DELIVERIES: [&str; 2] = ["git", "cluster"];

/// Attributes every object resource has, besides the spec fields.
pub const COMMON: [&str; 12] = [
    "id",
    "name",
    "namespace",
    "delivery",
    "git_directory",
    "git_file",
    "wait",
    "wait_timeout",
    "ready",
    "revision",
    "message",
    "secret_data",
];

fn default_value(default: DefaultValue) -> Value {
    match default {
        DefaultValue::Str(s) => Value::from(s),
        DefaultValue::Bool(b) => Value::from(b),
        DefaultValue::Int(i) => Value::Number(Number::Int(i)),
    }
}

fn string_validator(check: Check) -> Option<tfplug::validator::StringCheck> {
    match check {
        Check::None => None,
        check => Some(string_check(check_description(check), move |s| {
            check.check(s)
        })),
    }
}

fn check_description(check: Check) -> String {
    match check {
        Check::None => String::new(),
        Check::Duration => "value must be a duration such as 30s, 1m or 1h30m".into(),
        Check::OneOf(values) => format!("value must be one of: {}", values.join(", ")),
        Check::Prefix(p) => format!("value must start with one of: {}", p.join(", ")),
        Check::Name => "value must be an RFC 1123 subdomain".into(),
        Check::Label => "value must be an RFC 1123 label".into(),
        Check::SemverRange => "value must be a semver range".into(),
        Check::MaxLen(n) => format!("value must have between 1 and {n} characters"),
        Check::Regex => "value must be a regular expression".into(),
    }
}

/// One field as an attribute.
pub fn field_attribute(field: &FieldDef) -> Attribute {
    let mut attribute = match field.ty {
        FieldType::String | FieldType::LocalRef => {
            let mut a = Attribute::string(field.name);
            if let Some(v) = string_validator(field.check) {
                a = a.validate(v);
            }
            a
        }
        FieldType::Document => Attribute::string(field.name)
            .validate(string_check("value must be a YAML or JSON mapping", |s| {
                super::convert::parse_document(s).map(|_| ())
            })),
        FieldType::Bool => Attribute::bool(field.name),
        FieldType::Int => Attribute::number(field.name),
        FieldType::StringList => {
            let mut a = Attribute::list(field.name, Type::String);
            if let Some(v) = string_validator(field.check) {
                a = a.validate(each(v));
            }
            a
        }
        FieldType::StringMap => Attribute::map(field.name, Type::String),
        FieldType::Object(nested) => {
            Attribute::single_nested(field.name, nested.iter().map(field_attribute).collect())
        }
        FieldType::ObjectList(nested) => {
            Attribute::list_nested(field.name, nested.iter().map(field_attribute).collect())
        }
    };
    let mut doc = field.doc.to_string();
    if let FieldType::LocalRef = field.ty {
        doc.push_str(" The name of an object in the same namespace.");
    }
    attribute = attribute.description(doc);
    match (field.required, field.default) {
        (true, _) => attribute.required(),
        (false, Some(default)) => attribute.default(default_value(default)),
        // An optional object is computed for Terraform 1.0.3's sake, planned as configured.
        (false, None) => attribute.optional().input_object(),
    }
}

/// Whether the kind has a top-level `secret_ref` (and so a `secret_data`).
pub fn has_secret_ref(kind: &KindDef) -> bool {
    kind.fields.iter().any(|f| f.name == "secret_ref")
}

/// `name`: required, or for a kind whose API accepts one name, that name by default
/// and nothing else.
fn name_attribute(kind: &KindDef) -> Attribute {
    let attribute = match kind.only_name {
        Some(only) => Attribute::string("name")
            .default(only)
            .description(format!(
                "Name of the {}: `{only}`, the only name its API accepts.",
                kind.kind
            ))
            .validate(one_of(&[only])),
        None => Attribute::string("name")
            .required()
            .description(format!("Name of the {}.", kind.kind))
            .validate(string_check(check_description(Check::Name), |s| {
                Check::Name.check(s)
            })),
    };
    attribute.modify(PlanModifier::RequiresReplace)
}

/// The full schema of a kind's resource, with its kind-specific status attributes.
pub fn schema(
    kind: &KindDef,
    description: &str,
    status: &[StatusAttribute],
    drift: Option<&DriftCheck>,
) -> Schema {
    let mut attributes = vec![
        Attribute::string("id")
            .computed()
            .description("`<namespace>/<name>`.")
            .modify(PlanModifier::UseStateForUnknown),
        name_attribute(kind),
        Attribute::string("namespace")
            .default("flux-system")
            .description(format!("Namespace of the {}.", kind.kind))
            .validate(string_check(check_description(Check::Label), |s| Check::Label.check(s)))
            .modify(PlanModifier::RequiresReplace),
        Attribute::string("delivery")
            .optional()
            .computed()
            .validate(one_of(&DELIVERIES))
            .description("`git`: the manifest is committed to the provider's repository and Flux applies it; `cluster`: it is applied by server-side apply. Defaults to `git` when the provider has a `git` configuration, else `cluster`. Changing it moves the object without recreating it in the cluster."),
        Attribute::string("git_directory")
            .optional()
            .computed()
            .description("Git delivery: the repository directory of the file, whose `kustomization.yaml` lists it. Defaults to `flux-objects` under the path the cluster's root Kustomization (`flux-system/flux-system`) syncs, so the bootstrap picks it up."),
        Attribute::string("git_file")
            .computed()
            .description("Git delivery: the repository path of the manifest."),
        Attribute::bool("wait")
            .optional()
            .computed()
            .description("Wait until the object is Ready at its new generation, failing with the object's message. Defaults to true for cluster delivery, false for git delivery (where Flux applies the object on its next sync)."),
        Attribute::string("wait_timeout")
            .default("5m")
            .validate(string_check(check_description(Check::Duration), |s| Check::Duration.check(s)))
            .description("How long to wait for Ready."),
        Attribute::bool("ready")
            .computed()
            .description("Whether the object is Ready at its current generation (last read)."),
        Attribute::string("revision")
            .computed()
            .description("The revision the object reports (artifact, applied or attempted revision)."),
        Attribute::string("message")
            .computed()
            .description("The object's Ready message, or why it is not ready."),
    ];
    attributes.extend(status.iter().map(super::status::attribute));
    attributes.extend(drift.map(super::cluster_drift::attribute));
    if has_secret_ref(kind) {
        attributes.push(
            Attribute::map("secret_data", Type::String)
                .optional()
                .sensitive()
                .description("Credentials written to the Secret named by `secret_ref` in the object's namespace (never to git). Requires `secret_ref`."),
        );
    }
    attributes.extend(kind.fields.iter().map(field_attribute));
    Schema::new(attributes).description(description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute<'a>(attributes: &'a [Attribute], name: &str) -> &'a Attribute {
        attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    fn nested(attr: &Attribute) -> &[Attribute] {
        match &attr.kind {
            tfplug::AttributeKind::Nested(_, inner) => inner,
            tfplug::AttributeKind::Typed(_) => panic!("{} is not nested", attr.name),
        }
    }

    #[test]
    fn optional_objects_are_input_objects_at_every_depth_and_required_ones_are_not() {
        let s = schema(&flux_core::objects::kinds::FLUX_INSTANCE, "", &[], None);
        let as_configured =
            |a: &Attribute| a.computed && a.modifiers.contains(&PlanModifier::AsConfigured);
        let top = &s.block.attributes;
        assert!(as_configured(attribute(top, "cluster")));
        assert!(!attribute(top, "distribution").computed);
        let patches = attribute(nested(attribute(top, "kustomize")), "patches");
        assert!(as_configured(attribute(nested(patches), "target")));
    }

    #[test]
    fn schema_every_kind_has_unique_attribute_names_and_common_ones() {
        for kind in flux_core::objects::kinds::all() {
            let s = schema(kind, "", &[], None);
            let mut names: Vec<&str> = s.block.attributes.iter().map(|a| a.name.as_str()).collect();
            let total = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), total, "{} has duplicate attributes", kind.kind);
            for common in COMMON.iter().filter(|c| **c != "secret_data") {
                assert!(names.contains(common), "{} lacks {common}", kind.kind);
            }
        }
    }

    /// Terraform reads these names in a resource block as meta-arguments, so an
    /// attribute so named could never be set (`provider = "aws"` asks for a
    /// provider called aws).
    #[test]
    fn schema_no_top_level_attribute_has_a_terraform_meta_argument_name() {
        let reserved = [
            "count",
            "depends_on",
            "for_each",
            "lifecycle",
            "provider",
            "provisioner",
            "connection",
        ];
        for kind in flux_core::objects::kinds::all() {
            let s = schema(kind, "", &[], None);
            for attribute in &s.block.attributes {
                assert!(
                    !reserved.contains(&attribute.name.as_str()),
                    "{}: `{}` is a Terraform meta-argument",
                    kind.kind,
                    attribute.name
                );
            }
        }
    }

    #[test]
    fn schema_secret_data_is_sensitive_where_a_secret_ref_exists() {
        let s = schema(&flux_core::objects::kinds::GIT_REPOSITORY, "", &[], None);
        assert!(s
            .block
            .attribute("secret_data")
            .is_some_and(|a| a.sensitive));
        let k = schema(&flux_core::objects::kinds::KUSTOMIZATION, "", &[], None);
        assert!(k.block.attribute("secret_data").is_none());
    }
}

//! Attribute validators, run on known, non-null configuration values at validation
//! time, before anything is planned or applied.

use std::sync::Arc;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::schema::{AttributeKind, Block, Nesting};
use crate::value::Value;

/// A check of one attribute value.
pub trait Validator: Send + Sync {
    /// What the validator requires, lowercase and without trailing punctuation
    /// ("value must be one of ..."); used in documentation.
    fn description(&self) -> String;
    /// Checks a known, non-null value found at `path`.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// A string that must be one of a fixed set.
pub struct OneOf(Vec<String>);

/// A string value must be one of `allowed`.
pub fn one_of(allowed: &[&str]) -> OneOf {
    OneOf(allowed.iter().map(|s| (*s).to_string()).collect())
}

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("value must be one of: {}", quoted_list(&self.0))
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.0.iter().any(|a| a == s) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Attribute Value",
                    format!("{path} must be one of {}, got {s:?}.", quoted_list(&self.0)),
                );
            }
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A check of a string that explains what is wrong with it.
type CheckFn = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// A string checked by a function that explains what is wrong.
pub struct StringCheck {
    description: String,
    check: Arc<CheckFn>,
}

/// A string value must pass `check`; its `Err` text becomes the diagnostic detail.
pub fn string_check(
    description: impl Into<String>,
    check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
) -> StringCheck {
    StringCheck {
        description: description.into(),
        check: Arc::new(check),
    }
}

impl Validator for StringCheck {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(reason) = (self.check)(s) {
                diags.attribute_error(path.clone(), "Invalid Attribute Value", reason);
            }
        }
    }
}

/// A collection size or string length range.
pub struct SizeBetween {
    min: usize,
    max: usize,
}

/// A list, set or map must have between `min` and `max` elements, or a string
/// between `min` and `max` characters.
pub fn size_between(min: usize, max: usize) -> SizeBetween {
    SizeBetween { min, max }
}

impl Validator for SizeBetween {
    fn description(&self) -> String {
        format!("size must be between {} and {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let (size, what) = match value {
            Value::String(s) => (s.chars().count(), "characters"),
            Value::List(items) | Value::Set(items) => (items.len(), "elements"),
            Value::Map(entries) => (entries.len(), "elements"),
            _ => return,
        };
        if size < self.min || size > self.max {
            diags.attribute_error(
                path.clone(),
                "Invalid Attribute Value",
                format!(
                    "{path} must have between {} and {} {what}, got {size}.",
                    self.min, self.max
                ),
            );
        }
    }
}

/// A validator applied to every element of a collection.
pub struct Each(Arc<dyn Validator>);

/// Applies `inner` to every known element of a list, set or map.
pub fn each(inner: impl Validator + 'static) -> Each {
    Each(Arc::new(inner))
}

impl Validator for Each {
    fn description(&self) -> String {
        format!("each element: {}", self.0.description())
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if item.is_wholly_known() && !item.is_null() {
                        self.0.validate(item, &path.at_index(i), diags);
                    }
                }
            }
            // Protocol 6 cannot address a set element, so errors point at the set.
            Value::Set(items) => {
                for item in items {
                    if item.is_wholly_known() && !item.is_null() {
                        self.0.validate(item, path, diags);
                    }
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    if v.is_wholly_known() && !v.is_null() {
                        self.0.validate(v, &path.at_key(k.clone()), diags);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Runs every attribute validator of `block` over `config`, descending into nested
/// attributes and blocks. Unknown and null values are skipped: they are checked again
/// once known.
pub fn validate_block(
    block: &Block,
    config: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    for attr in &block.attributes {
        let value = config.attr(&attr.name);
        let at = path.at_attr(&attr.name);
        if value.is_null() || value.is_unknown() {
            continue;
        }
        for v in &attr.validators {
            // A validator sees a collection once it is wholly known, so that counts
            // and element checks are final.
            if value.is_wholly_known()
                || !matches!(value, Value::List(_) | Value::Set(_) | Value::Map(_))
            {
                v.validate(value, &at, diags);
            }
        }
        if let AttributeKind::Nested(nesting, attrs) = &attr.kind {
            let nested = Block {
                attributes: attrs.clone(),
                ..Block::default()
            };
            validate_nested(&nested, *nesting, value, &at, diags);
        }
    }
    for b in &block.blocks {
        let value = config.attr(&b.name);
        if value.is_null() || value.is_unknown() {
            continue;
        }
        validate_nested(&b.block, b.nesting, value, &path.at_attr(&b.name), diags);
    }
}

fn validate_nested(
    block: &Block,
    nesting: Nesting,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    match (nesting, value) {
        (Nesting::Single, v) => validate_block(block, v, path, diags),
        (Nesting::List, Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                validate_block(block, item, &path.at_index(i), diags);
            }
        }
        (Nesting::Set, Value::Set(items) | Value::List(items)) => {
            for item in items {
                validate_block(block, item, path, diags);
            }
        }
        (Nesting::Map, Value::Map(entries)) => {
            for (k, v) in entries {
                validate_block(block, v, &path.at_key(k.clone()), diags);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;
    use crate::types::Type;

    fn block() -> Block {
        Block {
            attributes: vec![
                Attribute::string("log_level")
                    .optional()
                    .validate(one_of(&["info", "debug", "error"])),
                Attribute::set("components", Type::String)
                    .optional()
                    .validate(size_between(2, 4))
                    .validate(each(one_of(&["a", "b", "c", "d"]))),
                Attribute::single_nested(
                    "git",
                    vec![Attribute::string("url").required().validate(string_check(
                        "value must be an ssh, http or https URL",
                        |s| {
                            if s.starts_with("ssh://") || s.starts_with("http") {
                                Ok(())
                            } else {
                                Err(format!("unsupported URL scheme in {s:?}"))
                            }
                        },
                    ))],
                )
                .optional(),
            ],
            ..Block::default()
        }
    }

    fn run(config: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_block(&block(), &config, &AttributePath::root(), &mut diags);
        diags
    }

    #[test]
    fn valid_config_passes() {
        let diags = run(Value::object([
            ("log_level", "debug".into()),
            ("components", Value::set(["a".into(), "b".into()])),
            (
                "git",
                Value::object([("url", "ssh://git@host/repo".into())]),
            ),
        ]));
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn errors_are_located_at_the_failing_attribute() {
        let diags = run(Value::object([
            ("log_level", "verbose".into()),
            ("components", Value::set(["a".into(), "z".into()])),
            ("git", Value::object([("url", "ftp://host/repo".into())])),
        ]));
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(paths, vec!["log_level", "components", "git.url"]);
        assert!(diags.iter().any(|d| d.detail.contains("\"verbose\"")));
    }

    #[test]
    fn unknown_values_are_not_validated_yet() {
        let diags = run(Value::object([
            ("log_level", Value::unknown()),
            ("components", Value::set(["a".into(), Value::unknown()])),
            ("git", Value::unknown()),
        ]));
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn size_between_counts_elements() {
        let diags = run(Value::object([("components", Value::set(["a".into()]))]));
        assert_eq!(diags.len(), 1);
        assert!(diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("between 2 and 4"));
    }
}

//! `image.toolkit.fluxcd.io/v1` ImagePolicy: the latest tag of an ImageRepository by a policy.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, name_of, never_static, no_derived_defaults, CROSS_NAMESPACE_REF, SUSPEND,
};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::OneOf;
use DefaultValue::Str;
use FieldType::Object;

const ORDER: &[FieldDef] = &[FieldDef::string(field!("order"), "`asc` or `desc`.")
    .default(Str("asc"))
    .check(OneOf(&["asc", "desc"]))];

const SEMVER_POLICY: &[FieldDef] =
    &[
        FieldDef::string(field!("range"), "Semver range of acceptable tags.")
            .required()
            .check(Check::SemverRange),
    ];

const POLICY: &[FieldDef] = &[
    FieldDef::typed(
        field!("semver"),
        Object(SEMVER_POLICY),
        "Latest tag in a semver range.",
    ),
    FieldDef::typed(
        field!("alphabetical"),
        Object(ORDER),
        "Last tag in alphabetical order.",
    ),
    FieldDef::typed(
        field!("numerical"),
        Object(ORDER),
        "Last tag in numerical order.",
    ),
];

const FILTER_TAGS: &[FieldDef] = &[
    FieldDef::string(field!("pattern"), "Regular expression tags must match.").check(Check::Regex),
    FieldDef::string(
        field!("extract"),
        "Replacement (`$ts`) giving the value the policy orders.",
    ),
];

const IMAGE_POLICY_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::typed(field!("imageRepositoryRef"), Object(CROSS_NAMESPACE_REF), "The ImageRepository whose tags are chosen from.").required(),
    FieldDef::typed(field!("policy"), Object(POLICY), "How the latest tag is chosen: exactly one of semver, alphabetical and numerical.").required(),
    FieldDef::typed(field!("filterTags"), Object(FILTER_TAGS), "Tag filter applied before the policy."),
    FieldDef::string(field!("digestReflectionPolicy"), "When the digest of the chosen tag is looked up.")
        .default(Str("Never"))
        .check(OneOf(&["Always", "IfNotPresent", "Never"])),
    duration(field!("interval"), "How often the digest is refreshed; only with digest_reflection_policy Always, and required then."),
    SUSPEND,
]);

fn image_policy_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chosen = ["semver", "alphabetical", "numerical"]
        .iter()
        .filter(|k| spec.get("policy").and_then(|p| p.get(**k)).is_some())
        .count();
    if chosen != 1 {
        errors.push(FieldError::new(
            FieldPath::field(name_of(IMAGE_POLICY_FIELDS, "policy")),
            "exactly one of semver, alphabetical and numerical must be set",
        ));
    }
    let always = spec.get("digestReflectionPolicy").and_then(Value::as_str) == Some("Always");
    if always != spec.contains_key("interval") {
        errors.push(FieldError::new(
            FieldPath::field(name_of(IMAGE_POLICY_FIELDS, "interval")),
            "is required with digest_reflection_policy Always and allowed only then",
        ));
    }
    errors
}

/// `image.toolkit.fluxcd.io/v1` ImagePolicy.
pub static IMAGE_POLICY: KindDef = KindDef {
    api_version: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    fields: IMAGE_POLICY_FIELDS,
    rules: image_policy_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn policy(policy: Value) -> Value {
        json!({"imageRepositoryRef": {"name": "app"}, "policy": policy})
    }

    #[test]
    fn valid_specs_pass() {
        assert!(error_paths(&IMAGE_POLICY, policy(json!({"numerical": {}}))).is_empty());
        let mut always = policy(json!({"semver": {"range": "1.x"}}));
        always["digestReflectionPolicy"] = json!("Always");
        always["interval"] = json!("5m");
        assert!(error_paths(&IMAGE_POLICY, always).is_empty());
    }

    #[test]
    fn exactly_one_policy_is_required() {
        let reason = "policy: exactly one of semver, alphabetical and numerical must be set";
        assert_eq!(error_texts(&IMAGE_POLICY, policy(json!({}))), [reason]);
        assert_eq!(
            error_texts(
                &IMAGE_POLICY,
                policy(json!({"numerical": {}, "alphabetical": {}}))
            ),
            [reason]
        );
    }

    #[test]
    fn interval_goes_with_digest_reflection_always_only() {
        let reason =
            "interval: is required with digest_reflection_policy Always and allowed only then";
        let mut with_interval = policy(json!({"numerical": {}}));
        with_interval["interval"] = json!("5m");
        assert_eq!(error_texts(&IMAGE_POLICY, with_interval), [reason]);
        let mut always = policy(json!({"numerical": {}}));
        always["digestReflectionPolicy"] = json!("Always");
        assert_eq!(error_texts(&IMAGE_POLICY, always), [reason]);
    }
}

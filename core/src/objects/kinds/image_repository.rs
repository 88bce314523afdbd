//! `image.toolkit.fluxcd.io/v1` ImageRepository: the tags of an image, scanned.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, flag, local_ref, name_of, never_static, no_derived_defaults, SUSPEND,
};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Name, OneOf};
use DefaultValue::Str;
use FieldType::StringList;

const IMAGE_REPOSITORY_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(
        field!("image"),
        "Image to scan, without tag (`ghcr.io/org/app`).",
    )
    .required(),
    duration(field!("interval"), "How often the tags are scanned.")
        .default(Str("1m0s"))
        .written(),
    duration(
        field!("timeout"),
        "Timeout of a scan; defaults to interval.",
    ),
    local_ref(
        field!("secretRef"),
        "Secret of type `kubernetes.io/dockerconfigjson` with registry credentials.",
    ),
    local_ref(
        field!("certSecretRef"),
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(field!("proxySecretRef"), "Secret with the proxy settings."),
    FieldDef::string(
        field!("serviceAccountName"),
        "ServiceAccount whose image pull secrets are used.",
    )
    .check(Name),
    flag(field!("insecure"), "Whether plain HTTP is allowed."),
    FieldDef::typed(
        field!("exclusionList"),
        StringList,
        "Regular expressions of tags to ignore (Flux's default: `^.*\\.sig$`).",
    )
    .check(Check::Regex),
    FieldDef::string(
        field!("provider"),
        "Authentication provider. Flux's `provider`, renamed because `provider` is a reserved name.",
    )
    .default(Str("generic"))
    .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    SUSPEND,
]);

fn image_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    match spec.get("exclusionList").and_then(Value::as_array) {
        Some(list) if list.len() > 25 => vec![FieldError::new(
            FieldPath::field(name_of(IMAGE_REPOSITORY_FIELDS, "exclusionList")),
            "has more than 25 entries",
        )],
        _ => Vec::new(),
    }
}

/// `image.toolkit.fluxcd.io/v1` ImageRepository.
pub static IMAGE_REPOSITORY: KindDef = KindDef {
    api_version: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    fields: IMAGE_REPOSITORY_FIELDS,
    rules: image_repository_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    #[test]
    fn valid_spec_passes() {
        let spec = json!({"image": "ghcr.io/org/app", "exclusionList": ["^.*\\.sig$"]});
        assert!(error_paths(&IMAGE_REPOSITORY, spec).is_empty());
    }

    #[test]
    fn image_is_required() {
        assert_eq!(error_paths(&IMAGE_REPOSITORY, json!({})), ["image"]);
    }

    #[test]
    fn exclusion_list_holds_at_most_25_valid_patterns() {
        let long: Vec<String> = (0..26).map(|i| format!("^v{i}$")).collect();
        assert_eq!(
            error_texts(
                &IMAGE_REPOSITORY,
                json!({"image": "app", "exclusionList": long})
            ),
            ["exclusion_list: has more than 25 entries"]
        );
        assert_eq!(
            error_paths(
                &IMAGE_REPOSITORY,
                json!({"image": "app", "exclusionList": ["ok", "("]})
            ),
            ["exclusion_list[1]"]
        );
    }
}

//! `source.toolkit.fluxcd.io/v1` HelmRepository: a chart repository or an OCI registry of charts.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{duration, flag, local_ref, name_of, no_derived_defaults, SUSPEND};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef};
use Check::{OneOf, Prefix};
use DefaultValue::Str;

const HELM_REPOSITORY_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(field!("url"), "Chart repository URL: `http://`, `https://` or `oci://`.")
        .required()
        .check(Prefix(&["http://", "https://", "oci://"])),
    FieldDef::string(field!("type"), "`default` (an index.yaml) or `oci` (a registry; such objects are static, never reconciled).")
        .default(Str("default"))
        .check(OneOf(&["default", "oci"])),
    duration(field!("interval"), "How often the index is downloaded.")
        .default(Str("1m0s"))
        .written(),
    duration(field!("timeout"), "Timeout of index downloads."),
    local_ref(field!("secretRef"), "Secret with `username`/`password` or TLS keys."),
    local_ref(field!("certSecretRef"), "Secret with `ca.crt`, `tls.crt` and `tls.key`."),
    flag(field!("passCredentials"), "Whether credentials are also sent to chart hosts other than the repository's."),
    flag(field!("insecure"), "Whether plain HTTP is allowed for OCI registries."),
    FieldDef::string(field!("provider"), "Authentication provider for OCI registries. Flux's `provider`, renamed because `provider` is a reserved name.")
        .default(Str("generic"))
        .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    SUSPEND,
]);

fn helm_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let url = spec.get("url").and_then(Value::as_str).unwrap_or_default();
    let is_oci = spec.get("type").and_then(Value::as_str) == Some("oci");
    if is_oci != url.starts_with("oci://") {
        errors.push(FieldError::new(
            FieldPath::field(name_of(HELM_REPOSITORY_FIELDS, "type")),
            "must be oci exactly when url starts with oci://",
        ));
    }
    errors
}

fn helm_repository_is_static(spec: &Map<String, Value>) -> bool {
    spec.get("type").and_then(Value::as_str) == Some("oci")
}

/// `source.toolkit.fluxcd.io/v1` HelmRepository.
pub static HELM_REPOSITORY: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "HelmRepository",
    fields: HELM_REPOSITORY_FIELDS,
    rules: helm_repository_rules,
    is_static: helm_repository_is_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    #[test]
    fn valid_specs_pass() {
        assert!(error_paths(
            &HELM_REPOSITORY,
            json!({"url": "https://charts.example.com"})
        )
        .is_empty());
        assert!(error_paths(
            &HELM_REPOSITORY,
            json!({"url": "oci://ghcr.io/org/charts", "type": "oci"})
        )
        .is_empty());
    }

    #[test]
    fn type_oci_goes_with_an_oci_url_only() {
        let reason = "type: must be oci exactly when url starts with oci://";
        assert_eq!(
            error_texts(&HELM_REPOSITORY, json!({"url": "oci://ghcr.io/org/charts"})),
            [reason]
        );
        assert_eq!(
            error_texts(
                &HELM_REPOSITORY,
                json!({"url": "https://charts.example.com", "type": "oci"})
            ),
            [reason]
        );
    }

    #[test]
    fn oci_repositories_are_static() {
        let oci = json!({"type": "oci"});
        assert!((HELM_REPOSITORY.is_static)(oci.as_object().unwrap()));
        assert!(!(HELM_REPOSITORY.is_static)(&Map::new()));
    }
}

//! `source.toolkit.fluxcd.io/v1` OCIRepository: an artifact pulled from an OCI registry.

use super::naming::{field, spec_fields};
use super::shared::{
    duration, flag, local_ref, never_static, no_derived_defaults, no_rules, SUSPEND,
};
use super::KindDef;
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Name, OneOf, Prefix};
use DefaultValue::Str;
use FieldType::Object;

const OCI_REF: &[FieldDef] = &[
    FieldDef::string(
        field!("digest"),
        "Image digest to pull; takes precedence over everything else.",
    ),
    FieldDef::string(
        field!("semver"),
        "Semver range of tags; takes precedence over tag.",
    )
    .check(Check::SemverRange),
    FieldDef::string(
        field!("semverFilter"),
        "Regular expression filtering the tags before the semver range.",
    )
    .check(Check::Regex),
    FieldDef::string(
        field!("tag"),
        "Tag to pull (`latest` when no reference is given).",
    ),
];

const LAYER_SELECTOR: &[FieldDef] = &[
    FieldDef::string(
        field!("mediaType"),
        "Media type of the layer; the first layer when absent.",
    ),
    FieldDef::string(field!("operation"), "`extract` (the default) or `copy`.")
        .check(OneOf(&["extract", "copy"])),
];

const OCI_VERIFY: &[FieldDef] = &[
    FieldDef::string(field!("provider"), "`cosign` or `notation`.")
        .default(Str("cosign"))
        .check(OneOf(&["cosign", "notation"])),
    local_ref(field!("secretRef"), "Secret with the trusted public keys."),
];

const OCI_REPOSITORY_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(
        field!("url"),
        "Artifact URL: `oci://<registry>/<repository>`.",
    )
    .required()
    .check(Prefix(&["oci://"])),
    FieldDef::typed(
        field!("ref"),
        Object(OCI_REF),
        "Artifact reference; tag `latest` when absent.",
    ),
    FieldDef::typed(
        field!("layerSelector"),
        Object(LAYER_SELECTOR),
        "Which layer of the artifact is used.",
    ),
    FieldDef::string(
        field!("provider"),
        "Authentication provider. Flux's `provider`, renamed because `provider` is a reserved name.",
    )
    .default(Str("generic"))
    .written()
    .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    local_ref(
        field!("secretRef"),
        "Secret of type `kubernetes.io/dockerconfigjson` with registry credentials.",
    ),
    FieldDef::typed(
        field!("verify"),
        Object(OCI_VERIFY),
        "Signature verification.",
    ),
    FieldDef::string(
        field!("serviceAccountName"),
        "ServiceAccount whose image pull secrets are used.",
    )
    .check(Name),
    local_ref(
        field!("certSecretRef"),
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(field!("proxySecretRef"), "Secret with the proxy settings."),
    duration(field!("interval"), "How often the registry is checked.")
        .default(Str("1m0s"))
        .written(),
    duration(field!("timeout"), "Timeout of registry operations.").default(Str("60s")),
    FieldDef::string(
        field!("ignore"),
        "Paths to leave out of the artifact, in `.sourceignore` syntax.",
    ),
    flag(field!("insecure"), "Whether plain HTTP is allowed."),
    SUSPEND,
]);

/// `source.toolkit.fluxcd.io/v1` OCIRepository.
pub static OCI_REPOSITORY: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "OCIRepository",
    fields: OCI_REPOSITORY_FIELDS,
    rules: no_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::error_paths;
    use super::*;

    #[test]
    fn valid_spec_passes() {
        let spec = json!({"url": "oci://ghcr.io/org/manifests", "ref": {"semver": ">=1.0.0", "semverFilter": ".*-rc.*"}});
        assert!(error_paths(&OCI_REPOSITORY, spec).is_empty());
    }

    #[test]
    fn url_needs_the_oci_scheme() {
        assert_eq!(error_paths(&OCI_REPOSITORY, json!({})), ["url"]);
        assert_eq!(
            error_paths(
                &OCI_REPOSITORY,
                json!({"url": "https://ghcr.io/org/manifests"})
            ),
            ["url"]
        );
    }

    #[test]
    fn bad_reference_fields_are_named() {
        let spec = json!({"url": "oci://ghcr.io/org/manifests", "ref": {"semver": "latest", "semverFilter": "("},
            "layerSelector": {"operation": "move"}, "provider": "github"});
        assert_eq!(
            error_paths(&OCI_REPOSITORY, spec),
            [
                "ref.semver",
                "ref.semver_filter",
                "layer_selector.operation",
                "auth_provider"
            ]
        );
    }
}

//! `kustomize.toolkit.fluxcd.io/v1` Kustomization: manifests from a source, built and applied.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, flag, local_ref, name_of, never_static, no_derived_defaults, COMMON_METADATA,
    CROSS_NAMESPACE_REF, PATCH, SUSPEND,
};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Label, Name, OneOf};
use DefaultValue::Str;
use FieldType::{Object, ObjectList, StringList, StringMap};

const KUSTOMIZATION_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "Kind of the source.")
        .required()
        .check(OneOf(&[
            "GitRepository",
            "OCIRepository",
            "Bucket",
            "ExternalArtifact",
        ])),
    FieldDef::string(field!("name"), "Name of the source.")
        .required()
        .check(Name),
    FieldDef::string(
        field!("namespace"),
        "Namespace of the source; defaults to the Kustomization's.",
    )
    .check(Label),
    FieldDef::string(field!("apiVersion"), "API version of the source."),
];

const HEALTH_CHECK: &[FieldDef] = &[
    FieldDef::string(field!("apiVersion"), "API version of the object.").default(Str("apps/v1")),
    FieldDef::string(field!("kind"), "Kind of the object.").required(),
    FieldDef::string(field!("name"), "Name of the object.")
        .required()
        .check(Name),
    FieldDef::string(field!("namespace"), "Namespace of the object.").check(Label),
];

const SUBSTITUTE_FROM: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "`Secret` or `ConfigMap`.")
        .required()
        .check(OneOf(&["Secret", "ConfigMap"])),
    FieldDef::string(field!("name"), "Name of the Secret or ConfigMap.")
        .required()
        .check(Name),
    flag(field!("optional"), "Whether a missing object is tolerated."),
];

const POST_BUILD: &[FieldDef] = &[
    FieldDef::typed(
        field!("substitute"),
        StringMap,
        "Variables substituted in the manifests (`${var}`).",
    ),
    FieldDef::typed(
        field!("substituteFrom"),
        ObjectList(SUBSTITUTE_FROM),
        "Secrets and ConfigMaps whose data are substitution variables.",
    ),
];

const DECRYPTION: &[FieldDef] = &[
    FieldDef::string(field!("provider"), "Decryption provider; only `sops`.")
        .required()
        .check(OneOf(&["sops"])),
    local_ref(field!("secretRef"), "Secret with the decryption keys."),
];

const IMAGE: &[FieldDef] = &[
    FieldDef::string(field!("name"), "Image name to replace.").required(),
    FieldDef::string(field!("newName"), "New image name."),
    FieldDef::string(field!("newTag"), "New tag."),
    FieldDef::string(field!("digest"), "Digest; takes precedence over new_tag."),
];

const KUSTOMIZATION_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::typed(field!("sourceRef"),
        Object(KUSTOMIZATION_SOURCE_REF),
        "The source of the manifests.",
    )
    .required(),
    FieldDef::string(field!("path"),
        "Path to the directory with the manifests in the source; its root when absent.",
    ),
    FieldDef::typed(field!("prune"),
        FieldType::Bool,
        "Whether objects removed from the source are deleted from the cluster.",
    )
    .required(),
    duration(field!("interval"),
        "How often the manifests are applied again (drift correction).",
    )
    .default(Str("10m0s"))
    .written(),
    duration(field!("retryInterval"),
        "How soon a failed apply is retried; defaults to interval.",
    ),
    duration(field!("timeout"),
        "Timeout of build, apply and health checks; defaults to interval minus 30s, at least 30s.",
    ),
    FieldDef::typed(field!("dependsOn"),
        ObjectList(CROSS_NAMESPACE_REF),
        "Kustomizations that must be ready first: Flux's `dependsOn`, renamed because `depends_on` is a reserved name.",
    ),
    FieldDef::string(field!("deletionPolicy"),
        "What happens to the applied objects when the Kustomization is deleted.",
    )
    .check(OneOf(&[
        "MirrorPrune",
        "Delete",
        "WaitForTermination",
        "Orphan",
    ])),
    SUSPEND,
    flag(field!("force"),
        "Whether objects are recreated when an immutable field changes.",
    ),
    flag(field!("wait"),
        "Flux's `spec.wait`: whether every applied object must become ready (health_checks are then ignored).",
    ),
    FieldDef::typed(field!("healthChecks"),
        ObjectList(HEALTH_CHECK),
        "Objects that must become ready.",
    ),
    FieldDef::string(field!("serviceAccountName"),
        "ServiceAccount to impersonate when applying.",
    )
    .check(Name),
    FieldDef::string(field!("targetNamespace"),
        "Namespace set on every namespaced object.",
    )
    .check(Label),
    FieldDef::string(field!("namePrefix"), "Prefix of every object name.")
        .check(Check::MaxLen(200)),
    FieldDef::string(field!("nameSuffix"), "Suffix of every object name.")
        .check(Check::MaxLen(200)),
    FieldDef::typed(field!("commonMetadata"),
        Object(COMMON_METADATA),
        "Labels and annotations added to every object.",
    ),
    FieldDef::typed(field!("patches"),
        ObjectList(PATCH),
        "Patches applied to the manifests.",
    ),
    FieldDef::typed(field!("images"), ObjectList(IMAGE), "Image overrides."),
    FieldDef::typed(field!("components"),
        StringList,
        "Kustomize components to include.",
    ),
    FieldDef::typed(field!("postBuild"),
        Object(POST_BUILD),
        "Variable substitution after the build.",
    ),
    FieldDef::typed(field!("decryption"),
        Object(DECRYPTION),
        "Decryption of SOPS-encrypted manifests.",
    ),
]);

fn kustomization_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let (Some(interval), Some(retry)) = (
        spec.get("interval").and_then(Value::as_str),
        spec.get("retryInterval").and_then(Value::as_str),
    ) {
        if parse_duration(retry) > parse_duration(interval) {
            errors.push(FieldError::new(
                FieldPath::field(name_of(KUSTOMIZATION_FIELDS, "retryInterval")),
                format!("{retry} is longer than interval {interval}"),
            ));
        }
    }
    errors
}

/// Seconds of a Flux duration (already checked), for comparisons.
fn parse_duration(text: &str) -> f64 {
    crate::manifests::GoDuration::parse(text)
        .map(|d| d.as_nanos() as f64 / 1e9)
        .unwrap_or_default()
}

/// `kustomize.toolkit.fluxcd.io/v1` Kustomization.
pub static KUSTOMIZATION: KindDef = KindDef {
    api_version: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    fields: KUSTOMIZATION_FIELDS,
    rules: kustomization_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn base() -> Value {
        json!({"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "prune": true})
    }

    #[test]
    fn valid_spec_passes() {
        let mut spec = base();
        spec["interval"] = json!("10m");
        spec["retryInterval"] = json!("2m");
        spec["dependsOn"] = json!([{"name": "infra"}]);
        assert!(error_paths(&KUSTOMIZATION, spec).is_empty());
    }

    #[test]
    fn source_ref_and_prune_are_required() {
        assert_eq!(
            error_paths(&KUSTOMIZATION, json!({})),
            ["source_ref", "prune"]
        );
    }

    #[test]
    fn retry_interval_longer_than_interval_is_rejected() {
        let mut spec = base();
        spec["interval"] = json!("1m");
        spec["retryInterval"] = json!("90s");
        assert_eq!(
            error_texts(&KUSTOMIZATION, spec),
            ["retry_interval: 90s is longer than interval 1m"]
        );
    }

    #[test]
    fn dependencies_name_the_list_item() {
        let mut spec = base();
        spec["dependsOn"] = json!([{"name": "infra"}, {"namespace": "apps"}]);
        assert_eq!(error_paths(&KUSTOMIZATION, spec), ["dependencies[1].name"]);
    }
}

//! `fluxcd.controlplane.io/v1` FluxInstance: the Flux Operator's declaration of a Flux
//! distribution (version, registry, components, cluster settings, patches) and of what
//! the cluster syncs from. Fields and checks follow the operator's CRD (v0.59.0,
//! `core/operator-manifests`).

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{duration, flag, no_derived_defaults, path_of, COMMON_METADATA, PATCH};
use super::KindDef;
use crate::manifests::Component;
use crate::objects::error::FieldError;
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::OneOf;
use DefaultValue::{Bool, Str};
use FieldType::{Object, ObjectList, StringList};

/// The controllers a FluxInstance can install: every Flux component.
pub const INSTANCE_COMPONENTS: &[&str] = &Component::NAMES;

const DISTRIBUTION: &[FieldDef] = &[
    FieldDef::string(
        field!("version"),
        "Flux version as a semver range (`2.x`, `2.9.x`, `2.9.4`).",
    )
    .required()
    .check(Check::SemverRange),
    FieldDef::string(
        field!("registry"),
        "Registry the controller images are pulled from (`ghcr.io/fluxcd`).",
    )
    .required(),
    FieldDef::string(
        field!("variant"),
        "Distribution flavor: `upstream-alpine`, `enterprise-alpine`, `enterprise-distroless` or `enterprise-distroless-fips`.",
    )
    .check(OneOf(&[
        "upstream-alpine",
        "enterprise-alpine",
        "enterprise-distroless",
        "enterprise-distroless-fips",
    ])),
    FieldDef::string(
        field!("artifact"),
        "OCI artifact holding the distribution's manifests (`oci://...`); the manifests built into the operator when absent.",
    )
    .check(Check::Prefix(&["oci://"])),
    FieldDef::string(
        field!("artifactPullSecret"),
        "Secret with the credentials to pull `artifact`.",
    )
    .check(Check::Name),
    FieldDef::string(
        field!("imagePullSecret"),
        "Secret with the credentials to pull the controller images.",
    )
    .check(Check::Name),
];

const CLUSTER: &[FieldDef] = &[
    FieldDef::string(
        field!("type"),
        "Kubernetes distribution: `kubernetes`, `openshift`, `aws`, `azure` or `gcp`.",
    )
    .default(Str("kubernetes"))
    .check(OneOf(&["kubernetes", "openshift", "aws", "azure", "gcp"])),
    FieldDef::string(
        field!("size"),
        "Vertical scaling profile of the controllers: `small`, `medium` or `large`.",
    )
    .check(OneOf(&["small", "medium", "large"])),
    FieldDef::string(field!("domain"), "Cluster domain of the services' names.")
        .default(Str("cluster.local")),
    flag(field!("multitenant"), "Enables the multi-tenancy lockdown."),
    flag(
        field!("multitenantWorkloadIdentity"),
        "Enables the multi-tenancy lockdown for workload identity; needs `object_level_workload_identity`.",
    ),
    FieldDef::typed(
        field!("objectLevelWorkloadIdentity"),
        FieldType::Bool,
        "Enables the object-level workload identity feature gate.",
    ),
    FieldDef::typed(
        field!("networkPolicy"),
        FieldType::Bool,
        "Restricts network access to the instance's namespace.",
    )
    .default(Bool(true)),
    FieldDef::string(
        field!("tenantDefaultServiceAccount"),
        "Service account the controllers impersonate for tenants' objects without one.",
    ),
    FieldDef::string(
        field!("tenantDefaultDecryptionServiceAccount"),
        "Service account used for tenants' SOPS decryption without one.",
    ),
    FieldDef::string(
        field!("tenantDefaultKubeConfigServiceAccount"),
        "Service account used for tenants' remote kubeconfigs without one.",
    ),
];

const KUSTOMIZE: &[FieldDef] = &[FieldDef::typed(
    field!("patches"),
    ObjectList(PATCH),
    "Patches applied to the distribution's manifests.",
)];

const SHARDING: &[FieldDef] = &[
    FieldDef::string(field!("key"), "Label key that assigns objects to shards.")
        .default(Str("sharding.fluxcd.io/key")),
    FieldDef::typed(field!("shards"), StringList, "Shard names.").required(),
    FieldDef::string(
        field!("storage"),
        "Storage of source-controller's shards: `ephemeral` or `persistent`.",
    )
    .check(OneOf(&["ephemeral", "persistent"])),
];

const STORAGE: &[FieldDef] = &[
    FieldDef::string(field!("class"), "Storage class of the volume claim.").required(),
    FieldDef::string(field!("size"), "Size of the volume claim (`10Gi`).").required(),
];

const SYNC: &[FieldDef] = &[
    FieldDef::string(
        field!("kind"),
        "Source kind: `GitRepository`, `OCIRepository` or `Bucket`.",
    )
    .required()
    .check(OneOf(&["GitRepository", "OCIRepository", "Bucket"])),
    FieldDef::string(
        field!("url"),
        "Source URL: a git repository (HTTP/S or SSH), an `oci://` address or a bucket endpoint.",
    )
    .required(),
    FieldDef::string(
        field!("ref"),
        "Source reference: a git ref (`refs/heads/main`), an OCI tag, or a bucket name.",
    )
    .required(),
    FieldDef::string(field!("path"), "Path of the manifests in the source.").required(),
    FieldDef::string(
        field!("name"),
        "Name of the source and Kustomization; the instance's namespace when absent. Cannot change once set.",
    )
    .check(Check::Name),
    duration(field!("interval"), "Time between syncs.").default(Str("1m")),
    FieldDef::string(
        field!("pullSecret"),
        "Secret with the source's credentials.",
    )
    .check(Check::Name),
    FieldDef::string(
        field!("provider"),
        "OIDC provider of the source's authentication: `generic`, `aws`, `azure`, `gcp` (OCI and Bucket) or `github` (git).",
    )
    .check(OneOf(&["generic", "aws", "azure", "gcp", "github"])),
];

const FLUX_INSTANCE_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::typed(
        field!("distribution"),
        Object(DISTRIBUTION),
        "The Flux distribution: version, registry and manifests.",
    )
    .required(),
    FieldDef::typed(
        field!("components"),
        StringList,
        "Controllers to install; the operator installs source-, kustomize-, helm- and notification-controller when absent.",
    )
    .check(OneOf(INSTANCE_COMPONENTS)),
    FieldDef::typed(field!("cluster"), Object(CLUSTER), "Cluster settings."),
    FieldDef::typed(
        field!("commonMetadata"),
        Object(COMMON_METADATA),
        "Labels and annotations added to every object of the distribution.",
    ),
    FieldDef::typed(
        field!("kustomize"),
        Object(KUSTOMIZE),
        "Kustomize patches of the distribution's manifests.",
    ),
    FieldDef::typed(
        field!("sharding"),
        Object(SHARDING),
        "Sharding of the controllers.",
    ),
    FieldDef::typed(
        field!("storage"),
        Object(STORAGE),
        "Persistent storage of source-controller's artifacts.",
    ),
    FieldDef::typed(
        field!("sync"),
        Object(SYNC),
        "What the cluster syncs from: the source and Kustomization the operator creates.",
    ),
    FieldDef::typed(
        field!("wait"),
        FieldType::Bool,
        "Whether the operator waits for the distribution's objects to be healthy before reporting Ready.",
    )
    .default(Bool(true)),
    FieldDef::typed(
        field!("migrateResources"),
        FieldType::Bool,
        "Whether the operator migrates Flux's objects to the newest stored API versions after an upgrade.",
    )
    .default(Bool(true)),
]);

fn text<'a>(spec: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    let (last, parents) = keys.split_last()?;
    let mut object = spec;
    for key in parents {
        object = object.get(*key)?.as_object()?;
    }
    object.get(*last)?.as_str()
}

fn flag_set(spec: &Map<String, Value>, keys: [&str; 2]) -> bool {
    spec.get(keys[0])
        .and_then(|o| o.get(keys[1]))
        .and_then(Value::as_bool)
        == Some(true)
}

/// The CRD's cross-field rules.
fn instance_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let at = |keys: &[&'static str]| path_of(FLUX_INSTANCE_FIELDS, keys);
    if text(spec, &["sharding", "storage"]) == Some("persistent") && !spec.contains_key("storage") {
        errors.push(FieldError::new(
            at(&["sharding", "storage"]),
            "`persistent` needs `storage` (the volume claim's class and size)",
        ));
    }
    if flag_set(spec, ["cluster", "multitenantWorkloadIdentity"])
        && !flag_set(spec, ["cluster", "objectLevelWorkloadIdentity"])
    {
        errors.push(FieldError::new(
            at(&["cluster", "multitenantWorkloadIdentity"]),
            "needs object_level_workload_identity = true",
        ));
    }
    let kind = text(spec, &["sync", "kind"]);
    match text(spec, &["sync", "provider"]) {
        Some("gcp") if kind == Some("GitRepository") => errors.push(FieldError::new(
            at(&["sync", "provider"]),
            "`gcp` is for OCIRepository and Bucket sources only",
        )),
        Some("github") if kind != Some("GitRepository") => errors.push(FieldError::new(
            at(&["sync", "provider"]),
            "`github` is for GitRepository sources only",
        )),
        _ => {}
    }
    errors
}

/// A FluxInstance always reports Ready once the operator reconciled it.
fn never_static(_: &Map<String, Value>) -> bool {
    false
}

/// `fluxcd.controlplane.io/v1` FluxInstance.
pub static FLUX_INSTANCE: KindDef = KindDef {
    api_version: "fluxcd.controlplane.io/v1",
    kind: "FluxInstance",
    fields: FLUX_INSTANCE_FIELDS,
    rules: instance_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: Some("flux"),
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn instance(extra: Value) -> Value {
        let mut spec = json!({"distribution": {"version": "2.x", "registry": "ghcr.io/fluxcd"}});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        spec
    }

    #[test]
    fn valid_spec_passes() {
        let spec = instance(json!({
            "components": ["source-controller", "kustomize-controller"],
            "cluster": {"type": "kubernetes", "networkPolicy": false},
            "sync": {"kind": "GitRepository", "url": "https://example.com/fleet.git",
                     "ref": "refs/heads/main", "path": "clusters/a", "provider": "github"},
            "kustomize": {"patches": [{"patch": "- op: add", "target": {"kind": "Deployment"}}]},
        }));
        assert!(error_paths(&FLUX_INSTANCE, spec).is_empty());
    }

    #[test]
    fn distribution_is_required_with_version_and_registry() {
        assert_eq!(error_paths(&FLUX_INSTANCE, json!({})), ["distribution"]);
        assert_eq!(
            error_paths(&FLUX_INSTANCE, json!({"distribution": {}})),
            ["distribution.version", "distribution.registry"]
        );
    }

    #[test]
    fn unknown_component_and_bad_version_are_located() {
        let spec = json!({
            "distribution": {"version": "two", "registry": "ghcr.io/fluxcd"},
            "components": ["source-controller", "flagger"],
        });
        assert_eq!(
            error_paths(&FLUX_INSTANCE, spec),
            ["distribution.version", "components[1]"]
        );
    }

    #[test]
    fn persistent_shards_need_storage() {
        let spec = instance(json!({"sharding": {"shards": ["a"], "storage": "persistent"}}));
        assert_eq!(
            error_texts(&FLUX_INSTANCE, spec),
            ["sharding.storage: `persistent` needs `storage` (the volume claim's class and size)"]
        );
    }

    #[test]
    fn workload_identity_lockdown_needs_the_feature_gate() {
        let spec = instance(json!({"cluster": {"multitenantWorkloadIdentity": true}}));
        assert_eq!(
            error_paths(&FLUX_INSTANCE, spec),
            ["cluster.multitenant_workload_identity"]
        );
    }

    #[test]
    fn sync_provider_must_suit_the_source_kind() {
        let git = |provider: &str| {
            instance(
                json!({"sync": {"kind": "GitRepository", "url": "u", "ref": "r",
                                     "path": "p", "provider": provider}}),
            )
        };
        assert_eq!(error_paths(&FLUX_INSTANCE, git("gcp")), ["sync.provider"]);
        let oci = instance(
            json!({"sync": {"kind": "OCIRepository", "url": "oci://r", "ref": "t",
                                           "path": "p", "provider": "github"}}),
        );
        assert_eq!(error_paths(&FLUX_INSTANCE, oci), ["sync.provider"]);
        assert!(error_paths(&FLUX_INSTANCE, git("github")).is_empty());
    }

    #[test]
    fn the_operator_accepts_only_the_name_flux() {
        let spec = instance(json!({})).as_object().cloned().unwrap_or_default();
        let error = crate::objects::ObjectSpec::new(&FLUX_INSTANCE, "flux-system", "main", spec)
            .err()
            .map(|e| match e {
                crate::objects::ObjectError::Invalid { errors, .. } => errors[0].to_string(),
                other => other.to_string(),
            });
        assert_eq!(
            error.as_deref(),
            Some("name: must be `flux`: the API accepts no other name for a FluxInstance")
        );
    }
}

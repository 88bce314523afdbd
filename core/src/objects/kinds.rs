//! The Flux kinds this engine manages, each with its field table (Flux 2.9's
//! stable APIs, see the API reference) and the rules that span several fields.

use serde_json::{Map, Value};

use super::error::FieldError;
use super::field::{Check, DefaultValue, FieldDef, FieldType};

/// A Flux kind: its API coordinates, its spec table and its cross-field rules.
#[derive(Debug)]
pub struct KindDef {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The spec fields.
    pub fields: &'static [FieldDef],
    /// Rules over several fields of a rendered spec.
    pub rules: fn(&Map<String, Value>) -> Vec<FieldError>,
    /// Whether the controller never reconciles some objects of this kind (static
    /// objects have no Ready condition): decided from the spec.
    pub is_static: fn(&Map<String, Value>) -> bool,
}

impl KindDef {
    /// The API group (`source.toolkit.fluxcd.io`).
    pub fn group(&self) -> &'static str {
        self.api_version.split('/').next().unwrap_or_default()
    }
}

fn no_rules(_: &Map<String, Value>) -> Vec<FieldError> {
    Vec::new()
}

fn never_static(_: &Map<String, Value>) -> bool {
    false
}

use Check::{Duration, Label, Name, OneOf, Prefix};
use DefaultValue::{Bool, Str};
use FieldType::{LocalRef, Object, ObjectList, StringList, StringMap};

const fn duration(name: &'static str, key: &'static str, doc: &'static str) -> FieldDef {
    FieldDef::string(name, key, doc).check(Duration)
}

const fn flag(name: &'static str, key: &'static str, doc: &'static str) -> FieldDef {
    FieldDef::typed(name, key, FieldType::Bool, doc).default(Bool(false))
}

const fn local_ref(name: &'static str, key: &'static str, doc: &'static str) -> FieldDef {
    FieldDef::typed(name, key, LocalRef, doc).check(Name)
}

const SUSPEND: FieldDef = flag(
    "suspend",
    "suspend",
    "Tells the controller to suspend reconciliation of this object.",
);

const CROSS_NAMESPACE_REF: &[FieldDef] = &[
    FieldDef::string("name", "name", "Name of the referent.")
        .required()
        .check(Name),
    FieldDef::string(
        "namespace",
        "namespace",
        "Namespace of the referent; defaults to the object's own.",
    )
    .check(Label),
];

// --- source.toolkit.fluxcd.io/v1 GitRepository ---

const GIT_REF: &[FieldDef] = &[
    FieldDef::string("branch", "branch", "Git branch to check out."),
    FieldDef::string(
        "tag",
        "tag",
        "Git tag to check out; takes precedence over branch.",
    ),
    FieldDef::string(
        "semver",
        "semver",
        "Semver range of tags to check out; takes precedence over tag.",
    )
    .check(Check::SemverRange),
    FieldDef::string(
        "name",
        "name",
        "Full git reference (`refs/heads/main`, `refs/pull/1/head`); takes precedence over semver.",
    ),
    FieldDef::string(
        "commit",
        "commit",
        "Commit SHA to check out; takes precedence over everything else.",
    ),
];

const GIT_VERIFY: &[FieldDef] = &[
    FieldDef::string(
        "mode",
        "mode",
        "What to verify: `HEAD`, `Tag` or `TagAndHEAD`.",
    )
    .default(Str("HEAD"))
    .check(OneOf(&["head", "HEAD", "Tag", "TagAndHEAD"])),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret holding the trusted public keys.",
    )
    .required(),
];

const GIT_INCLUDE: &[FieldDef] = &[
    local_ref("repository", "repository", "GitRepository to include.").required(),
    FieldDef::string(
        "from_path",
        "fromPath",
        "Path to copy from the included repository.",
    ),
    FieldDef::string(
        "to_path",
        "toPath",
        "Path to copy to in this repository's artifact.",
    ),
];

const GIT_REPOSITORY_FIELDS: &[FieldDef] = &[
    FieldDef::string("url", "url", "Repository URL: `http://`, `https://` or `ssh://`.")
        .required()
        .check(Prefix(&["http://", "https://", "ssh://"])),
    duration("interval", "interval", "How often the repository is checked for changes.")
        .default(Str("1m0s")),
    duration("timeout", "timeout", "Timeout of git operations.").default(Str("60s")),
    FieldDef::typed("ref", "ref", Object(GIT_REF), "Git reference to check out; the controller uses branch `master` when absent."),
    local_ref("secret_ref", "secretRef", "Secret with the credentials (`username`/`password`, `bearerToken`, or `identity`/`known_hosts`)."),
    FieldDef::string("provider", "provider", "Authentication provider.")
        .default(Str("generic"))
        .check(OneOf(&["generic", "aws", "azure", "github"])),
    FieldDef::string("service_account_name", "serviceAccountName", "ServiceAccount for workload identity (providers `aws` and `azure`).")
        .check(Name),
    local_ref("proxy_secret_ref", "proxySecretRef", "Secret with the proxy settings."),
    FieldDef::string("ignore", "ignore", "Paths to leave out of the artifact, in `.sourceignore` syntax."),
    SUSPEND,
    flag("recurse_submodules", "recurseSubmodules", "Whether submodules are cloned too."),
    FieldDef::typed("include", "include", ObjectList(GIT_INCLUDE), "Other GitRepositories whose content is copied into this one's artifact."),
    FieldDef::typed("sparse_checkout", "sparseCheckout", StringList, "Directories to check out; everything when empty."),
    FieldDef::typed("verify", "verify", Object(GIT_VERIFY), "OpenPGP signature verification of commits or tags."),
];

fn git_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let provider = spec
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("generic");
    if spec.contains_key("serviceAccountName") && !matches!(provider, "aws" | "azure") {
        errors.push(FieldError::new(
            "service_account_name",
            "only allowed with provider aws or azure",
        ));
    }
    errors
}

/// `source.toolkit.fluxcd.io/v1` GitRepository.
pub static GIT_REPOSITORY: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    fields: GIT_REPOSITORY_FIELDS,
    rules: git_repository_rules,
    is_static: never_static,
};

// --- kustomize.toolkit.fluxcd.io/v1 Kustomization ---

const KUSTOMIZATION_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "Kind of the source.")
        .required()
        .check(OneOf(&[
            "GitRepository",
            "OCIRepository",
            "Bucket",
            "ExternalArtifact",
        ])),
    FieldDef::string("name", "name", "Name of the source.")
        .required()
        .check(Name),
    FieldDef::string(
        "namespace",
        "namespace",
        "Namespace of the source; defaults to the Kustomization's.",
    )
    .check(Label),
    FieldDef::string("api_version", "apiVersion", "API version of the source."),
];

const HEALTH_CHECK: &[FieldDef] = &[
    FieldDef::string("api_version", "apiVersion", "API version of the object.")
        .default(Str("apps/v1")),
    FieldDef::string("kind", "kind", "Kind of the object.").required(),
    FieldDef::string("name", "name", "Name of the object.")
        .required()
        .check(Name),
    FieldDef::string("namespace", "namespace", "Namespace of the object.").check(Label),
];

const SUBSTITUTE_FROM: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "`Secret` or `ConfigMap`.")
        .required()
        .check(OneOf(&["Secret", "ConfigMap"])),
    FieldDef::string("name", "name", "Name of the Secret or ConfigMap.")
        .required()
        .check(Name),
    flag(
        "optional",
        "optional",
        "Whether a missing object is tolerated.",
    ),
];

const POST_BUILD: &[FieldDef] = &[
    FieldDef::typed(
        "substitute",
        "substitute",
        StringMap,
        "Variables substituted in the manifests (`${var}`).",
    ),
    FieldDef::typed(
        "substitute_from",
        "substituteFrom",
        ObjectList(SUBSTITUTE_FROM),
        "Secrets and ConfigMaps whose data are substitution variables.",
    ),
];

const DECRYPTION: &[FieldDef] = &[
    FieldDef::string("provider", "provider", "Decryption provider; only `sops`.")
        .required()
        .check(OneOf(&["sops"])),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with the decryption keys.",
    ),
];

const PATCH_TARGET: &[FieldDef] = &[
    FieldDef::string("group", "group", "API group."),
    FieldDef::string("version", "version", "API version."),
    FieldDef::string("kind", "kind", "Kind."),
    FieldDef::string("name", "name", "Name (a regular expression)."),
    FieldDef::string(
        "namespace",
        "namespace",
        "Namespace (a regular expression).",
    ),
    FieldDef::string("label_selector", "labelSelector", "Label selector."),
    FieldDef::string(
        "annotation_selector",
        "annotationSelector",
        "Annotation selector.",
    ),
];

const PATCH: &[FieldDef] = &[
    FieldDef::string(
        "patch",
        "patch",
        "A strategic merge patch or a JSON 6902 patch, in YAML.",
    )
    .required(),
    FieldDef::typed(
        "target",
        "target",
        Object(PATCH_TARGET),
        "The objects the patch applies to.",
    ),
];

const IMAGE: &[FieldDef] = &[
    FieldDef::string("name", "name", "Image name to replace.").required(),
    FieldDef::string("new_name", "newName", "New image name."),
    FieldDef::string("new_tag", "newTag", "New tag."),
    FieldDef::string("digest", "digest", "Digest; takes precedence over new_tag."),
];

const COMMON_METADATA: &[FieldDef] = &[
    FieldDef::typed(
        "labels",
        "labels",
        StringMap,
        "Labels added to every object.",
    ),
    FieldDef::typed(
        "annotations",
        "annotations",
        StringMap,
        "Annotations added to every object.",
    ),
];

const KUSTOMIZATION_FIELDS: &[FieldDef] = &[
    FieldDef::typed(
        "source_ref",
        "sourceRef",
        Object(KUSTOMIZATION_SOURCE_REF),
        "The source of the manifests.",
    )
    .required(),
    FieldDef::string(
        "path",
        "path",
        "Path to the directory with the manifests in the source; its root when absent.",
    ),
    FieldDef::typed(
        "prune",
        "prune",
        FieldType::Bool,
        "Whether objects removed from the source are deleted from the cluster.",
    )
    .required(),
    duration(
        "interval",
        "interval",
        "How often the manifests are applied again (drift correction).",
    )
    .default(Str("10m0s")),
    duration(
        "retry_interval",
        "retryInterval",
        "How soon a failed apply is retried; defaults to interval.",
    ),
    duration(
        "timeout",
        "timeout",
        "Timeout of build, apply and health checks; defaults to interval minus 30s, at least 30s.",
    ),
    FieldDef::typed(
        "depends_on",
        "dependsOn",
        ObjectList(CROSS_NAMESPACE_REF),
        "Kustomizations that must be ready first.",
    ),
    FieldDef::string(
        "deletion_policy",
        "deletionPolicy",
        "What happens to the applied objects when the Kustomization is deleted.",
    )
    .check(OneOf(&[
        "MirrorPrune",
        "Delete",
        "WaitForTermination",
        "Orphan",
    ])),
    SUSPEND,
    flag(
        "force",
        "force",
        "Whether objects are recreated when an immutable field changes.",
    ),
    flag(
        "wait_for_objects",
        "wait",
        "Flux's `spec.wait`: whether every applied object must become ready (health_checks are then ignored).",
    ),
    FieldDef::typed(
        "health_checks",
        "healthChecks",
        ObjectList(HEALTH_CHECK),
        "Objects that must become ready.",
    ),
    FieldDef::string(
        "service_account_name",
        "serviceAccountName",
        "ServiceAccount to impersonate when applying.",
    )
    .check(Name),
    FieldDef::string(
        "target_namespace",
        "targetNamespace",
        "Namespace set on every namespaced object.",
    )
    .check(Label),
    FieldDef::string("name_prefix", "namePrefix", "Prefix of every object name.")
        .check(Check::MaxLen(200)),
    FieldDef::string("name_suffix", "nameSuffix", "Suffix of every object name.")
        .check(Check::MaxLen(200)),
    FieldDef::typed(
        "common_metadata",
        "commonMetadata",
        Object(COMMON_METADATA),
        "Labels and annotations added to every object.",
    ),
    FieldDef::typed(
        "patches",
        "patches",
        ObjectList(PATCH),
        "Patches applied to the manifests.",
    ),
    FieldDef::typed("images", "images", ObjectList(IMAGE), "Image overrides."),
    FieldDef::typed(
        "components",
        "components",
        StringList,
        "Kustomize components to include.",
    ),
    FieldDef::typed(
        "post_build",
        "postBuild",
        Object(POST_BUILD),
        "Variable substitution after the build.",
    ),
    FieldDef::typed(
        "decryption",
        "decryption",
        Object(DECRYPTION),
        "Decryption of SOPS-encrypted manifests.",
    ),
];

fn kustomization_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let (Some(interval), Some(retry)) = (
        spec.get("interval").and_then(Value::as_str),
        spec.get("retryInterval").and_then(Value::as_str),
    ) {
        if parse_duration(retry) > parse_duration(interval) {
            errors.push(FieldError::new(
                "retry_interval",
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
};

// --- source.toolkit.fluxcd.io/v1 HelmRepository ---

const HELM_REPOSITORY_FIELDS: &[FieldDef] = &[
    FieldDef::string("url", "url", "Chart repository URL: `http://`, `https://` or `oci://`.")
        .required()
        .check(Prefix(&["http://", "https://", "oci://"])),
    FieldDef::string("type", "type", "`default` (an index.yaml) or `oci` (a registry; such objects are static, never reconciled).")
        .default(Str("default"))
        .check(OneOf(&["default", "oci"])),
    duration("interval", "interval", "How often the index is downloaded.").default(Str("1m0s")),
    duration("timeout", "timeout", "Timeout of index downloads."),
    local_ref("secret_ref", "secretRef", "Secret with `username`/`password` or TLS keys."),
    local_ref("cert_secret_ref", "certSecretRef", "Secret with `ca.crt`, `tls.crt` and `tls.key`."),
    flag("pass_credentials", "passCredentials", "Whether credentials are also sent to chart hosts other than the repository's."),
    flag("insecure", "insecure", "Whether plain HTTP is allowed for OCI registries."),
    FieldDef::string("provider", "provider", "Authentication provider for OCI registries.")
        .default(Str("generic"))
        .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    SUSPEND,
];

fn helm_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let url = spec.get("url").and_then(Value::as_str).unwrap_or_default();
    let is_oci = spec.get("type").and_then(Value::as_str) == Some("oci");
    if is_oci != url.starts_with("oci://") {
        errors.push(FieldError::new(
            "type",
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
};

// --- helm.toolkit.fluxcd.io/v2 HelmRelease ---

const CHART_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "Kind of the source.")
        .required()
        .check(OneOf(&["HelmRepository", "GitRepository", "Bucket"])),
    FieldDef::string("name", "name", "Name of the source.")
        .required()
        .check(Name),
    FieldDef::string(
        "namespace",
        "namespace",
        "Namespace of the source; defaults to the HelmRelease's.",
    )
    .check(Label),
];

const CHART: &[FieldDef] = &[
    FieldDef::string(
        "chart",
        "chart",
        "Chart name (HelmRepository) or path (GitRepository, Bucket).",
    )
    .required()
    .check(Check::MaxLen(2048)),
    FieldDef::string("version", "version", "Semver range of chart versions.")
        .default(Str("*"))
        .check(Check::SemverRange),
    FieldDef::typed(
        "source_ref",
        "sourceRef",
        Object(CHART_SOURCE_REF),
        "The chart source.",
    )
    .required(),
    duration(
        "interval",
        "interval",
        "How often the chart is checked; defaults to the release's interval.",
    ),
    FieldDef::string(
        "reconcile_strategy",
        "reconcileStrategy",
        "When a new chart artifact is made: `ChartVersion` or `Revision`.",
    )
    .default(Str("ChartVersion"))
    .check(OneOf(&["ChartVersion", "Revision"])),
    FieldDef::typed(
        "values_files",
        "valuesFiles",
        StringList,
        "Values files in the chart merged in order.",
    ),
];

const CHART_REF: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "Kind of the chart object.")
        .required()
        .check(OneOf(&["OCIRepository", "HelmChart", "ExternalArtifact"])),
    FieldDef::string("name", "name", "Name of the chart object.")
        .required()
        .check(Name),
    FieldDef::string("namespace", "namespace", "Namespace of the chart object.").check(Label),
];

const REMEDIATION: &[FieldDef] = &[
    FieldDef::typed(
        "retries",
        "retries",
        FieldType::Int,
        "Retries after a failure (negative: unlimited).",
    ),
    FieldDef::typed(
        "remediate_last_failure",
        "remediateLastFailure",
        FieldType::Bool,
        "Whether the last failed retry is remediated too.",
    ),
];

const INSTALL: &[FieldDef] = &[
    duration("timeout", "timeout", "Timeout of the install."),
    flag(
        "create_namespace",
        "createNamespace",
        "Whether the target namespace is created.",
    ),
    flag(
        "disable_wait",
        "disableWait",
        "Whether Helm skips waiting for the resources.",
    ),
    FieldDef::string(
        "crds",
        "crds",
        "CRD policy: `Skip`, `Create` or `CreateReplace`.",
    )
    .check(OneOf(&["Skip", "Create", "CreateReplace"])),
    FieldDef::typed(
        "remediation",
        "remediation",
        Object(REMEDIATION),
        "What to do when the install fails.",
    ),
];

const UPGRADE: &[FieldDef] = &[
    duration("timeout", "timeout", "Timeout of the upgrade."),
    flag(
        "force",
        "force",
        "Whether resources are replaced when needed.",
    ),
    flag(
        "disable_wait",
        "disableWait",
        "Whether Helm skips waiting for the resources.",
    ),
    FieldDef::string(
        "crds",
        "crds",
        "CRD policy: `Skip`, `Create` or `CreateReplace`.",
    )
    .check(OneOf(&["Skip", "Create", "CreateReplace"])),
    FieldDef::typed(
        "remediation",
        "remediation",
        Object(REMEDIATION),
        "What to do when the upgrade fails.",
    ),
];

const VALUES_FROM: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "`Secret` or `ConfigMap`.")
        .required()
        .check(OneOf(&["Secret", "ConfigMap"])),
    FieldDef::string("name", "name", "Name of the object.")
        .required()
        .check(Name),
    FieldDef::string(
        "values_key",
        "valuesKey",
        "Data key holding the values (`values.yaml` by default).",
    ),
    FieldDef::string(
        "target_path",
        "targetPath",
        "Path in the values where the key's value is set.",
    ),
    flag(
        "optional",
        "optional",
        "Whether a missing object or key is tolerated.",
    ),
];

const DRIFT_DETECTION: &[FieldDef] =
    &[
        FieldDef::string("mode", "mode", "`enabled`, `warn` or `disabled`.")
            .default(Str("disabled"))
            .check(OneOf(&["enabled", "warn", "disabled"])),
    ];

const HELM_RELEASE_FIELDS: &[FieldDef] = &[
    FieldDef::typed("chart", "chart.spec", Object(CHART), "The chart, from a HelmRepository, GitRepository or Bucket; exactly one of chart and chart_ref."),
    FieldDef::typed("chart_ref", "chartRef", Object(CHART_REF), "The chart, from an OCIRepository, HelmChart or ExternalArtifact."),
    duration("interval", "interval", "How often the release is reconciled.").default(Str("10m0s")),
    FieldDef::string("release_name", "releaseName", "Helm release name; `<target_namespace>-<name>` or `<name>` when absent.").check(Check::MaxLen(53)),
    FieldDef::string("target_namespace", "targetNamespace", "Namespace the release is installed into.").check(Label),
    FieldDef::string("storage_namespace", "storageNamespace", "Namespace of the Helm storage.").check(Label),
    FieldDef::typed("depends_on", "dependsOn", ObjectList(CROSS_NAMESPACE_REF), "HelmReleases that must be ready first."),
    duration("timeout", "timeout", "Timeout of each Helm action.").default(Str("5m0s")),
    FieldDef::typed("max_history", "maxHistory", FieldType::Int, "Releases kept in the history (0: unlimited).").default(DefaultValue::Int(5)),
    FieldDef::string("service_account_name", "serviceAccountName", "ServiceAccount to impersonate.").check(Name),
    SUSPEND,
    FieldDef::typed("install", "install", Object(INSTALL), "Install settings."),
    FieldDef::typed("upgrade", "upgrade", Object(UPGRADE), "Upgrade settings."),
    FieldDef::typed("values", "values", FieldType::Document, "Values, as YAML or JSON text (`yamlencode({...})`)."),
    FieldDef::typed("values_from", "valuesFrom", ObjectList(VALUES_FROM), "Secrets and ConfigMaps holding values, merged before `values`."),
    FieldDef::typed("drift_detection", "driftDetection", Object(DRIFT_DETECTION), "Drift detection of the installed objects."),
];

fn helm_release_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let chart = spec.get("chart").is_some();
    let chart_ref = spec.get("chartRef").is_some();
    if chart == chart_ref {
        vec![FieldError::new(
            "chart",
            "exactly one of chart and chart_ref must be set",
        )]
    } else {
        Vec::new()
    }
}

/// `helm.toolkit.fluxcd.io/v2` HelmRelease.
pub static HELM_RELEASE: KindDef = KindDef {
    api_version: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    fields: HELM_RELEASE_FIELDS,
    rules: helm_release_rules,
    is_static: never_static,
};

/// Every kind, for lookups by kind name.
pub fn all() -> [&'static KindDef; 4] {
    [
        &GIT_REPOSITORY,
        &KUSTOMIZATION,
        &HELM_REPOSITORY,
        &HELM_RELEASE,
    ]
}

#[allow(dead_code)]
fn _unused() -> fn(&Map<String, Value>) -> Vec<FieldError> {
    no_rules
}

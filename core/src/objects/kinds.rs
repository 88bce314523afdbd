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
    /// Fills the fields whose default depends on other fields, as `flux create` does.
    pub derived_defaults: fn(&mut Map<String, Value>),
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

fn no_derived_defaults(_: &mut Map<String, Value>) {}

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
        .default(Str("1m0s"))
        .written(),
    duration("timeout", "timeout", "Timeout of git operations.").default(Str("60s")),
    FieldDef::typed("ref", "ref", Object(GIT_REF), "Git reference to check out; the controller uses branch `master` when absent."),
    local_ref("secret_ref", "secretRef", "Secret with the credentials (`username`/`password`, `bearerToken`, or `identity`/`known_hosts`)."),
    FieldDef::string("auth_provider", "provider", "Authentication provider. Flux's `provider`, renamed because `provider` is a Terraform meta-argument.")
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
    derived_defaults: no_derived_defaults,
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
    .default(Str("10m0s"))
    .written(),
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
        "dependencies",
        "dependsOn",
        ObjectList(CROSS_NAMESPACE_REF),
        "Kustomizations that must be ready first: Flux's `dependsOn`, renamed because `depends_on` is a Terraform meta-argument.",
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
    derived_defaults: no_derived_defaults,
};

// --- source.toolkit.fluxcd.io/v1 HelmRepository ---

const HELM_REPOSITORY_FIELDS: &[FieldDef] = &[
    FieldDef::string("url", "url", "Chart repository URL: `http://`, `https://` or `oci://`.")
        .required()
        .check(Prefix(&["http://", "https://", "oci://"])),
    FieldDef::string("type", "type", "`default` (an index.yaml) or `oci` (a registry; such objects are static, never reconciled).")
        .default(Str("default"))
        .check(OneOf(&["default", "oci"])),
    duration("interval", "interval", "How often the index is downloaded.")
        .default(Str("1m0s"))
        .written(),
    duration("timeout", "timeout", "Timeout of index downloads."),
    local_ref("secret_ref", "secretRef", "Secret with `username`/`password` or TLS keys."),
    local_ref("cert_secret_ref", "certSecretRef", "Secret with `ca.crt`, `tls.crt` and `tls.key`."),
    flag("pass_credentials", "passCredentials", "Whether credentials are also sent to chart hosts other than the repository's."),
    flag("insecure", "insecure", "Whether plain HTTP is allowed for OCI registries."),
    FieldDef::string("auth_provider", "provider", "Authentication provider for OCI registries. Flux's `provider`, renamed because `provider` is a Terraform meta-argument.")
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
    derived_defaults: no_derived_defaults,
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
    .written()
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
    duration("interval", "interval", "How often the release is reconciled.")
        .default(Str("10m0s"))
        .written(),
    FieldDef::string("release_name", "releaseName", "Helm release name; `<target_namespace>-<name>` or `<name>` when absent.").check(Check::MaxLen(53)),
    FieldDef::string("target_namespace", "targetNamespace", "Namespace the release is installed into.").check(Label),
    FieldDef::string("storage_namespace", "storageNamespace", "Namespace of the Helm storage.").check(Label),
    FieldDef::typed("dependencies", "dependsOn", ObjectList(CROSS_NAMESPACE_REF), "HelmReleases that must be ready first: Flux's `dependsOn`, renamed because `depends_on` is a Terraform meta-argument."),
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
/// Helm keeps its release records in the target namespace, as `flux create
/// helmrelease --target-namespace` sets it, so that `helm list -n <target>` shows
/// the release.
fn helm_release_derived_defaults(spec: &mut Map<String, Value>) {
    if spec.contains_key("storageNamespace") {
        return;
    }
    if let Some(target) = spec.get("targetNamespace").cloned() {
        spec.insert("storageNamespace".into(), target);
    }
}

pub static HELM_RELEASE: KindDef = KindDef {
    api_version: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    fields: HELM_RELEASE_FIELDS,
    rules: helm_release_rules,
    is_static: never_static,
    derived_defaults: helm_release_derived_defaults,
};

// --- source.toolkit.fluxcd.io/v1 OCIRepository ---

const OCI_REF: &[FieldDef] = &[
    FieldDef::string(
        "digest",
        "digest",
        "Image digest to pull; takes precedence over everything else.",
    ),
    FieldDef::string(
        "semver",
        "semver",
        "Semver range of tags; takes precedence over tag.",
    )
    .check(Check::SemverRange),
    FieldDef::string(
        "semver_filter",
        "semverFilter",
        "Regular expression filtering the tags before the semver range.",
    )
    .check(Check::Regex),
    FieldDef::string(
        "tag",
        "tag",
        "Tag to pull (`latest` when no reference is given).",
    ),
];

const LAYER_SELECTOR: &[FieldDef] = &[
    FieldDef::string(
        "media_type",
        "mediaType",
        "Media type of the layer; the first layer when absent.",
    ),
    FieldDef::string(
        "operation",
        "operation",
        "`extract` (the default) or `copy`.",
    )
    .check(OneOf(&["extract", "copy"])),
];

const OCI_VERIFY: &[FieldDef] = &[
    FieldDef::string("provider", "provider", "`cosign` or `notation`.")
        .default(Str("cosign"))
        .check(OneOf(&["cosign", "notation"])),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with the trusted public keys.",
    ),
];

const OCI_REPOSITORY_FIELDS: &[FieldDef] = &[
    FieldDef::string(
        "url",
        "url",
        "Artifact URL: `oci://<registry>/<repository>`.",
    )
    .required()
    .check(Prefix(&["oci://"])),
    FieldDef::typed(
        "ref",
        "ref",
        Object(OCI_REF),
        "Artifact reference; tag `latest` when absent.",
    ),
    FieldDef::typed(
        "layer_selector",
        "layerSelector",
        Object(LAYER_SELECTOR),
        "Which layer of the artifact is used.",
    ),
    FieldDef::string("auth_provider", "provider", "Authentication provider. Flux's `provider`, renamed because `provider` is a Terraform meta-argument.")
        .default(Str("generic"))
        .written()
        .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret of type `kubernetes.io/dockerconfigjson` with registry credentials.",
    ),
    FieldDef::typed(
        "verify",
        "verify",
        Object(OCI_VERIFY),
        "Signature verification.",
    ),
    FieldDef::string(
        "service_account_name",
        "serviceAccountName",
        "ServiceAccount whose image pull secrets are used.",
    )
    .check(Name),
    local_ref(
        "cert_secret_ref",
        "certSecretRef",
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(
        "proxy_secret_ref",
        "proxySecretRef",
        "Secret with the proxy settings.",
    ),
    duration("interval", "interval", "How often the registry is checked.")
        .default(Str("1m0s"))
        .written(),
    duration("timeout", "timeout", "Timeout of registry operations.").default(Str("60s")),
    FieldDef::string(
        "ignore",
        "ignore",
        "Paths to leave out of the artifact, in `.sourceignore` syntax.",
    ),
    flag("insecure", "insecure", "Whether plain HTTP is allowed."),
    SUSPEND,
];

/// `source.toolkit.fluxcd.io/v1` OCIRepository.
pub static OCI_REPOSITORY: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "OCIRepository",
    fields: OCI_REPOSITORY_FIELDS,
    rules: no_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
};

// --- source.toolkit.fluxcd.io/v1 Bucket ---

const STS: &[FieldDef] = &[
    FieldDef::string("provider", "provider", "`aws` or `ldap`.")
        .required()
        .check(OneOf(&["aws", "ldap"])),
    FieldDef::string("endpoint", "endpoint", "Security token service endpoint.")
        .required()
        .check(Prefix(&["http://", "https://"])),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with the STS credentials (ldap).",
    ),
    local_ref(
        "cert_secret_ref",
        "certSecretRef",
        "Secret with the STS TLS settings (ldap).",
    ),
];

const BUCKET_FIELDS: &[FieldDef] = &[
    FieldDef::string("auth_provider", "provider", "Storage provider. Flux's `provider`, renamed because `provider` is a Terraform meta-argument.")
        .default(Str("generic"))
        .written()
        .check(OneOf(&["generic", "aws", "gcp", "azure"])),
    FieldDef::string("bucket_name", "bucketName", "Bucket name.").required(),
    FieldDef::string(
        "endpoint",
        "endpoint",
        "Storage endpoint (host, without scheme).",
    )
    .required(),
    flag("insecure", "insecure", "Whether plain HTTP is used."),
    FieldDef::string("region", "region", "Bucket region."),
    FieldDef::string("prefix", "prefix", "Object key prefix to download."),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with `accesskey` and `secretkey` (or the provider's keys).",
    ),
    local_ref(
        "cert_secret_ref",
        "certSecretRef",
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(
        "proxy_secret_ref",
        "proxySecretRef",
        "Secret with the proxy settings.",
    ),
    FieldDef::string(
        "service_account_name",
        "serviceAccountName",
        "ServiceAccount for workload identity (not with provider generic).",
    )
    .check(Name),
    FieldDef::typed(
        "sts",
        "sts",
        Object(STS),
        "Security token service (providers aws and generic).",
    ),
    duration("interval", "interval", "How often the bucket is checked.")
        .default(Str("1m0s"))
        .written(),
    duration("timeout", "timeout", "Timeout of bucket operations.").default(Str("60s")),
    FieldDef::string(
        "ignore",
        "ignore",
        "Paths to leave out of the artifact, in `.sourceignore` syntax.",
    ),
    SUSPEND,
];

fn bucket_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let provider = spec
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("generic");
    if spec.contains_key("serviceAccountName") {
        if spec.contains_key("secretRef") {
            errors.push(FieldError::new(
                "service_account_name",
                "cannot be set together with secret_ref",
            ));
        }
        if provider == "generic" {
            errors.push(FieldError::new(
                "service_account_name",
                "is not allowed with provider generic",
            ));
        }
    }
    if let Some(sts) = spec.get("sts") {
        let sts_provider = sts
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match provider {
            "aws"
                if sts_provider != "aws"
                    || sts.get("secretRef").is_some()
                    || sts.get("certSecretRef").is_some() =>
            {
                errors.push(FieldError::new(
                    "sts",
                    "provider aws needs sts provider aws without secret_ref or cert_secret_ref",
                ))
            }
            "generic" if sts_provider != "ldap" => errors.push(FieldError::new(
                "sts.provider",
                "provider generic needs sts provider ldap",
            )),
            "aws" | "generic" => {}
            other => errors.push(FieldError::new(
                "sts",
                format!("is not supported with provider {other}"),
            )),
        }
    }
    errors
}

/// `source.toolkit.fluxcd.io/v1` Bucket.
pub static BUCKET: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    fields: BUCKET_FIELDS,
    rules: bucket_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
};

// --- notification.toolkit.fluxcd.io: Provider, Alert (v1beta3), Receiver (v1) ---

const EVENT_KINDS: &[&str] = &[
    "Bucket",
    "GitRepository",
    "Kustomization",
    "HelmRelease",
    "HelmChart",
    "HelmRepository",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
    "OCIRepository",
    "ArtifactGenerator",
    "ExternalArtifact",
];

const EVENT_REF: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "Kind of the objects.")
        .required()
        .check(OneOf(EVENT_KINDS)),
    FieldDef::string(
        "name",
        "name",
        "Name of the object; `*` selects every object.",
    )
    .required()
    .check(Check::MaxLen(253)),
    FieldDef::string(
        "namespace",
        "namespace",
        "Namespace; `*` (with name `*`) means all namespaces.",
    )
    .check(Check::MaxLen(253)),
    FieldDef::string("api_version", "apiVersion", "API version of the objects."),
    FieldDef::typed(
        "match_labels",
        "matchLabels",
        StringMap,
        "Labels the objects must have (with name `*`).",
    ),
];

fn event_ref_rules(spec: &Map<String, Value>, key: &str, name: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, item) in spec
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let all_names = item.get("name").and_then(Value::as_str) == Some("*");
        if item.get("namespace").and_then(Value::as_str) == Some("*") && !all_names {
            errors.push(FieldError::new(
                format!("{name}[{i}].namespace"),
                "* requires name *",
            ));
        }
        if item.get("matchLabels").is_some() && !all_names {
            errors.push(FieldError::new(
                format!("{name}[{i}].match_labels"),
                "requires name *",
            ));
        }
    }
    errors
}

const PROVIDER_TYPES: &[&str] = &[
    "slack",
    "discord",
    "msteams",
    "rocket",
    "generic",
    "generic-hmac",
    "github",
    "gitlab",
    "gitea",
    "bitbucketserver",
    "bitbucket",
    "azuredevops",
    "googlechat",
    "googlepubsub",
    "webex",
    "sentry",
    "azureeventhub",
    "telegram",
    "lark",
    "matrix",
    "opsgenie",
    "alertmanager",
    "grafana",
    "githubdispatch",
    "pagerduty",
    "datadog",
    "nats",
];

const NOTIFICATION_PROVIDER_FIELDS: &[FieldDef] = &[
    FieldDef::string("type", "type", "Provider type.").required().check(OneOf(PROVIDER_TYPES)),
    FieldDef::string("channel", "channel", "Channel, room or topic, depending on the type.").check(Check::MaxLen(2048)),
    FieldDef::string("username", "username", "Bot user name.").check(Check::MaxLen(2048)),
    FieldDef::string("address", "address", "Webhook or API address, depending on the type; a secret address belongs in secret_data (`address`).").check(Check::MaxLen(2048)),
    duration("timeout", "timeout", "Timeout of each notification.").default(Str("15s")),
    local_ref("secret_ref", "secretRef", "Secret with the credentials (`token`, `address`, `username`, `password`, `headers`)."),
    local_ref("proxy_secret_ref", "proxySecretRef", "Secret with `address` (and optional `username`, `password`) of a proxy."),
    local_ref("cert_secret_ref", "certSecretRef", "Secret with `ca.crt`, `tls.crt` and `tls.key`."),
    FieldDef::string("service_account_name", "serviceAccountName", "ServiceAccount for workload identity (azureeventhub, azuredevops, googlepubsub).").check(Name),
    FieldDef::string("commit_status_expr", "commitStatusExpr", "CEL expression of the commit status id (git providers only)."),
    SUSPEND,
];

fn notification_provider_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let kind = spec.get("type").and_then(Value::as_str).unwrap_or_default();
    let git = [
        "github",
        "gitlab",
        "gitea",
        "bitbucketserver",
        "bitbucket",
        "azuredevops",
    ];
    if spec.contains_key("commitStatusExpr") && !git.contains(&kind) {
        return vec![FieldError::new(
            "commit_status_expr",
            format!("is not supported by type {kind}"),
        )];
    }
    Vec::new()
}

fn always_static(_: &Map<String, Value>) -> bool {
    true
}

/// `notification.toolkit.fluxcd.io/v1beta3` Provider (static: no status).
pub static NOTIFICATION_PROVIDER: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    fields: NOTIFICATION_PROVIDER_FIELDS,
    rules: notification_provider_rules,
    is_static: always_static,
    derived_defaults: no_derived_defaults,
};

const ALERT_FIELDS: &[FieldDef] = &[
    local_ref("provider_ref", "providerRef", "The notification Provider.").required(),
    FieldDef::string(
        "event_severity",
        "eventSeverity",
        "`info` (everything) or `error`.",
    )
    .default(Str("info"))
    .check(OneOf(&["info", "error"])),
    FieldDef::typed(
        "event_sources",
        "eventSources",
        ObjectList(EVENT_REF),
        "Objects whose events are sent.",
    )
    .required(),
    FieldDef::typed(
        "inclusion_list",
        "inclusionList",
        StringList,
        "Regular expressions an event message must match.",
    )
    .check(Check::Regex),
    FieldDef::typed(
        "exclusion_list",
        "exclusionList",
        StringList,
        "Regular expressions of event messages to drop.",
    )
    .check(Check::Regex),
    FieldDef::typed(
        "event_metadata",
        "eventMetadata",
        StringMap,
        "Metadata added to every event.",
    ),
    FieldDef::string("summary", "summary", "Summary added to every event.")
        .check(Check::MaxLen(255)),
    SUSPEND,
];

fn alert_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    event_ref_rules(spec, "eventSources", "event_sources")
}

/// `notification.toolkit.fluxcd.io/v1beta3` Alert (static: no status).
pub static ALERT: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    fields: ALERT_FIELDS,
    rules: alert_rules,
    is_static: always_static,
    derived_defaults: no_derived_defaults,
};

const RECEIVER_FIELDS: &[FieldDef] = &[
    FieldDef::string(
        "type",
        "type",
        "Webhook sender type (`generic-oidc` is not supported by this provider yet).",
    )
    .required()
    .check(OneOf(&[
        "generic",
        "generic-hmac",
        "github",
        "gitlab",
        "bitbucket",
        "harbor",
        "dockerhub",
        "quay",
        "gcr",
        "nexus",
        "acr",
        "cdevents",
    ])),
    duration(
        "interval",
        "interval",
        "How often the receiver is reconciled.",
    )
    .default(Str("10m0s")),
    FieldDef::typed(
        "events",
        "events",
        StringList,
        "Event types accepted (`push`, `Push Hook`, ...); all when empty.",
    ),
    FieldDef::typed(
        "resources",
        "resources",
        ObjectList(EVENT_REF),
        "Objects reconciled when a webhook arrives.",
    )
    .required(),
    FieldDef::string(
        "resource_filter",
        "resourceFilter",
        "CEL expression selecting the resources per request.",
    ),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with the webhook `token` (gcr also `email` and `audience`).",
    )
    .required(),
    SUSPEND,
];

fn receiver_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    event_ref_rules(spec, "resources", "resources")
}

/// `notification.toolkit.fluxcd.io/v1` Receiver.
pub static RECEIVER: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1",
    kind: "Receiver",
    fields: RECEIVER_FIELDS,
    rules: receiver_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
};

// --- image.toolkit.fluxcd.io/v1 ---

const IMAGE_REPOSITORY_FIELDS: &[FieldDef] = &[
    FieldDef::string(
        "image",
        "image",
        "Image to scan, without tag (`ghcr.io/org/app`).",
    )
    .required(),
    duration("interval", "interval", "How often the tags are scanned.")
        .default(Str("1m0s"))
        .written(),
    duration(
        "timeout",
        "timeout",
        "Timeout of a scan; defaults to interval.",
    ),
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret of type `kubernetes.io/dockerconfigjson` with registry credentials.",
    ),
    local_ref(
        "cert_secret_ref",
        "certSecretRef",
        "Secret with `ca.crt`, `tls.crt` and `tls.key`.",
    ),
    local_ref(
        "proxy_secret_ref",
        "proxySecretRef",
        "Secret with the proxy settings.",
    ),
    FieldDef::string(
        "service_account_name",
        "serviceAccountName",
        "ServiceAccount whose image pull secrets are used.",
    )
    .check(Name),
    flag("insecure", "insecure", "Whether plain HTTP is allowed."),
    FieldDef::typed(
        "exclusion_list",
        "exclusionList",
        StringList,
        "Regular expressions of tags to ignore (Flux's default: `^.*\\.sig$`).",
    )
    .check(Check::Regex),
    FieldDef::string("auth_provider", "provider", "Authentication provider. Flux's `provider`, renamed because `provider` is a Terraform meta-argument.")
        .default(Str("generic"))
        .check(OneOf(&["generic", "aws", "azure", "gcp"])),
    SUSPEND,
];

fn image_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    match spec.get("exclusionList").and_then(Value::as_array) {
        Some(list) if list.len() > 25 => vec![FieldError::new(
            "exclusion_list",
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
};

const ORDER: &[FieldDef] = &[FieldDef::string("order", "order", "`asc` or `desc`.")
    .default(Str("asc"))
    .check(OneOf(&["asc", "desc"]))];

const SEMVER_POLICY: &[FieldDef] =
    &[
        FieldDef::string("range", "range", "Semver range of acceptable tags.")
            .required()
            .check(Check::SemverRange),
    ];

const POLICY: &[FieldDef] = &[
    FieldDef::typed(
        "semver",
        "semver",
        Object(SEMVER_POLICY),
        "Latest tag in a semver range.",
    ),
    FieldDef::typed(
        "alphabetical",
        "alphabetical",
        Object(ORDER),
        "Last tag in alphabetical order.",
    ),
    FieldDef::typed(
        "numerical",
        "numerical",
        Object(ORDER),
        "Last tag in numerical order.",
    ),
];

const FILTER_TAGS: &[FieldDef] = &[
    FieldDef::string("pattern", "pattern", "Regular expression tags must match.")
        .check(Check::Regex),
    FieldDef::string(
        "extract",
        "extract",
        "Replacement (`$ts`) giving the value the policy orders.",
    ),
];

const IMAGE_POLICY_FIELDS: &[FieldDef] = &[
    FieldDef::typed("image_repository_ref", "imageRepositoryRef", Object(CROSS_NAMESPACE_REF), "The ImageRepository whose tags are chosen from.").required(),
    FieldDef::typed("policy", "policy", Object(POLICY), "How the latest tag is chosen: exactly one of semver, alphabetical and numerical.").required(),
    FieldDef::typed("filter_tags", "filterTags", Object(FILTER_TAGS), "Tag filter applied before the policy."),
    FieldDef::string("digest_reflection_policy", "digestReflectionPolicy", "When the digest of the chosen tag is looked up.")
        .default(Str("Never"))
        .check(OneOf(&["Always", "IfNotPresent", "Never"])),
    duration("interval", "interval", "How often the digest is refreshed; only with digest_reflection_policy Always, and required then."),
    SUSPEND,
];

fn image_policy_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chosen = ["semver", "alphabetical", "numerical"]
        .iter()
        .filter(|k| spec.get("policy").and_then(|p| p.get(**k)).is_some())
        .count();
    if chosen != 1 {
        errors.push(FieldError::new(
            "policy",
            "exactly one of semver, alphabetical and numerical must be set",
        ));
    }
    let always = spec.get("digestReflectionPolicy").and_then(Value::as_str) == Some("Always");
    if always != spec.contains_key("interval") {
        errors.push(FieldError::new(
            "interval",
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
};

const IUA_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string("kind", "kind", "Only `GitRepository`.")
        .default(Str("GitRepository"))
        .written()
        .check(OneOf(&["GitRepository"])),
    FieldDef::string("name", "name", "Name of the GitRepository.")
        .required()
        .check(Name),
    FieldDef::string("namespace", "namespace", "Namespace of the GitRepository.").check(Label),
];

const CHECKOUT: &[FieldDef] = &[FieldDef::typed(
    "ref",
    "ref",
    Object(GIT_REF),
    "Reference to check out; the GitRepository's when absent.",
)];

const COMMIT_AUTHOR: &[FieldDef] = &[
    FieldDef::string("name", "name", "Author name."),
    FieldDef::string("email", "email", "Author e-mail.").required(),
];

const SIGNING_KEY: &[FieldDef] = &[
    local_ref(
        "secret_ref",
        "secretRef",
        "Secret with the key (`git.asc` for gpg, `identity` for ssh).",
    )
    .required(),
    FieldDef::string("type", "type", "`gpg` or `ssh`.")
        .default(Str("gpg"))
        .check(OneOf(&["gpg", "ssh"])),
];

const COMMIT: &[FieldDef] = &[
    FieldDef::typed("author", "author", Object(COMMIT_AUTHOR), "Commit author.").required(),
    FieldDef::typed(
        "signing_key",
        "signingKey",
        Object(SIGNING_KEY),
        "Commit signing key.",
    ),
    FieldDef::string(
        "message_template",
        "messageTemplate",
        "Go template of the commit message (use `Changed`, not `Updated`).",
    ),
];

const PUSH: &[FieldDef] = &[
    FieldDef::string(
        "branch",
        "branch",
        "Branch to push to; the checkout branch when absent.",
    ),
    FieldDef::string(
        "refspec",
        "refspec",
        "Refspec to push (no deletes or forced pushes).",
    ),
    FieldDef::typed("options", "options", StringMap, "Push options."),
];

const IUA_GIT: &[FieldDef] = &[
    FieldDef::typed(
        "checkout",
        "checkout",
        Object(CHECKOUT),
        "What is checked out.",
    ),
    FieldDef::typed(
        "commit",
        "commit",
        Object(COMMIT),
        "How changes are committed.",
    )
    .required(),
    FieldDef::typed("push", "push", Object(PUSH), "Where commits are pushed."),
];

const LABEL_SELECTOR: &[FieldDef] = &[FieldDef::typed(
    "match_labels",
    "matchLabels",
    StringMap,
    "Labels the ImagePolicies must have.",
)];

const UPDATE: &[FieldDef] = &[
    FieldDef::string("strategy", "strategy", "Only `Setters`.")
        .default(Str("Setters"))
        .written()
        .check(OneOf(&["Setters"])),
    FieldDef::string(
        "path",
        "path",
        "Directory updated; the repository root when absent.",
    ),
];

const IMAGE_UPDATE_AUTOMATION_FIELDS: &[FieldDef] = &[
    FieldDef::typed(
        "source_ref",
        "sourceRef",
        Object(IUA_SOURCE_REF),
        "The GitRepository to update.",
    )
    .required(),
    FieldDef::typed(
        "git",
        "git",
        Object(IUA_GIT),
        "Checkout, commit and push settings.",
    )
    .required(),
    duration("interval", "interval", "How often the automation runs.")
        .default(Str("30m0s"))
        .written(),
    FieldDef::typed(
        "policy_selector",
        "policySelector",
        Object(LABEL_SELECTOR),
        "ImagePolicies used; all of the namespace when absent.",
    ),
    FieldDef::typed(
        "update",
        "update",
        Object(UPDATE),
        "How manifests are updated.",
    ),
    SUSPEND,
];

fn image_update_automation_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let refspec = spec
        .get("git")
        .and_then(|g| g.get("push"))
        .and_then(|p| p.get("refspec"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if refspec.starts_with('+') || refspec.starts_with(':') {
        return vec![FieldError::new(
            "git.push.refspec",
            "must not delete or force-push (no leading + or :)",
        )];
    }
    Vec::new()
}

/// `image.toolkit.fluxcd.io/v1` ImageUpdateAutomation.
pub static IMAGE_UPDATE_AUTOMATION: KindDef = KindDef {
    api_version: "image.toolkit.fluxcd.io/v1",
    kind: "ImageUpdateAutomation",
    fields: IMAGE_UPDATE_AUTOMATION_FIELDS,
    rules: image_update_automation_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
};

/// Every kind.
pub fn all() -> [&'static KindDef; 12] {
    [
        &GIT_REPOSITORY,
        &OCI_REPOSITORY,
        &HELM_REPOSITORY,
        &BUCKET,
        &KUSTOMIZATION,
        &HELM_RELEASE,
        &NOTIFICATION_PROVIDER,
        &ALERT,
        &RECEIVER,
        &IMAGE_REPOSITORY,
        &IMAGE_POLICY,
        &IMAGE_UPDATE_AUTOMATION,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{ObjectError, ObjectSpec};
    use serde_json::json;

    fn errors(kind: &'static KindDef, spec: Value) -> Vec<String> {
        match ObjectSpec::new(
            kind,
            "flux-system",
            "x",
            spec.as_object().cloned().unwrap_or_default(),
        ) {
            Ok(_) => Vec::new(),
            Err(ObjectError::Invalid { errors, .. }) => {
                errors.iter().map(|e| e.path.clone()).collect()
            }
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn image_policy_needs_exactly_one_policy_and_interval_only_with_always() {
        let repo = json!({"name": "app"});
        assert_eq!(
            errors(
                &IMAGE_POLICY,
                json!({"imageRepositoryRef": repo, "policy": {}})
            ),
            ["policy"]
        );
        assert_eq!(
            errors(
                &IMAGE_POLICY,
                json!({"imageRepositoryRef": repo, "policy": {"semver": {"range": "1.x"}}, "interval": "5m"})
            ),
            ["interval"]
        );
        assert!(errors(
            &IMAGE_POLICY,
            json!({"imageRepositoryRef": repo, "policy": {"numerical": {}}})
        )
        .is_empty());
    }

    #[test]
    fn bucket_service_account_rules_follow_flux() {
        let base = json!({"bucketName": "b", "endpoint": "minio:9000", "serviceAccountName": "sa"});
        assert_eq!(errors(&BUCKET, base.clone()), ["service_account_name"]);
        let mut aws = base;
        aws["provider"] = json!("aws");
        aws["sts"] = json!({"provider": "ldap", "endpoint": "https://sts"});
        assert_eq!(errors(&BUCKET, aws), ["sts"]);
    }

    #[test]
    fn alert_event_sources_wildcard_namespace_needs_wildcard_name() {
        let spec = json!({"providerRef": {"name": "slack"},
            "eventSources": [{"kind": "Kustomization", "name": "apps", "namespace": "*"}]});
        assert_eq!(errors(&ALERT, spec), ["event_sources[0].namespace"]);
    }

    #[test]
    fn receiver_and_iua_required_fields_are_named() {
        assert_eq!(
            errors(&RECEIVER, json!({"type": "github"})),
            ["resources", "secret_ref"]
        );
        let iua = json!({"sourceRef": {"name": "fleet"}, "git": {"commit": {"author": {"name": "bot"}},
            "push": {"refspec": "+refs/heads/main"}}});
        assert_eq!(
            errors(&IMAGE_UPDATE_AUTOMATION, iua),
            ["git.commit.author.email"]
        );
    }

    #[test]
    fn notification_kinds_are_static() {
        let empty = Map::new();
        assert!((ALERT.is_static)(&empty) && (NOTIFICATION_PROVIDER.is_static)(&empty));
        assert!(!(RECEIVER.is_static)(&empty));
    }
}

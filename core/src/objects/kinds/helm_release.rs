//! `helm.toolkit.fluxcd.io/v2` HelmRelease: a chart installed and upgraded by the helm controller.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{duration, flag, name_of, never_static, CROSS_NAMESPACE_REF, SUSPEND};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Label, Name, OneOf};
use DefaultValue::Str;
use FieldType::{Object, ObjectList, StringList};

const CHART_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "Kind of the source.")
        .required()
        .check(OneOf(&["HelmRepository", "GitRepository", "Bucket"])),
    FieldDef::string(field!("name"), "Name of the source.")
        .required()
        .check(Name),
    FieldDef::string(
        field!("namespace"),
        "Namespace of the source; defaults to the HelmRelease's.",
    )
    .check(Label),
];

const CHART: &[FieldDef] = &[
    FieldDef::string(
        field!("chart"),
        "Chart name (HelmRepository) or path (GitRepository, Bucket).",
    )
    .required()
    .check(Check::MaxLen(2048)),
    FieldDef::string(field!("version"), "Semver range of chart versions.")
        .default(Str("*"))
        .check(Check::SemverRange),
    FieldDef::typed(
        field!("sourceRef"),
        Object(CHART_SOURCE_REF),
        "The chart source.",
    )
    .required(),
    duration(
        field!("interval"),
        "How often the chart is checked; defaults to the release's interval.",
    ),
    FieldDef::string(
        field!("reconcileStrategy"),
        "When a new chart artifact is made: `ChartVersion` or `Revision`.",
    )
    .default(Str("ChartVersion"))
    .written()
    .check(OneOf(&["ChartVersion", "Revision"])),
    FieldDef::typed(
        field!("valuesFiles"),
        StringList,
        "Values files in the chart merged in order.",
    ),
];

const CHART_REF: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "Kind of the chart object.")
        .required()
        .check(OneOf(&["OCIRepository", "HelmChart", "ExternalArtifact"])),
    FieldDef::string(field!("name"), "Name of the chart object.")
        .required()
        .check(Name),
    FieldDef::string(field!("namespace"), "Namespace of the chart object.").check(Label),
];

const REMEDIATION: &[FieldDef] = &[
    FieldDef::typed(
        field!("retries"),
        FieldType::Int,
        "Retries after a failure (negative: unlimited).",
    ),
    FieldDef::typed(
        field!("remediateLastFailure"),
        FieldType::Bool,
        "Whether the last failed retry is remediated too.",
    ),
];

const INSTALL: &[FieldDef] = &[
    duration(field!("timeout"), "Timeout of the install."),
    flag(
        field!("createNamespace"),
        "Whether the target namespace is created.",
    ),
    flag(
        field!("disableWait"),
        "Whether Helm skips waiting for the resources.",
    ),
    FieldDef::string(
        field!("crds"),
        "CRD policy: `Skip`, `Create` or `CreateReplace`.",
    )
    .check(OneOf(&["Skip", "Create", "CreateReplace"])),
    FieldDef::typed(
        field!("remediation"),
        Object(REMEDIATION),
        "What to do when the install fails.",
    ),
];

const UPGRADE: &[FieldDef] = &[
    duration(field!("timeout"), "Timeout of the upgrade."),
    flag(
        field!("force"),
        "Whether resources are replaced when needed.",
    ),
    flag(
        field!("disableWait"),
        "Whether Helm skips waiting for the resources.",
    ),
    FieldDef::string(
        field!("crds"),
        "CRD policy: `Skip`, `Create` or `CreateReplace`.",
    )
    .check(OneOf(&["Skip", "Create", "CreateReplace"])),
    FieldDef::typed(
        field!("remediation"),
        Object(REMEDIATION),
        "What to do when the upgrade fails.",
    ),
];

const VALUES_FROM: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "`Secret` or `ConfigMap`.")
        .required()
        .check(OneOf(&["Secret", "ConfigMap"])),
    FieldDef::string(field!("name"), "Name of the object.")
        .required()
        .check(Name),
    FieldDef::string(
        field!("valuesKey"),
        "Data key holding the values (`values.yaml` by default).",
    ),
    FieldDef::string(
        field!("targetPath"),
        "Path in the values where the key's value is set.",
    ),
    flag(
        field!("optional"),
        "Whether a missing object or key is tolerated.",
    ),
];

const DRIFT_DETECTION: &[FieldDef] =
    &[
        FieldDef::string(field!("mode"), "`enabled`, `warn` or `disabled`.")
            .default(Str("disabled"))
            .check(OneOf(&["enabled", "warn", "disabled"])),
    ];

const HELM_RELEASE_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::typed(field!("chart.spec"), Object(CHART), "The chart, from a HelmRepository, GitRepository or Bucket; exactly one of chart and chart_ref."),
    FieldDef::typed(field!("chartRef"), Object(CHART_REF), "The chart, from an OCIRepository, HelmChart or ExternalArtifact."),
    duration(field!("interval"), "How often the release is reconciled.")
        .default(Str("10m0s"))
        .written(),
    FieldDef::string(field!("releaseName"), "Helm release name; `<target_namespace>-<name>` or `<name>` when absent.").check(Check::MaxLen(53)),
    FieldDef::string(field!("targetNamespace"), "Namespace the release is installed into.").check(Label),
    FieldDef::string(field!("storageNamespace"), "Namespace of the Helm storage.").check(Label),
    FieldDef::typed(field!("dependsOn"), ObjectList(CROSS_NAMESPACE_REF), "HelmReleases that must be ready first: Flux's `dependsOn`, renamed because `depends_on` is a reserved name."),
    duration(field!("timeout"), "Timeout of each Helm action.").default(Str("5m0s")),
    FieldDef::typed(field!("maxHistory"), FieldType::Int, "Releases kept in the history (0: unlimited).").default(DefaultValue::Int(5)),
    FieldDef::string(field!("serviceAccountName"), "ServiceAccount to impersonate.").check(Name),
    SUSPEND,
    FieldDef::typed(field!("install"), Object(INSTALL), "Install settings."),
    FieldDef::typed(field!("upgrade"), Object(UPGRADE), "Upgrade settings."),
    FieldDef::typed(field!("values"), FieldType::Document, "Values, as YAML or JSON text (`yamlencode({...})`)."),
    FieldDef::typed(field!("valuesFrom"), ObjectList(VALUES_FROM), "Secrets and ConfigMaps holding values, merged before `values`."),
    FieldDef::typed(field!("driftDetection"), Object(DRIFT_DETECTION), "Drift detection of the installed objects."),
]);

fn helm_release_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let chart = spec.get("chart").is_some();
    let chart_ref = spec.get("chartRef").is_some();
    if chart == chart_ref {
        vec![FieldError::new(
            FieldPath::field(name_of(HELM_RELEASE_FIELDS, "chart.spec")),
            "exactly one of chart and chart_ref must be set",
        )]
    } else {
        Vec::new()
    }
}

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

/// `helm.toolkit.fluxcd.io/v2` HelmRelease.
pub static HELM_RELEASE: KindDef = KindDef {
    api_version: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    fields: HELM_RELEASE_FIELDS,
    rules: helm_release_rules,
    is_static: never_static,
    derived_defaults: helm_release_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn chart() -> Value {
        json!({"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}})
    }

    #[test]
    fn valid_specs_pass() {
        assert!(error_paths(&HELM_RELEASE, json!({"chart": chart()})).is_empty());
        assert!(error_paths(
            &HELM_RELEASE,
            json!({"chartRef": {"kind": "OCIRepository", "name": "podinfo"}})
        )
        .is_empty());
    }

    #[test]
    fn exactly_one_chart_source_is_required() {
        let reason = "chart: exactly one of chart and chart_ref must be set";
        assert_eq!(error_texts(&HELM_RELEASE, json!({})), [reason]);
        assert_eq!(
            error_texts(
                &HELM_RELEASE,
                json!({"chart": chart(), "chartRef": {"kind": "OCIRepository", "name": "podinfo"}})
            ),
            [reason]
        );
    }

    #[test]
    fn chart_fields_are_named_under_chart() {
        let spec =
            json!({"chart": {"spec": {"sourceRef": {"kind": "OCIRepository", "name": "x"}}}});
        assert_eq!(
            error_paths(&HELM_RELEASE, spec),
            ["chart.chart", "chart.source_ref.kind"]
        );
    }

    #[test]
    fn storage_namespace_follows_target_namespace() {
        let mut spec = json!({"targetNamespace": "apps"})
            .as_object()
            .cloned()
            .unwrap();
        helm_release_derived_defaults(&mut spec);
        assert_eq!(spec["storageNamespace"], "apps");
        spec.insert("storageNamespace".into(), json!("helm"));
        helm_release_derived_defaults(&mut spec);
        assert_eq!(spec["storageNamespace"], "helm");
    }
}

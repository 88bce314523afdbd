//! kustomize's field specs for labels and annotations: where each transformer writes.

use serde_json::{Map, Value};

use super::Resource;

/// One place a transformer writes: a path (segments separated by `/`, sequences walked
/// through) in objects of a kind, created when missing if `create` is set.
pub(crate) struct FieldSpec {
    group: Option<&'static str>,
    version: Option<&'static str>,
    kind: Option<&'static str>,
    path: &'static str,
    create: bool,
}

const fn spec(
    group: Option<&'static str>,
    version: Option<&'static str>,
    kind: Option<&'static str>,
    path: &'static str,
    create: bool,
) -> FieldSpec {
    FieldSpec {
        group,
        version,
        kind,
        path,
        create,
    }
}

const TEMPLATE: &str = "spec/template/metadata/labels";

/// `labels` without options: metadata only.
pub(crate) const METADATA_LABELS: &[FieldSpec] = &[spec(None, None, None, "metadata/labels", true)];

/// `labels` with `includeTemplates`: metadata and pod templates.
pub(crate) const TEMPLATE_LABELS: &[FieldSpec] = &[
    spec(None, None, None, "metadata/labels", true),
    spec(
        None,
        Some("v1"),
        Some("ReplicationController"),
        TEMPLATE,
        true,
    ),
    spec(None, None, Some("Deployment"), TEMPLATE, true),
    spec(None, None, Some("ReplicaSet"), TEMPLATE, true),
    spec(None, None, Some("DaemonSet"), TEMPLATE, true),
    spec(Some("apps"), None, Some("StatefulSet"), TEMPLATE, true),
    spec(Some("batch"), None, Some("Job"), TEMPLATE, true),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/metadata/labels",
        true,
    ),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

const AFFINITY: [&str; 5] = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/// `commonLabels` and `labels` with `includeSelectors`: metadata, templates and selectors.
pub(crate) const COMMON_LABELS: &[FieldSpec] = &[
    spec(None, Some("v1"), Some("Service"), "spec/selector", true),
    spec(
        None,
        Some("v1"),
        Some("ReplicationController"),
        "spec/selector",
        true,
    ),
    spec(
        None,
        None,
        Some("Deployment"),
        "spec/selector/matchLabels",
        true,
    ),
    spec(Some("apps"), None, Some("Deployment"), AFFINITY[0], false),
    spec(Some("apps"), None, Some("Deployment"), AFFINITY[1], false),
    spec(Some("apps"), None, Some("Deployment"), AFFINITY[2], false),
    spec(Some("apps"), None, Some("Deployment"), AFFINITY[3], false),
    spec(Some("apps"), None, Some("Deployment"), AFFINITY[4], false),
    spec(
        None,
        None,
        Some("ReplicaSet"),
        "spec/selector/matchLabels",
        true,
    ),
    spec(
        None,
        None,
        Some("DaemonSet"),
        "spec/selector/matchLabels",
        true,
    ),
    spec(
        Some("apps"),
        None,
        Some("StatefulSet"),
        "spec/selector/matchLabels",
        true,
    ),
    spec(Some("apps"), None, Some("StatefulSet"), AFFINITY[0], false),
    spec(Some("apps"), None, Some("StatefulSet"), AFFINITY[1], false),
    spec(Some("apps"), None, Some("StatefulSet"), AFFINITY[2], false),
    spec(Some("apps"), None, Some("StatefulSet"), AFFINITY[3], false),
    spec(Some("apps"), None, Some("StatefulSet"), AFFINITY[4], false),
    spec(
        Some("batch"),
        None,
        Some("Job"),
        "spec/selector/matchLabels",
        false,
    ),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    spec(
        Some("policy"),
        None,
        Some("PodDisruptionBudget"),
        "spec/selector/matchLabels",
        false,
    ),
    spec(
        Some("networking.k8s.io"),
        None,
        Some("NetworkPolicy"),
        "spec/podSelector/matchLabels",
        false,
    ),
    spec(
        Some("networking.k8s.io"),
        None,
        Some("NetworkPolicy"),
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    spec(
        Some("networking.k8s.io"),
        None,
        Some("NetworkPolicy"),
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
    spec(None, None, None, "metadata/labels", true),
    spec(
        None,
        Some("v1"),
        Some("ReplicationController"),
        TEMPLATE,
        true,
    ),
    spec(None, None, Some("Deployment"), TEMPLATE, true),
    spec(None, None, Some("ReplicaSet"), TEMPLATE, true),
    spec(None, None, Some("DaemonSet"), TEMPLATE, true),
    spec(Some("apps"), None, Some("StatefulSet"), TEMPLATE, true),
    spec(Some("batch"), None, Some("Job"), TEMPLATE, true),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/metadata/labels",
        true,
    ),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
    spec(
        Some("apps"),
        None,
        Some("StatefulSet"),
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    ),
];

const TEMPLATE_ANNOTATIONS: &str = "spec/template/metadata/annotations";

/// `commonAnnotations`.
pub(crate) const COMMON_ANNOTATIONS: &[FieldSpec] = &[
    spec(None, None, None, "metadata/annotations", true),
    spec(
        None,
        Some("v1"),
        Some("ReplicationController"),
        TEMPLATE_ANNOTATIONS,
        true,
    ),
    spec(None, None, Some("Deployment"), TEMPLATE_ANNOTATIONS, true),
    spec(None, None, Some("ReplicaSet"), TEMPLATE_ANNOTATIONS, true),
    spec(None, None, Some("DaemonSet"), TEMPLATE_ANNOTATIONS, true),
    spec(None, None, Some("StatefulSet"), TEMPLATE_ANNOTATIONS, true),
    spec(Some("batch"), None, Some("Job"), TEMPLATE_ANNOTATIONS, true),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/metadata/annotations",
        true,
    ),
    spec(
        Some("batch"),
        None,
        Some("CronJob"),
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

impl FieldSpec {
    fn applies_to(&self, group: &str, version: &str, kind: &str) -> bool {
        self.group.is_none_or(|g| g == group)
            && self.version.is_none_or(|v| v == version)
            && self.kind.is_none_or(|k| k == kind)
    }
}

/// Adds `pairs` to the string maps at every applicable field spec of every resource.
pub(crate) fn add_pairs(
    resources: &mut [Resource],
    specs: &[FieldSpec],
    pairs: &[(String, String)],
) {
    if pairs.is_empty() {
        return;
    }
    for resource in resources {
        let id = resource.current_id();
        let mut seen: Vec<&str> = Vec::new();
        for spec in specs {
            // A path listed twice (metadata labels in both lists) is written once.
            if !spec.applies_to(&id.group, &id.version, &id.kind) || seen.contains(&spec.path) {
                continue;
            }
            seen.push(spec.path);
            let segments: Vec<&str> = spec.path.split('/').collect();
            visit(&mut resource.value, &segments, spec.create, &mut |map| {
                for (k, v) in pairs {
                    map.insert(k.clone(), Value::from(v.as_str()));
                }
            });
        }
    }
}

/// Walks `path` (through sequences) and calls `f` on the mapping at its end.
fn visit(
    value: &mut Value,
    path: &[&str],
    create: bool,
    f: &mut dyn FnMut(&mut Map<String, Value>),
) {
    if let Value::Array(items) = value {
        for item in items {
            visit(item, path, create, f);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        if value.is_null() && create {
            *value = Value::Object(Map::new());
        }
        if let Value::Object(map) = value {
            f(map);
        }
        return;
    };
    let key = first.trim_end_matches("[]");
    let Value::Object(map) = value else {
        return;
    };
    if !map.contains_key(key) {
        if !create {
            return;
        }
        map.insert(key.to_string(), Value::Object(Map::new()));
    }
    if let Some(child) = map.get_mut(key) {
        if child.is_null() && create {
            *child = Value::Object(Map::new());
        }
        visit(child, rest, create, f);
    }
}

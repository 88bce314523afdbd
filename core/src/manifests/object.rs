//! Object identity and scope.

use std::fmt;

use serde_json::Value;

/// The identity of a Kubernetes object: what the API server keys it by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.namespace`; `None` for cluster-scoped objects and objects without one.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// The identity of an object, or `None` when it lacks apiVersion, kind or name.
    pub fn from_object(object: &Value) -> Option<Self> {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        Some(Self {
            api_version: text("/apiVersion")?.to_string(),
            kind: text("/kind")?.to_string(),
            namespace: text("/metadata/namespace")
                .filter(|ns| !ns.is_empty())
                .map(str::to_string),
            name: text("/metadata/name")?.to_string(),
        })
    }

    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        group_version(&self.api_version).0
    }

    /// The API version within the group.
    pub fn version(&self) -> &str {
        group_version(&self.api_version).1
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}/{}", self.api_version, self.kind, ns, self.name),
            None => write!(f, "{}/{}/{}", self.api_version, self.kind, self.name),
        }
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Kinds that are certainly cluster-scoped (group, kind), as kustomize's built-in schema
/// knows them; every other kind, custom resources included, is taken as namespaced.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("node.k8s.io", "RuntimeClass"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("networking.k8s.io", "IngressClass"),
    ("policy", "PodSecurityPolicy"),
];

/// True when the object's kind is cluster-scoped.
pub(crate) fn is_cluster_scoped(object: &Value) -> bool {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    is_kind_cluster_scoped(group_version(api_version).0, kind)
}

pub(crate) fn is_kind_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, k)| *g == group && *k == kind)
}

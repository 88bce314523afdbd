//! The identity of a Kubernetes object, shared by the manifests (override targets,
//! install patches) and the cluster engine (apply order, waits, uninstall).

use std::fmt;

use kube::core::GroupVersionKind;
use serde_json::Value;

/// Which object: `apiVersion`, `kind`, namespace (if namespaced) and name, what the
/// API server keys it by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `group/version`, or `version` for the core group.
    pub api_version: String,
    /// The kind, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.namespace`; `None` for cluster-scoped objects and objects without one.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

/// An object lacks a field its identity needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the object has no {field}")]
pub struct MissingField {
    /// `apiVersion`, `kind` or `metadata.name`.
    pub field: &'static str,
}

impl ObjectRef {
    /// A reference from its parts.
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// Reads `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` from an
    /// object; an empty value counts as missing.
    pub fn from_object(object: &Value) -> Result<Self, MissingField> {
        let text = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let required = |pointer: &str, field: &'static str| {
            text(pointer)
                .map(str::to_owned)
                .ok_or(MissingField { field })
        };
        Ok(Self {
            api_version: required("/apiVersion", "apiVersion")?,
            kind: required("/kind", "kind")?,
            name: required("/metadata/name", "metadata.name")?,
            namespace: text("/metadata/namespace").map(str::to_owned),
        })
    }

    /// The API group, empty for the core group.
    pub fn group(&self) -> &str {
        group_version(&self.api_version).0
    }

    /// The version part of `apiVersion`.
    pub fn version(&self) -> &str {
        group_version(&self.api_version).1
    }

    /// Group, version and kind, for discovery.
    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::gvk(self.group(), self.version(), &self.kind)
    }

    /// The full identity with the API version, `apps/v1/Deployment/flux-system/x`: what
    /// kustomize names an object by, unambiguous across groups.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}/{}", self.api_version, self.kind, ns, self.name),
            None => format!("{}/{}/{}", self.api_version, self.kind, self.name),
        }
    }
}

/// The short form people read in messages: `Deployment/flux-system/x`.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_group_is_empty_and_both_forms_name_the_namespace() {
        let obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "ns"}});
        let r = ObjectRef::from_object(&obj).unwrap();
        assert_eq!(r.group(), "");
        assert_eq!(r.version(), "v1");
        assert_eq!(r.to_string(), "Service/ns/a");
        assert_eq!(r.id(), "v1/Service/ns/a");
        let crd = ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "x",
        );
        assert_eq!(crd.group(), "apiextensions.k8s.io");
        assert_eq!(crd.version(), "v1");
        assert_eq!(crd.to_string(), "CustomResourceDefinition/x");
        assert_eq!(
            crd.id(),
            "apiextensions.k8s.io/v1/CustomResourceDefinition/x"
        );
    }

    #[test]
    fn a_missing_or_empty_field_is_named() {
        let no_name = json!({"apiVersion": "v1", "kind": "Service", "metadata": {}});
        assert_eq!(
            ObjectRef::from_object(&no_name).unwrap_err().field,
            "metadata.name"
        );
        let empty_kind = json!({"apiVersion": "v1", "kind": "", "metadata": {"name": "a"}});
        assert_eq!(
            ObjectRef::from_object(&empty_kind).unwrap_err().field,
            "kind"
        );
        let empty_namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "namespace": ""}});
        assert_eq!(
            ObjectRef::from_object(&empty_namespace).unwrap().namespace,
            None
        );
    }
}

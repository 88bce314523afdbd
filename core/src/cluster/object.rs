//! References to Kubernetes objects, read from their JSON form.

use std::fmt;

use kube::core::GroupVersionKind;
use serde_json::Value;

use super::ClusterError;

/// Which object: `apiVersion`, `kind`, namespace (if namespaced) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `group/version`, or `version` for the core group.
    pub api_version: String,
    /// The kind, e.g. `Deployment`.
    pub kind: String,
    /// The namespace; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
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

    /// Reads `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` from an object;
    /// `index` is its position in the input, used to name it in the error.
    pub fn from_object(index: usize, object: &Value) -> Result<Self, ClusterError> {
        let field = |pointer: &str, field: &'static str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(ClusterError::InvalidObject { index, field })
        };
        Ok(Self {
            api_version: field("/apiVersion", "apiVersion")?,
            kind: field("/kind", "kind")?,
            name: field("/metadata/name", "metadata.name")?,
            namespace: object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        })
    }

    /// The API group, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// The version part of `apiVersion`.
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, version)| version)
    }

    /// Group, version and kind, for discovery.
    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::gvk(self.group(), self.version(), &self.kind)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_ref_core_group_is_empty_and_display_names_namespace() {
        let obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "ns"}});
        let r = ObjectRef::from_object(0, &obj).unwrap();
        assert_eq!(r.group(), "");
        assert_eq!(r.version(), "v1");
        assert_eq!(r.to_string(), "Service/ns/a");
        let crd = ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "x",
        );
        assert_eq!(crd.group(), "apiextensions.k8s.io");
        assert_eq!(crd.to_string(), "CustomResourceDefinition/x");
    }

    #[test]
    fn object_ref_missing_name_names_index_and_field() {
        let obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {}});
        let err = ObjectRef::from_object(3, &obj).unwrap_err().to_string();
        assert!(err.contains("3") && err.contains("metadata.name"), "{err}");
    }
}

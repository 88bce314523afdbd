//! The `namespace` field, as kustomize's namespace transformer applies it.

use serde_json::Value;

use super::Resource;
use crate::manifests::install::{ensure_map, set_path};
use crate::object_ref::group_version;

pub(crate) fn set_namespace(resources: &mut [Resource], ns: &str) {
    for resource in resources {
        let value = &mut resource.value;
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let group = group_version(&api_version).0;
        if !resource.cluster_scoped {
            set_path(value, &["metadata", "namespace"], Value::from(ns));
        }
        match (group, kind.as_str()) {
            // The Namespace object itself is renamed.
            ("", "Namespace") if api_version == "v1" => {
                set_path(value, &["metadata", "name"], Value::from(ns));
            }
            ("apiregistration.k8s.io", "APIService") => {
                set_path(value, &["spec", "service", "namespace"], Value::from(ns));
            }
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                if let Some(Value::Object(service)) =
                    value.pointer_mut("/spec/conversion/webhook/clientConfig/service")
                {
                    if service.contains_key("namespace") {
                        service.insert("namespace".into(), Value::from(ns));
                    }
                }
            }
            ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
                // Only subjects named "default" follow the namespace (kustomize's default
                // `setRoleBindingSubjects: defaultOnly`).
                if let Some(Value::Array(subjects)) = value.get_mut("subjects") {
                    for subject in subjects {
                        if subject.get("name").and_then(Value::as_str) == Some("default") {
                            ensure_map(subject, &[]).insert("namespace".into(), Value::from(ns));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// kustomize's name-reference fix-up for ServiceAccount subjects of (Cluster)RoleBindings:
/// a subject that names a ServiceAccount of the set, in the namespace that account was
/// loaded with, follows the account to its current namespace.
pub(crate) fn follow_service_accounts(resources: &mut [Resource]) {
    let moved: Vec<(String, String, String)> = resources
        .iter()
        .filter(|r| r.value.get("kind").and_then(Value::as_str) == Some("ServiceAccount"))
        .filter(|r| r.value.get("apiVersion").and_then(Value::as_str) == Some("v1"))
        .map(|r| {
            let id = r.current_id();
            (
                r.original_name.clone(),
                r.original_namespace.clone(),
                id.namespace,
            )
        })
        .filter(|(_, before, after)| before != after)
        .collect();
    if moved.is_empty() {
        return;
    }
    for resource in resources {
        let id = resource.current_id();
        if id.group != "rbac.authorization.k8s.io"
            || !matches!(id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
        {
            continue;
        }
        let Some(Value::Array(subjects)) = resource.value.get_mut("subjects") else {
            continue;
        };
        for subject in subjects {
            if subject.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
                continue;
            }
            let name = subject
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let namespace = subject
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some((_, _, after)) = moved
                .iter()
                .find(|(n, before, _)| n == name && before == namespace)
            {
                let after = after.clone();
                ensure_map(subject, &[]).insert("namespace".into(), Value::from(after));
            }
        }
    }
}

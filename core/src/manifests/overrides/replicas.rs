//! kustomize's `replicas`: sets `spec.replicas` of the workloads with a given name.

use serde_json::{Map, Value};

use super::Resource;
use crate::manifests::kustomization::ReplicaRule;
use crate::manifests::ManifestError;

/// The kinds kustomize's replica count transformer selects, in any API group.
const WORKLOAD_KINDS: [&str; 4] = [
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// Sets the count on every workload whose current or original name is the rule's name;
/// a rule that selects nothing is an error, as in kustomize.
pub(super) fn apply_replica_rule(
    resources: &mut [Resource],
    rule: &ReplicaRule,
    field: &str,
) -> Result<(), ManifestError> {
    let mut matched = false;
    for resource in resources.iter_mut() {
        let id = resource.current_id();
        let selected = WORKLOAD_KINDS.contains(&id.kind.as_str())
            && (id.name == rule.name || resource.original_name == rule.name);
        if !selected {
            continue;
        }
        matched = true;
        if let Some(object) = resource.value.as_object_mut() {
            let spec = object
                .entry("spec")
                .or_insert_with(|| Value::Object(Map::new()));
            if !spec.is_object() {
                *spec = Value::Object(Map::new());
            }
            if let Some(spec) = spec.as_object_mut() {
                spec.insert("replicas".into(), Value::from(rule.count));
            }
        }
    }
    if matched {
        Ok(())
    } else {
        Err(ManifestError::ReplicasNoMatch {
            field: field.to_string(),
            name: rule.name.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(name: &str, count: i64) -> ReplicaRule {
        ReplicaRule {
            name: name.into(),
            count,
        }
    }

    #[test]
    fn sets_the_count_on_workloads_of_that_name_only() {
        let mut resources = vec![
            Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "a"}, "spec": {"replicas": 1}})),
            Resource::new(
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}),
            ),
            Resource::new(
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "b"}}),
            ),
        ];
        apply_replica_rule(&mut resources, &rule("a", 3), "replicas[0]").unwrap();
        assert_eq!(resources[0].value["spec"]["replicas"], json!(3));
        assert_eq!(resources[1].value.get("spec"), None);
        assert_eq!(resources[2].value.get("spec"), None);
        apply_replica_rule(&mut resources, &rule("b", 0), "replicas[1]").unwrap();
        assert_eq!(resources[2].value["spec"]["replicas"], json!(0));
    }

    #[test]
    fn a_name_that_selects_nothing_is_an_error() {
        let mut resources = vec![Resource::new(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}),
        )];
        let err = apply_replica_rule(&mut resources, &rule("a", 1), "replicas[0]").unwrap_err();
        assert!(err.to_string().contains("replicas[0] names a"), "{err}");
    }
}

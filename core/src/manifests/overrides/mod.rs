//! Applies a [`Override`] to objects in kustomize's transformer order: strategic-merge
//! patches, `patches`, namespace, labels, annotations, JSON 6902 patches, replicas, images.

mod field_specs;
mod images;
mod namespace;
mod replicas;
pub(crate) mod select;
mod strategic_merge;

use serde_json::Value;

use super::kustomization::{Patch, PatchBody};
use super::scope::is_cluster_scoped;
use super::{ManifestError, ObjectRef, Override};
use crate::object_ref::group_version;

/// An object being transformed, with the name and namespace it was loaded with (kustomize
/// lets targets match either).
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) value: Value,
    pub(crate) original_name: String,
    pub(crate) original_namespace: String,
    pub(crate) cluster_scoped: bool,
}

/// The parts of an object's identity targets match on.
pub(crate) struct CurrentId {
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: String,
}

impl Resource {
    fn new(value: Value) -> Self {
        let text = |p: &str| {
            value
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            original_name: text("/metadata/name"),
            original_namespace: text("/metadata/namespace"),
            cluster_scoped: is_cluster_scoped(&value),
            value,
        }
    }

    pub(crate) fn current_id(&self) -> CurrentId {
        let text = |p: &str| {
            self.value
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let api_version = text("/apiVersion");
        let (group, version) = group_version(&api_version);
        CurrentId {
            group: group.to_string(),
            version: version.to_string(),
            kind: text("/kind"),
            name: text("/metadata/name"),
            namespace: text("/metadata/namespace"),
        }
    }

    fn describe(&self) -> String {
        ObjectRef::from_object(&self.value)
            .map(|r| r.id())
            .ok()
            .unwrap_or_else(|| self.original_name.clone())
    }
}

/// Applies the override to the install and sync objects (as `kustomize build` over the
/// override and the two gotk files would) and returns the objects in the same order.
///
/// An override with [deferred](Override::deferred) fields is an error: only kustomize
/// builds it.
#[tracing::instrument(skip_all, fields(objects = objects.len()))]
pub fn apply_override(objects: Vec<Value>, over: &Override) -> Result<Vec<Value>, ManifestError> {
    if !over.deferred().is_empty() {
        return Err(ManifestError::OverrideNeedsKustomize {
            fields: over.deferred().to_vec(),
        });
    }
    let mut resources: Vec<Resource> = objects.into_iter().map(Resource::new).collect();
    for patch in &over.strategic_patches {
        apply_patch(&mut resources, patch)?;
    }
    for patch in &over.patches {
        apply_patch(&mut resources, patch)?;
    }
    if let Some(ns) = &over.namespace {
        namespace::set_namespace(&mut resources, ns);
    }
    for set in &over.labels {
        let specs = if set.include_selectors {
            field_specs::COMMON_LABELS
        } else if set.include_templates {
            field_specs::TEMPLATE_LABELS
        } else {
            field_specs::METADATA_LABELS
        };
        field_specs::add_pairs(&mut resources, specs, &set.pairs);
    }
    field_specs::add_pairs(
        &mut resources,
        field_specs::COMMON_LABELS,
        &over.common_labels,
    );
    field_specs::add_pairs(
        &mut resources,
        field_specs::COMMON_ANNOTATIONS,
        &over.common_annotations,
    );
    for patch in &over.json_patches {
        apply_patch(&mut resources, patch)?;
    }
    for (i, rule) in over.replicas.iter().enumerate() {
        replicas::apply_replica_rule(&mut resources, rule, &format!("replicas[{i}]"))?;
    }
    for rule in &over.images {
        images::apply_image_rule(&mut resources, rule);
    }
    if over.namespace.is_some() {
        namespace::follow_service_accounts(&mut resources);
    }
    tracing::debug!(objects = resources.len(), "applied kustomization override");
    Ok(resources.into_iter().map(|r| r.value).collect())
}

fn apply_patch(resources: &mut Vec<Resource>, patch: &Patch) -> Result<(), ManifestError> {
    match (&patch.body, &patch.target) {
        (PatchBody::Json(ops), Some(target)) => {
            for resource in resources.iter_mut().filter(|r| target.matches(r)) {
                json_patch::patch(&mut resource.value, ops).map_err(|source| {
                    ManifestError::JsonPatch {
                        field: patch.field.clone(),
                        object: resource.describe(),
                        source,
                    }
                })?;
            }
            Ok(())
        }
        (PatchBody::Json(_), None) => Err(ManifestError::override_field(
            format!("{}.target", patch.field),
            "is required for a JSON 6902 patch",
        )),
        (PatchBody::Strategic(documents), Some(target)) => {
            for document in documents {
                for resource in resources.iter_mut().filter(|r| target.matches(r)) {
                    strategic_merge::patch_resource(resource, document);
                }
            }
            resources.retain(|r| !r.value.is_null());
            Ok(())
        }
        (PatchBody::Strategic(documents), None) => {
            for (i, document) in documents.iter().enumerate() {
                let index = find_patch_target(resources, document).map_err(|reason| {
                    ManifestError::override_field(
                        if documents.len() > 1 {
                            format!("{}.patch (document {i})", patch.field)
                        } else {
                            format!("{}.patch", patch.field)
                        },
                        reason,
                    )
                })?;
                if let Some(resource) = resources.get_mut(index) {
                    strategic_merge::patch_resource(resource, document);
                }
                resources.retain(|r| !r.value.is_null());
            }
            Ok(())
        }
    }
}

/// The one object a target-less strategic-merge patch names (apiVersion, kind, name and
/// namespace, compared as kustomize compares ids).
fn find_patch_target(resources: &[Resource], patch: &Value) -> Result<usize, String> {
    let text = |p: &str| patch.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind, name) = (text("/apiVersion"), text("/kind"), text("/metadata/name"));
    if api_version.is_empty() || kind.is_empty() || name.is_empty() {
        return Err("must set apiVersion, kind and metadata.name, or have a target".to_string());
    }
    let (group, version) = group_version(api_version);
    let effective = |ns: &str, cluster: bool| {
        if cluster {
            String::new()
        } else if ns.is_empty() {
            "default".to_string()
        } else {
            ns.to_string()
        }
    };
    let matches: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let id = r.current_id();
            id.group == group
                && id.version == version
                && id.kind == kind
                && id.name == name
                && effective(&id.namespace, r.cluster_scoped)
                    == effective(text("/metadata/namespace"), r.cluster_scoped)
        })
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "matches no object ({api_version} {kind} {name} in namespace {:?})",
            text("/metadata/namespace")
        )),
        _ => Err(format!("matches several objects ({kind} {name})")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::apply_override;
    use crate::manifests::Override;

    fn deployment() -> serde_json::Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "source-controller", "namespace": "flux-system", "labels": {"a": "b"}},
            "spec": {"replicas": 1}
        })
    }

    // Found by the kustomization_override fuzz target: a patch that replaced `metadata`
    // with a scalar panicked when the object's name was put back.
    #[test]
    fn strategic_patch_replacing_metadata_with_a_scalar_keeps_the_identity() {
        let over = Override::parse(
            "resources: [gotk-components.yaml, gotk-sync.yaml]\n\
             patches:\n\
             - patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      nae\n\
             \x20 target:\n    kind: Deployment\n    name: source-controller\n",
        )
        .unwrap();
        let objects = apply_override(vec![deployment()], &over).unwrap();
        assert_eq!(
            objects,
            vec![json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "source-controller", "namespace": "flux-system"},
                "spec": {"replicas": 1}
            })]
        );
    }
}

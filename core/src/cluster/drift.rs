//! What applying a set of objects would change in the cluster, asked of the API server
//! itself: a server-side apply dry run with the install's field manager, compared with
//! the live object. A field someone changed by hand (an image, the replicas, a rule of
//! a ClusterRole) comes back changed; a field the server or a controller writes
//! (status, defaults, the Deployment revision annotation) comes back as it is, so it
//! is never reported.

use futures::{StreamExt as _, TryStreamExt as _};
use kube::api::{Patch, PatchParams};
use serde_json::Value;

use super::apply::sort_for_apply;
use super::history::to_json;
use super::{is_not_found, Cluster, ClusterError, ObjectRef, FIELD_MANAGER};

/// How many changed fields of one object are named; the rest are counted.
const FIELDS_NAMED: usize = 3;

/// One object that applying would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDrift {
    /// The object.
    pub object: ObjectRef,
    /// What differs.
    pub change: DriftChange,
}

/// What differs between the live object and the applied one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriftChange {
    /// The object (or its kind) is not in the cluster.
    Missing,
    /// Fields that applying would change, at most [`FIELDS_NAMED`] of them, and how many
    /// more there are.
    Fields {
        /// The first changed fields.
        fields: Vec<FieldChange>,
        /// How many more fields change.
        more: usize,
    },
}

/// One changed field: its path (`spec.replicas`,
/// `spec.template.spec.containers[manager].image`) and both values, rendered short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's path.
    pub path: String,
    /// The live value, `None` when the field is absent.
    pub live: Option<String>,
    /// The value applying would set, `None` when applying removes it.
    pub wanted: Option<String>,
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
        write!(
            f,
            "{} is {}, expected {}",
            self.path,
            show(&self.live),
            show(&self.wanted)
        )
    }
}

impl Cluster {
    /// The objects of `objects` that applying them (server-side, field manager `flux`,
    /// forced) would change, in the order given. Nothing is written: each apply is a
    /// dry run.
    #[tracing::instrument(skip_all, fields(objects = objects.len()))]
    pub async fn drift_of(&self, objects: &[Value]) -> Result<Vec<ObjectDrift>, ClusterError> {
        let sorted = sort_for_apply(objects)?;
        let found: Vec<Option<ObjectDrift>> = futures::stream::iter(sorted)
            .map(|(_, reference, body)| async move { self.drift_of_one(reference, body).await })
            .buffered(self.apply_concurrency)
            .try_collect()
            .await?;
        let drift: Vec<ObjectDrift> = found.into_iter().flatten().collect();
        tracing::debug!(drifted = drift.len(), "dry-run apply compared");
        Ok(drift)
    }

    async fn drift_of_one(
        &self,
        reference: ObjectRef,
        body: Value,
    ) -> Result<Option<ObjectDrift>, ClusterError> {
        let missing = || {
            Ok(Some(ObjectDrift {
                object: reference.clone(),
                change: DriftChange::Missing,
            }))
        };
        if self.find_resource(&reference.gvk()).await?.is_none() {
            return missing();
        }
        let api = self.api_for(&reference).await?;
        let request_error = |action| {
            let object = reference.clone();
            move |source| ClusterError::Request {
                action,
                object,
                source: Box::new(source),
            }
        };
        let live = match api.get(&reference.name).await {
            Ok(live) => live,
            Err(error) if is_not_found(&error) => return missing(),
            Err(error) => return Err(request_error("read")(error)),
        };
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        let applied = api
            .patch(&reference.name, &params, &Patch::Apply(&body))
            .await
            .map_err(request_error("dry-run apply"))?;
        let (Some(live), Some(applied)) = (to_json(&reference, live), to_json(&reference, applied))
        else {
            return Ok(None);
        };
        let mut changes = Vec::new();
        diff(&comparable(live), &comparable(applied), "", &mut changes);
        if changes.is_empty() {
            return Ok(None);
        }
        let more = changes.len().saturating_sub(FIELDS_NAMED);
        changes.truncate(FIELDS_NAMED);
        Ok(Some(ObjectDrift {
            object: reference,
            change: DriftChange::Fields {
                fields: changes,
                more,
            },
        }))
    }
}

/// The object without what an apply changes whatever the content: its bookkeeping
/// metadata and its status.
fn comparable(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ["managedFields", "resourceVersion", "generation"] {
            meta.remove(key);
        }
    }
    object
}

/// Appends each leaf where `live` and `wanted` differ. List items with a `name` are
/// matched by name, so that a changed container reads `containers[manager].image`.
fn diff(live: &Value, wanted: &Value, path: &str, out: &mut Vec<FieldChange>) {
    match (live, wanted) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for key in keys {
                let sub = join(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff(x, y, &sub, out),
                    (x, y) => out.push(change(&sub, x, y)),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let label = match (x["name"].as_str(), y["name"].as_str()) {
                    (Some(n), Some(m)) if n == m => n.to_string(),
                    _ => i.to_string(),
                };
                diff(x, y, &format!("{path}[{label}]"), out);
            }
        }
        (a, b) if a != b => out.push(change(path, Some(a), Some(b))),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn change(path: &str, live: Option<&Value>, wanted: Option<&Value>) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        live: live.map(short),
        wanted: wanted.map(short),
    }
}

/// A value in at most a line: scalars as they are, lists and maps by their size.
fn short(value: &Value) -> String {
    const LONGEST: usize = 80;
    match value {
        Value::String(s) if s.chars().count() <= LONGEST && !s.contains('\n') => s.clone(),
        Value::String(s) => format!("({} characters)", s.chars().count()),
        Value::Array(items) => format!("({} items)", items.len()),
        Value::Object(map) => format!("({} fields)", map.len()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(live: Value, wanted: Value) -> Vec<String> {
        let mut out = Vec::new();
        diff(&comparable(live), &comparable(wanted), "", &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    fn deployment(image: &str, replicas: i64) -> Value {
        json!({
            "metadata": {"name": "kc", "resourceVersion": "7", "generation": 3,
                         "managedFields": [{"manager": "kubectl-set"}]},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "manager", "image": image, "args": ["--log-level=info"]}
            ]}}},
            "status": {"readyReplicas": 1}
        })
    }

    #[test]
    fn image_and_replicas_changed_by_hand_are_named_by_container() {
        let found = changes(deployment("kc:v0.0.1", 0), deployment("kc:v1.9.4", 1));
        assert_eq!(
            found,
            [
                "spec.replicas is 0, expected 1",
                "spec.template.spec.containers[manager].image is kc:v0.0.1, expected kc:v1.9.4",
            ]
        );
    }

    #[test]
    fn bookkeeping_and_status_are_not_drift() {
        let mut after = deployment("kc:v1", 1);
        after["metadata"]["resourceVersion"] = json!("8");
        after["metadata"]["generation"] = json!(4);
        after["metadata"]["managedFields"] = json!([{"manager": "flux"}]);
        after["status"] = json!({"readyReplicas": 0});
        assert!(changes(deployment("kc:v1", 1), after).is_empty());
    }

    #[test]
    fn a_list_of_another_length_is_one_change() {
        let live = json!({"rules": [{"verbs": ["get"]}, {"verbs": ["*"]}]});
        let wanted = json!({"rules": [{"verbs": ["get"]}]});
        assert_eq!(
            changes(live, wanted),
            ["rules is (2 items), expected (1 items)"]
        );
    }

    #[test]
    fn an_added_or_removed_field_shows_absent() {
        let found = changes(json!({"a": {"x": 1}}), json!({"a": {"y": "z"}}));
        assert_eq!(
            found,
            ["a.x is 1, expected (absent)", "a.y is (absent), expected z"]
        );
    }
}

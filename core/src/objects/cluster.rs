//! Cluster delivery and observation: server-side apply, the wait for Ready at the
//! new generation (failing fast with the object's own message), deletion, and
//! the status a resource exports.

use std::time::Duration;

use kube::api::{ApiResource, DeleteParams, DynamicObject};
use kube::core::GroupVersionKind;
use serde_json::Value;
use tokio::time::Instant;

use super::error::ObjectError;
use super::kinds::KindDef;
use super::spec::ObjectSpec;
use crate::cluster::{condition, flux_readiness, Cluster, ClusterError, ObjectRef, Readiness};

/// How often a wait polls.
const POLL: Duration = Duration::from_secs(2);

/// What an object reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectStatus {
    /// Ready at its current generation.
    pub ready: bool,
    /// The Ready condition's message, or why it is not ready.
    pub message: String,
    /// The revision it reports (artifact, applied or attempted revision).
    pub revision: Option<String>,
}

/// The status of a live object, by Flux's checklist.
pub fn status_of(kind: &KindDef, live: &Value) -> ObjectStatus {
    let static_object = live
        .get("spec")
        .and_then(Value::as_object)
        .is_some_and(|spec| (kind.is_static)(spec));
    let revision = [
        "/status/artifact/revision",
        "/status/lastAppliedRevision",
        "/status/lastAttemptedRevision",
        "/status/history/0/chartVersion",
    ]
    .iter()
    .find_map(|p| live.pointer(p).and_then(Value::as_str))
    .filter(|s| !s.is_empty())
    .map(str::to_string);
    let ready_message = condition(live, "Ready")
        .and_then(|c| c.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if static_object {
        return ObjectStatus {
            ready: true,
            message: "static object: not reconciled by a controller".into(),
            revision,
        };
    }
    match flux_readiness(live, None) {
        Readiness::Current => ObjectStatus {
            ready: true,
            message: ready_message.unwrap_or_default(),
            revision,
        },
        Readiness::InProgress(why) | Readiness::Failed(why) => ObjectStatus {
            ready: false,
            message: why,
            revision,
        },
    }
}

fn cluster_error(object: &ObjectRef) -> impl FnOnce(ClusterError) -> ObjectError + '_ {
    move |source| ObjectError::Cluster {
        object: object.to_string(),
        source: Box::new(source),
    }
}

/// Applies the object with server-side apply (field manager `flux`, forced).
#[tracing::instrument(skip_all, fields(object = %spec.object_ref()))]
pub async fn apply(cluster: &Cluster, spec: &ObjectSpec) -> Result<(), ObjectError> {
    let object = spec.object_ref();
    cluster
        .apply(&[spec.manifest(true)])
        .await
        .map_err(cluster_error(&object))?;
    Ok(())
}

/// Reads the live object; `None` when it (or its kind) does not exist.
pub async fn find(cluster: &Cluster, object: &ObjectRef) -> Result<Option<Value>, ObjectError> {
    cluster
        .find_object(object)
        .await
        .map_err(cluster_error(object))
}

/// Waits until the live object carries `spec` (it may arrive later through git)
/// and is ready at its current generation. A suspended object is not waited for;
/// a static one only has to exist. Ready=False or Stalled at the current
/// generation fails at once with the object's message.
#[tracing::instrument(skip_all, fields(object = %spec.object_ref(), timeout_s = timeout.as_secs()))]
pub async fn wait_ready(
    cluster: &Cluster,
    spec: &ObjectSpec,
    timeout: Duration,
) -> Result<ObjectStatus, ObjectError> {
    let object = spec.object_ref();
    let deadline = Instant::now() + timeout;
    let suspended = spec.spec.get("suspend").and_then(Value::as_bool) == Some(true);
    let static_object = (spec.kind.is_static)(&spec.spec);
    let mut last = String::from("not found");
    loop {
        let live = match cluster.find_object(&object).await {
            Ok(live) => live,
            Err(e) if e.is_retryable() => {
                last = format!("cannot be read yet: {e}");
                None
            }
            Err(e) => return Err(cluster_error(&object)(e)),
        };
        if let Some(live) = &live {
            if !spec.is_satisfied_by(live) {
                last = "the cluster does not carry this spec yet".into();
            } else if suspended || static_object {
                return Ok(status_of(spec.kind, live));
            } else {
                match flux_readiness(live, None) {
                    Readiness::Current => return Ok(status_of(spec.kind, live)),
                    Readiness::Failed(message) if waits_on_another_object(live) => {
                        last = message;
                    }
                    Readiness::Failed(message) => {
                        return Err(ObjectError::NotReady {
                            object: object.to_string(),
                            message,
                        })
                    }
                    Readiness::InProgress(why) => last = why,
                }
            }
        }
        tracing::debug!(state = %last, "waiting");
        pause_until_next_poll(&object, deadline, timeout, POLL, &last).await?;
    }
}

/// The annotation by which Flux's controllers (and the Flux Operator) take a request
/// to reconcile now; they copy its value to `status.lastHandledReconcileAt` once done.
pub const RECONCILE_REQUEST_ANNOTATION: &str = "reconcile.fluxcd.io/requestedAt";

/// Asks the object's controller to reconcile it now (even with nothing changed in
/// its spec) and waits until it did, and until the object is ready again.
#[tracing::instrument(skip_all, fields(object = %object, timeout_s = timeout.as_secs()))]
pub async fn reconcile(
    cluster: &Cluster,
    object: &ObjectRef,
    timeout: Duration,
) -> Result<(), ObjectError> {
    let token = reconcile_token();
    let patch =
        serde_json::json!({"metadata": {"annotations": {RECONCILE_REQUEST_ANNOTATION: token}}});
    if !cluster
        .merge_patch(object, &patch)
        .await
        .map_err(cluster_error(object))?
    {
        return Err(ObjectError::NotReady {
            object: object.to_string(),
            message: "it is not in the cluster".into(),
        });
    }
    let deadline = Instant::now() + timeout;
    loop {
        let live = find(cluster, object).await?;
        let last = match live.as_ref().map(|l| reconcile_handled(l, &token)) {
            None => "it is not in the cluster".to_owned(),
            Some(Readiness::Current) => return Ok(()),
            Some(Readiness::Failed(message)) => {
                return Err(ObjectError::NotReady {
                    object: object.to_string(),
                    message,
                })
            }
            Some(Readiness::InProgress(why)) => why,
        };
        pause_until_next_poll(object, deadline, timeout, RECONCILE_POLL, &last).await?;
    }
}

/// Sleeps until the next poll of a wait, or ends the wait with its timeout error
/// (naming `state`, what the last poll saw) once `deadline` has passed.
async fn pause_until_next_poll(
    object: &ObjectRef,
    deadline: Instant,
    timeout: Duration,
    poll: Duration,
    state: &str,
) -> Result<(), ObjectError> {
    let now = Instant::now();
    if now >= deadline {
        return Err(ObjectError::Timeout {
            object: object.to_string(),
            seconds: timeout.as_secs(),
            state: state.to_owned(),
        });
    }
    tokio::time::sleep(poll.min(deadline - now)).await;
    Ok(())
}

const RECONCILE_POLL: Duration = Duration::from_millis(500);

/// A request value no earlier request had: the time, to the nanosecond.
fn reconcile_token() -> String {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}.{:09}",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos()
    )
}

/// Whether the request `token` was handled and the object is ready since.
fn reconcile_handled(live: &Value, token: &str) -> Readiness {
    let handled = live
        .pointer("/status/lastHandledReconcileAt")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if handled != token {
        return Readiness::InProgress(format!(
            "the request to reconcile at {token} is not handled yet"
        ));
    }
    flux_readiness(live, None)
}

/// Ready=False reasons that say the object waits for another one (its source's
/// first artifact, a dependency): the controller retries by itself, so a wait goes
/// on instead of failing (objects created together are reconciled in any order).
/// `SourceNotReady` is helm-controller's while the HelmChart it made has no artifact
/// yet; it retries once the chart is ready.
const WAITING_REASONS: [&str; 3] = ["ArtifactFailed", "DependencyNotReady", "SourceNotReady"];

fn waits_on_another_object(live: &Value) -> bool {
    live.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        .is_some_and(|reason| WAITING_REASONS.contains(&reason))
}

/// The REST resource of a kind (Flux plurals are the lowercase kind plus `s`,
/// `y` becoming `ies`).
fn api_resource(object: &ObjectRef) -> ApiResource {
    let lower = object.kind.to_lowercase();
    let plural = match lower.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{lower}s"),
    };
    let gvk = GroupVersionKind::gvk(object.group(), object.version(), &object.kind);
    ApiResource::from_gvk_with_plural(&gvk, &plural)
}

/// Deletes the object and waits until it is gone (its controller removes its
/// finalizer). A missing object, namespace or kind counts as deleted.
#[tracing::instrument(skip_all, fields(object = %object, timeout_s = timeout.as_secs()))]
pub async fn delete(
    cluster: &Cluster,
    object: &ObjectRef,
    timeout: Duration,
) -> Result<(), ObjectError> {
    if find(cluster, object).await?.is_none() {
        return Ok(());
    }
    let client = cluster.client().await.map_err(cluster_error(object))?;
    let api: kube::Api<DynamicObject> = kube::Api::namespaced_with(
        client,
        object.namespace.as_deref().unwrap_or_default(),
        &api_resource(object),
    );
    match api.delete(&object.name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(source) => {
            return Err(ObjectError::Cluster {
                object: object.to_string(),
                source: Box::new(ClusterError::Request {
                    action: "delete",
                    object: object.clone(),
                    source: Box::new(source),
                }),
            })
        }
    }
    let deadline = Instant::now() + timeout;
    while find(cluster, object).await?.is_some() {
        if Instant::now() >= deadline {
            return Err(ObjectError::Timeout {
                object: object.to_string(),
                seconds: timeout.as_secs(),
                state: "still being deleted (its finalizer was not removed)".into(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Removes the annotation that keeps Kustomizations from pruning the object, once
/// a Kustomization (git delivery) is meant to own it.
pub async fn allow_prune(cluster: &Cluster, object: &ObjectRef) -> Result<(), ObjectError> {
    if find(cluster, object).await?.is_none() {
        return Ok(());
    }
    let client = cluster.client().await.map_err(cluster_error(object))?;
    let api: kube::Api<DynamicObject> = kube::Api::namespaced_with(
        client,
        object.namespace.as_deref().unwrap_or_default(),
        &api_resource(object),
    );
    let patch = serde_json::json!({"metadata": {"annotations": {super::spec::PRUNE_DISABLED_ANNOTATION: null}}});
    match api
        .patch(
            &object.name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(ObjectError::Cluster {
            object: object.to_string(),
            source: Box::new(ClusterError::Request {
                action: "patch",
                object: object.clone(),
                source: Box::new(source),
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::kinds::{HELM_REPOSITORY, KUSTOMIZATION};
    use serde_json::json;

    fn handled(at: &str, ready: &str) -> Value {
        json!({
            "metadata": {"generation": 2},
            "status": {
                "lastHandledReconcileAt": at,
                "observedGeneration": 2,
                "conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m", "observedGeneration": 2}]
            }
        })
    }

    #[test]
    fn reconcile_handled_needs_the_token_then_ready() {
        assert!(matches!(
            reconcile_handled(&handled("1.000000001", "True"), "1.000000002"),
            Readiness::InProgress(_)
        ));
        assert_eq!(
            reconcile_handled(&handled("1.000000002", "True"), "1.000000002"),
            Readiness::Current
        );
        assert!(matches!(
            reconcile_handled(&handled("1.000000002", "False"), "1.000000002"),
            Readiness::Failed(_)
        ));
        assert_ne!(reconcile_token(), reconcile_token());
    }

    #[test]
    fn api_resource_plural_follows_flux_names() {
        let r = |kind: &str| {
            api_resource(&ObjectRef::new(
                "source.toolkit.fluxcd.io/v1",
                kind,
                Some("a"),
                "b",
            ))
            .plural
        };
        assert_eq!(r("GitRepository"), "gitrepositories");
        assert_eq!(r("Kustomization"), "kustomizations");
        assert_eq!(r("ImagePolicy"), "imagepolicies");
        assert_eq!(r("Bucket"), "buckets");
    }

    #[test]
    fn status_of_reports_ready_message_and_revision() {
        let live = json!({"kind": "Kustomization", "metadata": {"generation": 2},
            "spec": {},
            "status": {"observedGeneration": 2, "lastAppliedRevision": "main@sha1:abc",
              "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2, "message": "Applied revision: main@sha1:abc"}]}});
        let status = status_of(&KUSTOMIZATION, &live);
        assert!(status.ready);
        assert_eq!(status.revision.as_deref(), Some("main@sha1:abc"));
        assert_eq!(status.message, "Applied revision: main@sha1:abc");
        let failed = json!({"kind": "Kustomization", "metadata": {"generation": 3}, "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "False", "observedGeneration": 3, "message": "kustomization path not found"}]}});
        let status = status_of(&KUSTOMIZATION, &failed);
        assert!(!status.ready);
        assert_eq!(status.message, "kustomization path not found");
    }

    #[test]
    fn waits_on_another_object_for_missing_artifact_only() {
        let missing = json!({"status": {"conditions": [{"type": "Ready", "status": "False",
            "reason": "ArtifactFailed", "message": "Source artifact not found, retrying in 30s"}]}});
        assert!(waits_on_another_object(&missing));
        let chart_pending = json!({"status": {"conditions": [{"type": "Ready", "status": "False",
            "reason": "SourceNotReady", "message": "HelmChart 'ns/ns-app' is not ready: latest generation of object has not been reconciled"}]}});
        assert!(waits_on_another_object(&chart_pending));
        let broken = json!({"status": {"conditions": [{"type": "Ready", "status": "False",
            "reason": "BuildFailed", "message": "kustomization path not found"}]}});
        assert!(!waits_on_another_object(&broken));
    }

    #[test]
    fn status_of_static_helm_repository_is_ready() {
        let live = json!({"kind": "HelmRepository", "metadata": {"generation": 1}, "spec": {"type": "oci"}});
        assert!(status_of(&HELM_REPOSITORY, &live).ready);
    }
}

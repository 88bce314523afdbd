//! Readiness rules, as pure functions of an object's JSON: Flux's own checklist for Flux
//! objects and the kstatus rules for built-in kinds.

use serde_json::Value;

/// What a readiness rule concluded about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Ready (kstatus "Current").
    Current,
    /// Not ready yet; the text says why, for progress logs and timeout errors.
    InProgress(String),
    /// A terminal failure; the text is the object's own message.
    Failed(String),
}

impl Readiness {
    /// Whether the object is ready.
    pub fn is_current(&self) -> bool {
        matches!(self, Self::Current)
    }
}

/// The condition of `type_` in `status.conditions`.
pub fn condition<'a>(object: &'a Value, type_: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

fn condition_status<'a>(object: &'a Value, type_: &str) -> Option<&'a str> {
    condition(object, type_)?.get("status")?.as_str()
}

fn condition_text(object: &Value, type_: &str, field: &str) -> String {
    condition(object, type_)
        .and_then(|c| c.get(field))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn int_at(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

/// kstatus rules 1–4, shared by every kind: deletion, a stale observedGeneration,
/// Reconciling=True and Stalled=True.
fn common_rules(object: &Value) -> Option<Readiness> {
    if object.pointer("/metadata/deletionTimestamp").is_some() {
        return Some(Readiness::InProgress("being deleted".into()));
    }
    let generation = int_at(object, "/metadata/generation");
    if let Some(observed) = int_at(object, "/status/observedGeneration") {
        if Some(observed) != generation {
            return Some(Readiness::InProgress(format!(
                "generation {} not yet observed (observed {observed})",
                generation.unwrap_or_default()
            )));
        }
    }
    if condition_status(object, "Reconciling") == Some("True") {
        let message = condition_text(object, "Reconciling", "message");
        return Some(Readiness::InProgress(if message.is_empty() {
            "reconciling".into()
        } else {
            format!("reconciling: {message}")
        }));
    }
    if condition_status(object, "Stalled") == Some("True") {
        return Some(Readiness::Failed(stalled_message(object)));
    }
    None
}

fn stalled_message(object: &Value) -> String {
    let message = condition_text(object, "Stalled", "message");
    if message.is_empty() {
        format!("stalled ({})", condition_text(object, "Stalled", "reason"))
    } else {
        message
    }
}

/// Turns the legacy `<branch>/<sha>` form into `<branch>@sha1:<sha>`; other forms are kept.
pub fn normalize_revision(revision: &str) -> String {
    if revision.contains('@') || revision.contains(':') {
        return revision.to_owned();
    }
    match revision.rsplit_once('/') {
        Some((branch, sha)) if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{branch}@sha1:{sha}")
        }
        _ => revision.to_owned(),
    }
}

/// The revision a Flux object reports: the artifact's for sources, the last attempted one for
/// a Kustomization (as the Flux CLI waits on it), the last attempted one for other kinds.
fn reported_revision(object: &Value) -> Option<String> {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let pointer = match kind {
        "GitRepository" | "OCIRepository" | "Bucket" | "HelmChart" | "HelmRepository" => {
            "/status/artifact/revision"
        }
        _ => "/status/lastAttemptedRevision",
    };
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(normalize_revision)
}

/// The Ready reason of a reconciliation cut short by a newer one (Flux's
/// `meta.HealthCheckCanceledReason`).
const HEALTH_CHECK_CANCELED: &str = "HealthCheckCanceled";

/// Flux's readiness checklist for a Flux object (GitRepository, Kustomization, ...).
///
/// Suspended and Stalled=True are failures. Ready=False is a failure once it is about the
/// current generation (the condition's own `observedGeneration`), even while the controller
/// retries, so a broken source fails the wait at once; for a Kustomization with an
/// `expected_revision`, a Ready=False about another (or no) revision is an old result and the
/// wait goes on. Ready=True counts once the status is for the current generation and, with an
/// expected revision, the object reports that revision.
pub fn flux_readiness(object: &Value, expected_revision: Option<&str>) -> Readiness {
    if object.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return Readiness::Failed("suspended".into());
    }
    if object.pointer("/metadata/deletionTimestamp").is_some() {
        return Readiness::InProgress("being deleted".into());
    }
    if condition_status(object, "Stalled") == Some("True") {
        return Readiness::Failed(stalled_message(object));
    }
    let generation = int_at(object, "/metadata/generation").unwrap_or_default();
    let revision = reported_revision(object);
    let expected = expected_revision.map(normalize_revision);
    let message = condition_text(object, "Ready", "message");
    let ready_generation = condition(object, "Ready")
        .and_then(|c| c.get("observedGeneration"))
        .and_then(Value::as_i64)
        .filter(|g| *g != 0)
        .or_else(|| int_at(object, "/status/observedGeneration"));
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if condition_status(object, "Ready") == Some("False") {
        // The controller dropped its health checks for a newer request already queued
        // (kustomize-controller, the Flux Operator): nothing failed.
        if condition_text(object, "Ready", "reason") == HEALTH_CHECK_CANCELED {
            return Readiness::InProgress(format!("a newer reconciliation is queued: {message}"));
        }
        if ready_generation != Some(generation) {
            return Readiness::InProgress(format!("an earlier generation failed: {message}"));
        }
        let about_other_revision =
            kind == "Kustomization" && expected.is_some() && expected.as_ref() != revision.as_ref();
        if about_other_revision {
            return Readiness::InProgress(format!(
                "last attempt was not at the expected revision: {message}"
            ));
        }
        if message.is_empty() {
            return Readiness::Failed(format!(
                "not ready ({})",
                condition_text(object, "Ready", "reason")
            ));
        }
        return Readiness::Failed(message);
    }
    if let Some(verdict) = common_rules(object) {
        return verdict;
    }
    match condition_status(object, "Ready") {
        Some("True") => {
            if ready_generation.is_some_and(|g| g != generation) {
                return Readiness::InProgress(format!(
                    "ready condition is not for generation {generation}"
                ));
            }
            match (&expected, &revision) {
                (Some(want), Some(have)) if want != have => {
                    Readiness::InProgress(format!("at revision {have}, waiting for {want}"))
                }
                (Some(want), None) => {
                    Readiness::InProgress(format!("no revision yet, waiting for {want}"))
                }
                _ => Readiness::Current,
            }
        }
        _ if message.is_empty() => Readiness::InProgress("not ready yet".into()),
        _ => Readiness::InProgress(message),
    }
}

/// kstatus rules for a Deployment: every replica updated, ready and available, Available=True
/// and, with a progress deadline, Progressing=True with reason NewReplicaSetAvailable.
/// ProgressDeadlineExceeded is a failure.
pub fn deployment_readiness(object: &Value) -> Readiness {
    if let Some(verdict) = common_rules(object) {
        return verdict;
    }
    if object.pointer("/status/observedGeneration").is_none() {
        return Readiness::InProgress("no status reported yet".into());
    }
    if condition_text(object, "Progressing", "reason") == "ProgressDeadlineExceeded" {
        return Readiness::Failed(format!(
            "progress deadline exceeded: {}",
            condition_text(object, "Progressing", "message")
        ));
    }
    let wanted = int_at(object, "/spec/replicas").unwrap_or(1);
    let count = |field: &str| int_at(object, &format!("/status/{field}")).unwrap_or_default();
    let (replicas, updated, ready, available) = (
        count("replicas"),
        count("updatedReplicas"),
        count("readyReplicas"),
        count("availableReplicas"),
    );
    if updated < wanted {
        return Readiness::InProgress(format!("{updated}/{wanted} replicas updated"));
    }
    if replicas > updated {
        return Readiness::InProgress(format!(
            "{} old replicas pending termination",
            replicas - updated
        ));
    }
    if available < wanted {
        return Readiness::InProgress(format!("{available}/{wanted} replicas available"));
    }
    if ready < wanted {
        return Readiness::InProgress(format!("{ready}/{wanted} replicas ready"));
    }
    if condition_status(object, "Available") != Some("True") {
        return Readiness::InProgress("Available condition is not True".into());
    }
    if object.pointer("/spec/progressDeadlineSeconds").is_some()
        && !(condition_status(object, "Progressing") == Some("True")
            && condition_text(object, "Progressing", "reason") == "NewReplicaSetAvailable")
    {
        return Readiness::InProgress("rollout in progress".into());
    }
    Readiness::Current
}

/// kstatus rules for a CustomResourceDefinition: Established=True is ready and
/// NamesAccepted=False can never become ready.
pub fn crd_readiness(object: &Value) -> Readiness {
    if let Some(verdict) = common_rules(object) {
        return verdict;
    }
    if condition_status(object, "NamesAccepted") == Some("False") {
        return Readiness::Failed(format!(
            "names not accepted: {}",
            condition_text(object, "NamesAccepted", "message")
        ));
    }
    if condition_status(object, "Established") == Some("True") {
        Readiness::Current
    } else {
        Readiness::InProgress("not established".into())
    }
}

/// kstatus for any kind: the rules of the kind where one exists, else the generic ones
/// (Ready=True, or no conditions at all, is ready).
pub fn kstatus_readiness(object: &Value) -> Readiness {
    match object.get("kind").and_then(Value::as_str) {
        Some("Deployment") => deployment_readiness(object),
        Some("CustomResourceDefinition") => crd_readiness(object),
        Some("Namespace") => {
            if object.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating") {
                Readiness::InProgress("terminating".into())
            } else {
                Readiness::Current
            }
        }
        Some(
            "Secret" | "ConfigMap" | "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding"
            | "Role" | "RoleBinding" | "NetworkPolicy" | "ResourceQuota" | "Service",
        ) => {
            if object.pointer("/metadata/deletionTimestamp").is_some() {
                Readiness::InProgress("being deleted".into())
            } else {
                Readiness::Current
            }
        }
        _ => {
            if let Some(verdict) = common_rules(object) {
                return verdict;
            }
            match condition_status(object, "Ready") {
                Some("True") | None => Readiness::Current,
                _ => Readiness::InProgress(condition_text(object, "Ready", "message")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn git_repository(ready: &str, revision: &str, observed: i64) -> Value {
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system", "generation": 2},
            "spec": {"interval": "1m"},
            "status": {
                "observedGeneration": observed,
                "conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "msg here", "observedGeneration": observed}],
                "artifact": {"revision": revision}
            }
        })
    }

    #[test]
    fn flux_health_checks_canceled_by_a_newer_request_keep_waiting() {
        let mut obj = git_repository("False", "v2.9.4@sha256:abc", 2);
        obj["status"]["conditions"][0]["reason"] = json!("HealthCheckCanceled");
        let verdict = flux_readiness(&obj, None);
        assert!(matches!(verdict, Readiness::InProgress(_)), "{verdict:?}");
        obj["status"]["conditions"][0]["reason"] = json!("BuildFailed");
        assert!(matches!(flux_readiness(&obj, None), Readiness::Failed(_)));
    }

    #[test]
    fn flux_ready_true_at_expected_revision_is_current() {
        let expected = format!("main@sha1:{SHA}");
        let obj = git_repository("True", &expected, 2);
        assert_eq!(flux_readiness(&obj, Some(&expected)), Readiness::Current);
    }

    #[test]
    fn flux_ready_true_at_other_revision_keeps_waiting() {
        let obj = git_repository("True", &format!("main@sha1:{}", "f".repeat(40)), 2);
        let verdict = flux_readiness(&obj, Some(&format!("main@sha1:{SHA}")));
        assert!(
            matches!(verdict, Readiness::InProgress(ref m) if m.contains("waiting for")),
            "{verdict:?}"
        );
    }

    #[test]
    fn flux_legacy_revision_is_normalised() {
        let obj = git_repository("True", &format!("main/{SHA}"), 2);
        assert_eq!(
            flux_readiness(&obj, Some(&format!("main@sha1:{SHA}"))),
            Readiness::Current
        );
    }

    #[test]
    fn flux_stale_observed_generation_keeps_waiting() {
        let obj = git_repository("True", "x", 1);
        assert!(matches!(
            flux_readiness(&obj, None),
            Readiness::InProgress(_)
        ));
    }

    #[test]
    fn flux_ready_false_fails_with_object_message() {
        let obj = git_repository("False", "", 2);
        assert_eq!(
            flux_readiness(&obj, None),
            Readiness::Failed("msg here".into())
        );
    }

    #[test]
    fn flux_kustomization_ready_false_for_old_revision_keeps_waiting() {
        let obj = json!({
            "kind": "Kustomization", "metadata": {"generation": 1},
            "status": {"observedGeneration": 1, "lastAttemptedRevision": "main@sha1:old",
                "conditions": [{"type": "Ready", "status": "False", "message": "boom"}]}
        });
        assert!(matches!(
            flux_readiness(&obj, Some("main@sha1:new")),
            Readiness::InProgress(_)
        ));
        assert_eq!(
            flux_readiness(&obj, Some("main@sha1:old")),
            Readiness::Failed("boom".into())
        );
    }

    #[test]
    fn flux_ready_false_while_retrying_current_generation_fails() {
        // A new GitRepository whose fetch fails: status.observedGeneration stays at the CRD
        // default -1 and Reconciling=True, but the Ready condition is for generation 1.
        let obj = json!({
            "kind": "GitRepository", "metadata": {"generation": 1},
            "status": {"observedGeneration": -1, "conditions": [
                {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry", "observedGeneration": 1},
                {"type": "Ready", "status": "False", "reason": "GitOperationFailed", "message": "repository not found", "observedGeneration": 1}
            ]}
        });
        assert_eq!(
            flux_readiness(&obj, None),
            Readiness::Failed("repository not found".into())
        );
        let mut older = obj.clone();
        older["metadata"]["generation"] = json!(2);
        assert!(matches!(
            flux_readiness(&older, None),
            Readiness::InProgress(_)
        ));
    }

    #[test]
    fn flux_suspended_and_stalled_fail() {
        let mut obj = git_repository("True", "x", 2);
        obj["spec"]["suspend"] = json!(true);
        assert_eq!(
            flux_readiness(&obj, None),
            Readiness::Failed("suspended".into())
        );
        let obj = json!({"kind": "GitRepository", "metadata": {"generation": 1},
            "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "bad url"}]}});
        assert_eq!(
            flux_readiness(&obj, None),
            Readiness::Failed("bad url".into())
        );
    }

    #[test]
    fn flux_ready_unknown_or_absent_keeps_waiting() {
        let obj = git_repository("Unknown", "x", 2);
        assert!(matches!(
            flux_readiness(&obj, None),
            Readiness::InProgress(_)
        ));
        let obj = json!({"kind": "GitRepository", "metadata": {"generation": 1}});
        assert!(matches!(
            flux_readiness(&obj, None),
            Readiness::InProgress(_)
        ));
    }

    fn deployment(available: i64, progressing_reason: &str) -> Value {
        json!({
            "kind": "Deployment", "metadata": {"generation": 3},
            "spec": {"replicas": 1, "progressDeadlineSeconds": 600},
            "status": {"observedGeneration": 3, "replicas": 1, "updatedReplicas": 1,
                "readyReplicas": available, "availableReplicas": available,
                "conditions": [
                    {"type": "Available", "status": if available > 0 {"True"} else {"False"}},
                    {"type": "Progressing", "status": "True", "reason": progressing_reason, "message": "m"}
                ]}
        })
    }

    #[test]
    fn deployment_available_with_new_replica_set_is_current() {
        assert_eq!(
            deployment_readiness(&deployment(1, "NewReplicaSetAvailable")),
            Readiness::Current
        );
    }

    #[test]
    fn deployment_without_status_or_unavailable_keeps_waiting() {
        let obj =
            json!({"kind": "Deployment", "metadata": {"generation": 1}, "spec": {"replicas": 1}});
        assert!(matches!(
            deployment_readiness(&obj),
            Readiness::InProgress(_)
        ));
        let verdict = deployment_readiness(&deployment(0, "ReplicaSetUpdated"));
        assert_eq!(
            verdict,
            Readiness::InProgress("0/1 replicas available".into())
        );
    }

    #[test]
    fn deployment_progress_deadline_exceeded_fails() {
        assert!(matches!(
            deployment_readiness(&deployment(0, "ProgressDeadlineExceeded")),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn crd_established_is_current_and_names_rejected_fails() {
        let crd = |t: &str, s: &str| {
            json!({"kind": "CustomResourceDefinition", "metadata": {"generation": 1},
            "status": {"conditions": [{"type": t, "status": s, "message": "conflict"}]}})
        };
        assert_eq!(
            crd_readiness(&crd("Established", "True")),
            Readiness::Current
        );
        assert!(matches!(
            crd_readiness(&crd("Established", "False")),
            Readiness::InProgress(_)
        ));
        assert!(matches!(
            crd_readiness(&crd("NamesAccepted", "False")),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn kstatus_configmap_is_current_and_terminating_namespace_is_not() {
        assert_eq!(
            kstatus_readiness(&json!({"kind": "ConfigMap"})),
            Readiness::Current
        );
        let ns = json!({"kind": "Namespace", "status": {"phase": "Terminating"}});
        assert!(matches!(kstatus_readiness(&ns), Readiness::InProgress(_)));
    }
}

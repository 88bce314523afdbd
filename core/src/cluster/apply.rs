//! Server-side apply of a set of objects in stages: definitions first (CRDs, Namespaces,
//! ClusterRoles), a wait for the CRDs to be Established, then everything else in a fixed kind
//! order, admission webhooks last.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Patch, PatchParams};
use serde_json::Value;

use super::wait::{WaitRule, WaitTarget};
use super::{is_not_found, Cluster, ClusterError, ObjectRef, FIELD_MANAGER};

/// How long the CRDs of the first stage may take to become Established (the Flux CLI's bound).
const ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(60);
const ESTABLISHED_INTERVAL: Duration = Duration::from_millis(100);

/// The kinds applied first, in this order, as the Flux CLI's ssa ordering does.
const KIND_ORDER: &[&str] = &[
    "CustomResourceDefinition",
    "Namespace",
    "ClusterRole",
    "ClusterClass",
    "RuntimeClass",
    "PriorityClass",
    "StorageClass",
    "VolumeSnapshotClass",
    "IngressClass",
    "GatewayClass",
    "ClusterRoleBinding",
    "ResourceQuota",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "LimitRange",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// The apply stage an object belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// CRDs, Namespaces and ClusterRoles; the CRDs are waited for before the next stage.
    Definitions,
    /// Everything else except admission webhooks.
    Resources,
    /// Mutating and validating webhook configurations, applied after all the rest.
    Webhooks,
}

impl Stage {
    fn of(object: &ObjectRef) -> Self {
        match object.kind.as_str() {
            "CustomResourceDefinition" if object.group() == "apiextensions.k8s.io" => {
                Self::Definitions
            }
            "Namespace" if object.group().is_empty() => Self::Definitions,
            "ClusterRole" if object.group() == "rbac.authorization.k8s.io" => Self::Definitions,
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration"
                if object.group() == "admissionregistration.k8s.io" =>
            {
                Self::Webhooks
            }
            _ => Self::Resources,
        }
    }
}

/// What an apply did, object by object, each list in apply order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Objects that did not exist before.
    pub created: Vec<ObjectRef>,
    /// Objects that existed and were changed.
    pub configured: Vec<ObjectRef>,
    /// Objects that already matched.
    pub unchanged: Vec<ObjectRef>,
}

impl ApplyOutcome {
    /// Whether anything in the cluster changed.
    pub fn changed(&self) -> bool {
        !self.created.is_empty() || !self.configured.is_empty()
    }
}

#[derive(Clone, Copy, Debug)]
enum Change {
    Created,
    Configured,
    Unchanged,
}

/// Checks every object, then returns them with their stage, sorted into apply order:
/// by stage, then by the fixed kind order (other kinds after, by group and kind), then by
/// namespace and name. Fails on the first object without `apiVersion`, `kind` or name.
pub fn sort_for_apply(objects: &[Value]) -> Result<Vec<(Stage, ObjectRef, Value)>, ClusterError> {
    let mut sorted = objects
        .iter()
        .enumerate()
        .map(|(index, object)| {
            let reference =
                ObjectRef::from_object(object).map_err(|missing| ClusterError::InvalidObject {
                    index,
                    field: missing.field,
                })?;
            Ok((Stage::of(&reference), reference, prepare_body(object)))
        })
        .collect::<Result<Vec<_>, ClusterError>>()?;
    sorted.sort_by(|(stage_a, a, _), (stage_b, b, _)| {
        let rank = |o: &ObjectRef| {
            KIND_ORDER
                .iter()
                .position(|k| *k == o.kind)
                .unwrap_or(KIND_ORDER.len())
        };
        (stage_a, rank(a), a.group(), &a.kind, &a.namespace, &a.name).cmp(&(
            stage_b,
            rank(b),
            b.group(),
            &b.kind,
            &b.namespace,
            &b.name,
        ))
    });
    Ok(sorted)
}

/// The body sent: no `status`, no empty `creationTimestamp`, and no empty conversion-webhook
/// `caBundle` on CRDs (the server rejects it).
fn prepare_body(object: &Value) -> Value {
    let mut body = object.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("status");
    }
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        if metadata
            .get("creationTimestamp")
            .is_some_and(Value::is_null)
        {
            metadata.remove("creationTimestamp");
        }
    }
    if let Some(client_config) = body
        .pointer_mut("/spec/conversion/webhook/clientConfig")
        .and_then(Value::as_object_mut)
    {
        if client_config
            .get("caBundle")
            .and_then(Value::as_str)
            .is_some_and(str::is_empty)
        {
            client_config.remove("caBundle");
        }
    }
    body
}

/// Whether an apply changed the object, from its metadata before and after.
///
/// A no-op apply leaves the resource version alone. A different resource version may also
/// come from a controller writing `/status` meanwhile; for kinds with a generation, which
/// only spec changes raise, that alone is not a change.
fn changed(before: &ObjectMeta, after: &ObjectMeta) -> bool {
    if before.resource_version == after.resource_version {
        return false;
    }
    match (before.generation, after.generation) {
        (Some(a), Some(b)) => {
            a != b || before.labels != after.labels || before.annotations != after.annotations
        }
        _ => true,
    }
}

impl Cluster {
    /// Applies the objects with server-side apply (field manager `flux`, forced), in stages.
    ///
    /// Every object is checked before anything is sent. Objects of one stage are applied
    /// concurrently (see [`Cluster::with_apply_concurrency`]); the CRDs of the first stage must
    /// become Established within a minute before the next stage starts.
    #[tracing::instrument(skip_all, fields(objects = objects.len()))]
    pub async fn apply(&self, objects: &[Value]) -> Result<ApplyOutcome, ClusterError> {
        let sorted = sort_for_apply(objects)?;
        let mut outcome = ApplyOutcome::default();
        for stage in [Stage::Definitions, Stage::Resources, Stage::Webhooks] {
            let batch: Vec<_> = sorted
                .iter()
                .filter(|(s, _, _)| *s == stage)
                .map(|(_, r, b)| (r, b))
                .collect();
            if batch.is_empty() {
                continue;
            }
            let changes: Vec<(ObjectRef, Change)> = futures::stream::iter(batch)
                .map(|(reference, body)| async move {
                    let change = self.apply_object(reference, body).await?;
                    Ok::<_, ClusterError>((reference.clone(), change))
                })
                .buffered(self.apply_concurrency)
                .try_collect()
                .await?;
            for (reference, change) in changes {
                match change {
                    Change::Created => outcome.created.push(reference),
                    Change::Configured => outcome.configured.push(reference),
                    Change::Unchanged => outcome.unchanged.push(reference),
                }
            }
            if stage == Stage::Definitions {
                self.await_definitions(&sorted).await?;
            }
            tracing::debug!(?stage, "stage applied");
        }
        tracing::info!(
            created = outcome.created.len(),
            configured = outcome.configured.len(),
            unchanged = outcome.unchanged.len(),
            "applied objects"
        );
        Ok(outcome)
    }

    /// Reads the live object's metadata, applies, and tells what changed (see [`changed`]).
    #[tracing::instrument(skip_all, fields(object = %reference))]
    async fn apply_object(
        &self,
        reference: &ObjectRef,
        body: &Value,
    ) -> Result<Change, ClusterError> {
        let api = self.api_for(reference).await?;
        let request_error = |action| {
            move |source| ClusterError::Request {
                action,
                object: reference.clone(),
                source: Box::new(source),
            }
        };
        // Metadata only: CRDs are large, and the resource version is all that is compared.
        let live = match api.get_metadata(&reference.name).await {
            Ok(live) => Some(live),
            Err(error) if is_not_found(&error) => None,
            Err(error) => return Err(request_error("read")(error)),
        };
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let applied = api
            .patch(&reference.name, &params, &Patch::Apply(body))
            .await
            .map_err(request_error("apply"))?;
        let change = match live {
            None => Change::Created,
            Some(live) if changed(&live.metadata, &applied.metadata) => Change::Configured,
            Some(_) => Change::Unchanged,
        };
        tracing::debug!(?change, "applied");
        Ok(change)
    }

    async fn await_definitions(
        &self,
        sorted: &[(Stage, ObjectRef, Value)],
    ) -> Result<(), ClusterError> {
        let targets: Vec<WaitTarget> = sorted
            .iter()
            .filter(|(stage, r, _)| {
                *stage == Stage::Definitions && r.kind == "CustomResourceDefinition"
            })
            .map(|(_, r, _)| WaitTarget {
                object: r.clone(),
                rule: WaitRule::Kstatus,
            })
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let started = tokio::time::Instant::now();
        let waited = self
            .wait_with_interval(&targets, ESTABLISHED_TIMEOUT, ESTABLISHED_INTERVAL)
            .await;
        // Time spent on the apiserver's establishing controller, not on this client:
        // benchmarks subtract every `waited_ms` (bench/bootstrap.sh).
        tracing::info!(
            waited_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "waited for the definitions to be established"
        );
        waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Value {
        let mut o = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(ns) = ns {
            o["metadata"]["namespace"] = json!(ns);
        }
        o
    }

    #[test]
    fn sort_for_apply_puts_definitions_first_and_webhooks_last() {
        let input = vec![
            obj(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                None,
                "w",
            ),
            obj("apps/v1", "Deployment", Some("ns"), "d"),
            obj(
                "source.toolkit.fluxcd.io/v1",
                "GitRepository",
                Some("ns"),
                "g",
            ),
            obj("v1", "ServiceAccount", Some("ns"), "sa"),
            obj("rbac.authorization.k8s.io/v1", "ClusterRole", None, "cr"),
            obj("v1", "Namespace", None, "ns"),
            obj(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                None,
                "b.x",
            ),
            obj(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                None,
                "a.x",
            ),
            obj("networking.k8s.io/v1", "NetworkPolicy", Some("ns"), "np"),
            obj(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                None,
                "crb",
            ),
        ];
        let sorted = sort_for_apply(&input).unwrap();
        let order: Vec<String> = sorted.iter().map(|(_, r, _)| r.to_string()).collect();
        assert_eq!(
            order,
            vec![
                "CustomResourceDefinition/a.x",
                "CustomResourceDefinition/b.x",
                "Namespace/ns",
                "ClusterRole/cr",
                "ClusterRoleBinding/crb",
                "ServiceAccount/ns/sa",
                "Deployment/ns/d",
                "NetworkPolicy/ns/np",
                "GitRepository/ns/g",
                "ValidatingWebhookConfiguration/w",
            ]
        );
        assert_eq!(sorted[3].0, Stage::Definitions);
        assert_eq!(sorted[4].0, Stage::Resources);
        assert_eq!(sorted[9].0, Stage::Webhooks);
    }

    #[test]
    fn sort_for_apply_object_without_kind_fails_before_anything() {
        let input = vec![
            obj("v1", "Namespace", None, "ns"),
            json!({"apiVersion": "v1", "metadata": {"name": "x"}}),
        ];
        let err = sort_for_apply(&input).unwrap_err().to_string();
        assert!(err.contains("#1") && err.contains("kind"), "{err}");
    }

    #[test]
    fn changed_ignores_status_only_writes_but_not_label_edits() {
        let meta = |rv: &str, generation: Option<i64>, label: &str| ObjectMeta {
            resource_version: Some(rv.into()),
            generation,
            labels: Some([("a".to_owned(), label.to_owned())].into()),
            ..ObjectMeta::default()
        };
        assert!(!changed(&meta("1", Some(1), "x"), &meta("1", Some(1), "x")));
        assert!(!changed(&meta("1", Some(1), "x"), &meta("2", Some(1), "x")));
        assert!(changed(&meta("1", Some(1), "x"), &meta("2", Some(2), "x")));
        assert!(changed(&meta("1", Some(1), "x"), &meta("2", Some(1), "y")));
        assert!(changed(&meta("1", None, "x"), &meta("2", None, "x")));
    }

    #[test]
    fn prepare_body_drops_status_and_empty_ca_bundle() {
        let body = prepare_body(&json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "x", "creationTimestamp": null},
            "spec": {"conversion": {"webhook": {"clientConfig": {"caBundle": "", "url": "u"}}}},
            "status": {"x": 1}
        }));
        assert!(body.get("status").is_none());
        assert!(body.pointer("/metadata/creationTimestamp").is_none());
        assert!(body
            .pointer("/spec/conversion/webhook/clientConfig/caBundle")
            .is_none());
        assert_eq!(
            body.pointer("/spec/conversion/webhook/clientConfig/url"),
            Some(&json!("u"))
        );
    }

    #[test]
    fn sort_for_apply_fixture_install_set_has_32_objects_crds_first() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/flux_cli/golden/install/default.yaml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let objects: Vec<Value> = serde_norway::Deserializer::from_str(&text)
            .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
            .filter(|v: &Value| !v.is_null())
            .collect();
        let sorted = sort_for_apply(&objects).unwrap();
        assert_eq!(sorted.len(), 32);
        let definitions = sorted
            .iter()
            .filter(|(s, _, _)| *s == Stage::Definitions)
            .count();
        assert_eq!(definitions, 11 + 1 + 3);
        assert_eq!(sorted[0].1.kind, "CustomResourceDefinition");
    }
}

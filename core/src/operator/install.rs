//! The cluster steps of the operator: install and wait, observe, remove. Removal deletes
//! the FluxInstances first when told to (the operator's finalizer then uninstalls Flux),
//! and refuses otherwise, since removing the operator under an instance would leave
//! Flux without its manager.

use std::time::{Duration, Instant};

use kube::core::GroupVersionKind;
use serde_json::Value;

use super::{InstalledComponent, OperatorError};
use crate::cluster::{
    ApplyOutcome, Cluster, ClusterError, ObjectRef, Readiness, WaitRule, WaitTarget,
};

const INSTANCE_GROUP: &str = "fluxcd.controlplane.io";
const INSTANCE_VERSION: &str = "v1";
const INSTANCE_KIND: &str = "FluxInstance";
const GONE_POLL: Duration = Duration::from_millis(500);

/// How to remove the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemovalSpec {
    /// Delete the FluxInstances first (and so Flux), instead of refusing while any exists.
    pub remove_instances: bool,
    /// Leave the namespace in place.
    pub keep_namespace: bool,
    /// How long the removal may wait for the instances to be gone.
    pub timeout: Duration,
}

/// What the cluster holds of the operator's install.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstallObservation {
    /// Install objects not found.
    pub missing: Vec<ObjectRef>,
    /// The image the operator's Deployment runs, when it exists.
    pub image: Option<String>,
    /// Why the Deployment is not available, when it is not.
    pub not_ready: Option<String>,
}

fn references(objects: &[Value]) -> Result<Vec<ObjectRef>, OperatorError> {
    objects
        .iter()
        .map(|o| {
            ObjectRef::from_object(o).map_err(|e| OperatorError::Manifests {
                version: super::OPERATOR_VERSION,
                reason: e.to_string(),
            })
        })
        .collect()
}

fn deployment(references: &[ObjectRef]) -> Option<&ObjectRef> {
    references.iter().find(|r| r.kind == "Deployment")
}

impl Cluster {
    /// Applies the install objects (CRDs first, until Established) and waits until the
    /// operator's Deployment is available, at most `timeout` in all. Right after a
    /// removal, its namespace and CRDs may still be terminating: those are waited out
    /// first, within the same `timeout`.
    #[tracing::instrument(skip_all, fields(objects = objects.len(), timeout_s = timeout.as_secs()))]
    pub async fn install_operator(
        &self,
        objects: &[Value],
        timeout: Duration,
    ) -> Result<ApplyOutcome, OperatorError> {
        let refs = references(objects)?;
        let deadline = Instant::now() + timeout;
        self.wait_terminated(objects, timeout).await?;
        let outcome = self.apply(objects).await?;
        let timeout = deadline.saturating_duration_since(Instant::now());
        let targets: Vec<WaitTarget> = deployment(&refs)
            .into_iter()
            .map(|object| WaitTarget {
                object: object.clone(),
                rule: WaitRule::Kstatus,
            })
            .collect();
        self.wait(&targets, timeout).await?;
        Ok(outcome)
    }

    /// Reads every install object: which are missing, the Deployment's image and
    /// availability.
    pub async fn observe_operator(
        &self,
        objects: &[Value],
    ) -> Result<InstallObservation, OperatorError> {
        let mut seen = InstallObservation::default();
        for reference in references(objects)? {
            let Some(live) = self.find_object(&reference).await? else {
                seen.missing.push(reference);
                continue;
            };
            if reference.kind == "Deployment" {
                let operator = InstalledComponent::of(&live);
                seen.image = operator.image;
                seen.not_ready = match operator.readiness {
                    Readiness::Current => None,
                    Readiness::InProgress(why) | Readiness::Failed(why) => Some(why),
                };
            }
        }
        Ok(seen)
    }

    /// The FluxInstances of every namespace; none when the kind is not served.
    pub async fn flux_instances(&self) -> Result<Vec<ObjectRef>, ClusterError> {
        let gvk = GroupVersionKind::gvk(INSTANCE_GROUP, INSTANCE_VERSION, INSTANCE_KIND);
        Ok(self
            .list_objects(&gvk, None, None)
            .await?
            .into_iter()
            .map(|(reference, _)| reference)
            .collect())
    }

    /// Waits until none of `objects` exists any more, at most `timeout`; the error lists
    /// those still there.
    async fn wait_gone(
        &self,
        objects: &[ObjectRef],
        timeout: Duration,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut left = Vec::new();
            for object in objects {
                if self.find_object(object).await?.is_some() {
                    left.push((object.clone(), "still being deleted".to_owned()));
                }
            }
            if left.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::Timeout {
                    timeout,
                    pending: left,
                });
            }
            tokio::time::sleep(GONE_POLL).await;
        }
    }

    /// Removes the operator: its FluxInstances first when `spec` says so (waiting until
    /// they are gone, so that the operator uninstalls Flux), then its objects in reverse
    /// order, the namespace last unless kept.
    #[tracing::instrument(skip_all, fields(remove_instances = spec.remove_instances))]
    pub async fn remove_operator(
        &self,
        objects: &[Value],
        spec: &RemovalSpec,
    ) -> Result<(), OperatorError> {
        let deadline = Instant::now() + spec.timeout;
        let instances = self.flux_instances().await?;
        if !instances.is_empty() {
            if !spec.remove_instances {
                return Err(OperatorError::InstancesLeft { instances });
            }
            for instance in &instances {
                self.delete_object(instance).await?;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            self.wait_gone(&instances, left).await?;
        }
        for reference in references(objects)?.iter().rev() {
            if reference.kind == "Namespace" && spec.keep_namespace {
                continue;
            }
            self.delete_object(reference).await?;
        }
        Ok(())
    }
}

//! Delete: uninstall Flux from the cluster, wait until it is gone, and remove the
//! managed files from git.

use std::collections::BTreeSet;
use std::time::Duration;

use flux_core::cluster::{ObjectRef, UninstallSpec};
use flux_core::git::Transaction;
use tfplug::{Diagnostic, Diagnostics};
use tokio::time::Instant;

use super::model::FILES;
use super::operations::Bootstrap;
use crate::cluster_task::run_on_cluster;
use crate::diagnostics::cluster_error;

/// Poll interval of the destroy checks.
const POLL: Duration = Duration::from_secs(2);

impl Bootstrap {
    /// Waits until the namespace is gone, so that a bootstrap right after a destroy
    /// (a replacement, or the next test) does not meet a terminating namespace.
    async fn wait_namespace_gone(&self, deadline: Instant) -> Result<(), Diagnostic> {
        let namespace = ObjectRef::new("v1", "Namespace", None, &self.model.namespace);
        loop {
            let found = self
                .cluster
                .find_object(&namespace)
                .await
                .map_err(|e| cluster_error("Failed To Read The Namespace", &e))?;
            if found.is_none() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Diagnostic::error(
                    "Namespace Still Terminating",
                    format!(
                        "Namespace {} was deleted but is still terminating at the end of timeouts.delete.",
                        self.model.namespace
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether any Flux CRD or controller Deployment of this bootstrap is still there
    /// and not being deleted, once deletions had until `deadline` to finish.
    async fn flux_remains(&self, deadline: Instant) -> Result<bool, Diagnostic> {
        loop {
            let remains = self.flux_remains_now().await?;
            if !remains || Instant::now() >= deadline {
                return Ok(remains);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn flux_remains_now(&self) -> Result<bool, Diagnostic> {
        const CRDS: [&str; 3] = [
            "gitrepositories.source.toolkit.fluxcd.io",
            "kustomizations.kustomize.toolkit.fluxcd.io",
            "helmreleases.helm.toolkit.fluxcd.io",
        ];
        let ns = self.model.namespace.as_str();
        let mut objects: Vec<ObjectRef> = CRDS
            .iter()
            .map(|c| {
                ObjectRef::new(
                    "apiextensions.k8s.io/v1",
                    "CustomResourceDefinition",
                    None,
                    c,
                )
            })
            .collect();
        objects.extend(
            self.model
                .all_components()
                .iter()
                .map(|c| ObjectRef::new("apps/v1", "Deployment", Some(ns), c)),
        );
        for object in objects {
            let found = self
                .cluster
                .find_object(&object)
                .await
                .map_err(|e| cluster_error("Failed To Read Flux In The Cluster", &e))?;
            let terminating = found
                .as_ref()
                .is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_some());
            if found.is_some() && !terminating {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Delete: uninstall from the cluster, then remove the files from git. Both steps
    /// tolerate what is already gone.
    #[tracing::instrument(skip_all, fields(namespace = %self.model.namespace))]
    pub async fn destroy(
        &mut self,
        tracked: &[String],
        timeout: Duration,
    ) -> Result<(), Diagnostics> {
        let spec = UninstallSpec {
            namespace: self.model.namespace.clone(),
            root_name: self.model.namespace.clone(),
            keep_namespace: self.model.keep_namespace,
            // Half the delete timeout at most, so the uninstall itself keeps time.
            drain: self.model.drain_workloads.then_some(timeout / 2),
        };
        let deadline = Instant::now() + timeout;
        let uninstall = tokio::time::timeout(
            timeout,
            run_on_cluster(
                &self.cluster,
                move |c| async move { c.uninstall(&spec).await },
            ),
        )
        .await;
        match uninstall {
            Ok(Err(d)) => return Err(d.into()),
            Ok(Ok(Ok(outcome))) => tracing::info!(
                deleted = outcome.deleted.len(),
                namespace = ?outcome.namespace,
                "flux uninstalled"
            ),
            Ok(Ok(Err(e))) => {
                // Some steps fail on kinds the cluster does not serve (an unserved API
                // group answers discovery with a plain-text 404); what matters is that
                // Flux is gone, so check that instead of trusting the step errors.
                if !self.flux_remains(deadline).await? {
                    tracing::warn!("uninstall reported failures but flux is gone");
                } else {
                    return Err(cluster_error("Failed To Uninstall Flux", &e).into());
                }
            }
            Err(_) => {
                return Err(Diagnostic::error(
                    "Uninstall Timed Out",
                    format!(
                        "Flux was not uninstalled within {}s (timeouts.delete).",
                        timeout.as_secs()
                    ),
                )
                .into())
            }
        }
        if !self.model.keep_namespace {
            self.wait_namespace_gone(deadline).await?;
        }
        if self.model.delete_git_manifests {
            // The current path's files and any the state still names (a path moved
            // by an update that no refresh has seen since).
            let deletes: BTreeSet<String> = FILES
                .iter()
                .map(|f| self.model.file_key(f))
                .chain(tracked.iter().cloned())
                .collect();
            let tx = Transaction {
                deletes,
                message: "Uninstall Flux".to_string(),
                ..Transaction::default()
            };
            self.pin_host_key().await?;
            let outcome = self.commit(tx).await?;
            tracing::info!(pushed = outcome.pushed(), "manifests removed from git");
        }
        Ok(())
    }
}

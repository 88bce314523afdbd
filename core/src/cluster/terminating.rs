//! Waiting out a deletion still in progress before installing again.
//!
//! An uninstall returns while Flux's namespace and CRDs may still be terminating (as
//! `flux uninstall` does). Applying then fails in confusing ways: a CRD
//! that is being deleted cannot become Established, and objects cannot be created in
//! a terminating namespace. So an install first waits, bounded, until the
//! cluster-scoped objects of its set that are being deleted are gone.

use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::Value;
use tokio::time::Instant;

use super::apply::sort_for_apply;
use super::{Cluster, ClusterError, ObjectRef};

const POLL: Duration = Duration::from_secs(1);

impl Cluster {
    /// Waits until none of the cluster-scoped objects of `objects` (the namespace, the
    /// CRDs, cluster roles) is being deleted; returns how many were. Fails with
    /// [`ClusterError::Timeout`] naming what is still terminating after `timeout`.
    #[tracing::instrument(skip_all, fields(objects = objects.len()))]
    pub async fn wait_terminated(
        &self,
        objects: &[Value],
        timeout: Duration,
    ) -> Result<usize, ClusterError> {
        let cluster_scoped: Vec<ObjectRef> = sort_for_apply(objects)?
            .into_iter()
            .map(|(_, reference, _)| reference)
            .filter(|r| r.namespace.is_none())
            .collect();
        let mut pending = self.terminating(&cluster_scoped).await?;
        let waited_for = pending.len();
        if waited_for == 0 {
            return Ok(0);
        }
        tracing::info!(
            terminating = %pending.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            "waiting for a deletion in progress to finish before installing"
        );
        let deadline = Instant::now() + timeout;
        while !pending.is_empty() {
            if Instant::now() >= deadline {
                return Err(ClusterError::Timeout {
                    timeout,
                    pending: pending
                        .into_iter()
                        .map(|r| {
                            (
                                r,
                                "still being deleted (a finalizer has not finished)".into(),
                            )
                        })
                        .collect(),
                });
            }
            tokio::time::sleep(POLL).await;
            pending = self.terminating(&pending).await?;
        }
        Ok(waited_for)
    }

    /// The objects of `references` that exist with a deletion timestamp.
    async fn terminating(&self, references: &[ObjectRef]) -> Result<Vec<ObjectRef>, ClusterError> {
        let deleting: Vec<bool> = futures::stream::iter(references)
            .map(|reference| async move {
                let live = self.find_object(reference).await?;
                Ok::<_, ClusterError>(
                    live.as_ref()
                        .and_then(|o| o.pointer("/metadata/deletionTimestamp"))
                        .is_some_and(|t| !t.is_null()),
                )
            })
            .buffered(self.apply_concurrency)
            .try_collect()
            .await?;
        Ok(references
            .iter()
            .zip(deleting)
            .filter(|(_, d)| *d)
            .map(|(r, _)| r.clone())
            .collect())
    }
}

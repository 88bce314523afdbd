//! Writing the root GitRepository's ref and waiting until Flux follows it.
//!
//! The new ref is written with a merge patch before the sync objects are applied, in
//! the same request that removes stale fields (see [`SpecRef::patch_to`]). The root
//! Kustomization and GitRepository are watched from just before that write, so that
//! every version they go through is judged (see the `switch` module).

use std::time::Duration;

use serde_json::Value;

use super::error::SwitchError;
use super::spec_ref::SpecRef;
use super::switch::{Progress, Switch};
use crate::cluster::{Cluster, ClusterError, Condition, ObjectHistory, ObjectRef, Readiness};
use crate::manifests::GitRef;

/// The longest pause between two checks of a switch.
const POLL: Duration = Duration::from_secs(1);

fn repository_ref(namespace: &str) -> ObjectRef {
    ObjectRef::new(
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        Some(namespace),
        namespace,
    )
}

fn kustomization_ref(namespace: &str) -> ObjectRef {
    ObjectRef::new(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some(namespace),
        namespace,
    )
}

/// A ref written and not yet followed: what [`settle`] starts from.
pub struct Written {
    switch: Switch,
    kustomization: Option<ObjectHistory>,
    repository: Option<ObjectHistory>,
}

/// The history of `object` from the version `live` was read at. Without one (a server
/// that refuses the watch), the readings alone judge the switch.
async fn history_from(
    cluster: &Cluster,
    object: &ObjectRef,
    live: &Value,
) -> Option<ObjectHistory> {
    let version = live
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)?;
    match cluster.watch_object(object, version).await {
        Ok(history) => Some(history),
        Err(error) => {
            tracing::debug!(object = %object, error = %error, "no watch; judging from readings only");
            None
        }
    }
}

async fn read_repository(cluster: &Cluster, namespace: &str) -> Result<Option<Value>, SwitchError> {
    cluster
        .find_object(&repository_ref(namespace))
        .await
        .map_err(|source| SwitchError::ReadRepository {
            namespace: namespace.to_string(),
            source,
        })
}

async fn read_kustomization(
    cluster: &Cluster,
    namespace: &str,
) -> Result<Option<Value>, SwitchError> {
    cluster
        .find_object(&kustomization_ref(namespace))
        .await
        .map_err(|source| SwitchError::ReadKustomization {
            namespace: namespace.to_string(),
            source,
        })
}

async fn patch_ref(cluster: &Cluster, namespace: &str, change: &Value) -> Result<(), SwitchError> {
    tracing::info!(namespace, "writing the git ref");
    cluster
        .merge_patch(&repository_ref(namespace), change)
        .await
        .map_err(|source: ClusterError| SwitchError::WriteRef {
            namespace: namespace.to_string(),
            source,
        })?;
    Ok(())
}

/// Sets the live root GitRepository's ref to exactly `wanted` in one merge patch, and
/// starts watching it and the root Kustomization from just before. `None` when the ref
/// already is `wanted`, or when there is no GitRepository yet (the apply creates it).
pub async fn write(
    cluster: &Cluster,
    namespace: &str,
    wanted: &SpecRef,
) -> Result<Option<Written>, SwitchError> {
    let k = read_kustomization(cluster, namespace).await?;
    let g = read_repository(cluster, namespace).await?;
    let Some((g, change)) = g.and_then(|g| {
        SpecRef::of_object(&g)
            .patch_to(wanted)
            .map(|change| (g, change))
    }) else {
        return Ok(None);
    };
    let kustomization = match &k {
        Some(k) => history_from(cluster, &kustomization_ref(namespace), k).await,
        None => None,
    };
    let repository = history_from(cluster, &repository_ref(namespace), &g).await;
    patch_ref(cluster, namespace, &change).await?;
    Ok(Some(Written {
        switch: Switch::new(k.as_ref()),
        kustomization,
        repository,
    }))
}

/// The condition that Flux follows the wanted ref, writing it again whenever a stale
/// apply of the old revision put another one back.
struct FollowsRef<'a> {
    namespace: &'a str,
    wanted: &'a SpecRef,
    followed: GitRef,
    repository: ObjectRef,
    written: Written,
    rewrites: u32,
}

impl FollowsRef<'_> {
    /// Feeds what the watches delivered since the last check into the switch.
    async fn catch_up(&mut self) {
        if let Some(history) = self.written.kustomization.as_mut() {
            for k in history.take().await {
                self.written.switch.see_kustomization(&k);
            }
        }
        if let Some(history) = self.written.repository.as_mut() {
            for g in history.take().await {
                self.written.switch.see_repository(&self.followed, &g);
            }
        }
    }

    /// Writes the wanted ref again after a stale apply replaced it.
    async fn rewrite(&mut self, cluster: &Cluster) -> Result<(), SwitchError> {
        self.rewrites += 1;
        tracing::info!(
            rewrites = self.rewrites,
            "a stale apply replaced the git ref, writing it again"
        );
        let g = read_repository(cluster, self.namespace).await?;
        match g.and_then(|g| SpecRef::of_object(&g).patch_to(self.wanted)) {
            Some(change) => patch_ref(cluster, self.namespace, &change).await,
            None => Ok(()),
        }
    }
}

impl Condition for FollowsRef<'_> {
    type Error = SwitchError;

    fn object(&self) -> &ObjectRef {
        &self.repository
    }

    async fn check(&mut self, cluster: &Cluster) -> Result<Readiness, SwitchError> {
        self.catch_up().await;
        let k = read_kustomization(cluster, self.namespace).await?;
        let g = read_repository(cluster, self.namespace).await?;
        let progress = match &g {
            Some(g) => self.written.switch.judge(&self.followed, g, k.as_ref()),
            None => Progress::Waiting("GitRepository: not found".into()),
        };
        match progress {
            Progress::Done => {
                tracing::info!(rewrites = self.rewrites, "git ref settled");
                Ok(Readiness::Current)
            }
            Progress::Rewrite => {
                self.rewrite(cluster).await?;
                Ok(Readiness::InProgress(
                    "the ref was replaced by a stale apply".into(),
                ))
            }
            Progress::Waiting(why) => Ok(Readiness::InProgress(why)),
            Progress::Conflict { revision, set } => Err(SwitchError::Reverted {
                namespace: self.namespace.to_string(),
                wanted: self.followed.clone(),
                revision,
                set,
            }),
            Progress::Failed(message) => Err(SwitchError::Failed {
                namespace: self.namespace.to_string(),
                wanted: self.followed.clone(),
                message,
            }),
        }
    }

    fn timed_out(&self, _: Duration, why: String) -> SwitchError {
        SwitchError::Timeout {
            namespace: self.namespace.to_string(),
            wanted: self.followed.clone(),
            reason: why,
        }
    }
}

/// Waits, for at most `timeout`, until Flux follows `wanted` (written by [`write`]).
#[tracing::instrument(skip_all, fields(namespace = %namespace))]
pub async fn settle(
    cluster: &Cluster,
    namespace: &str,
    wanted: &SpecRef,
    written: Written,
    timeout: Duration,
) -> Result<(), SwitchError> {
    let mut condition = FollowsRef {
        namespace,
        wanted,
        followed: wanted.followed(),
        repository: repository_ref(namespace),
        written,
        rewrites: 0,
    };
    cluster.wait_until(&mut condition, timeout, POLL).await
}

//! Bounded waits: poll each object, judge it with its readiness rule, fail at once on a
//! terminal failure, and on timeout say what was still not ready.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::try_join_all;
use serde_json::Value;
use tokio::time::Instant;

use super::history::to_json;
use super::readiness::{flux_readiness, kstatus_readiness, Readiness};
use super::{is_not_found, Cluster, ClusterError, ObjectRef};

/// The longest poll interval, as the Flux CLI's.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// How an object is judged ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitRule {
    /// Flux's checklist, optionally requiring a revision such as `main@sha1:<sha>`.
    Flux {
        /// The revision the object must report.
        expected_revision: Option<String>,
    },
    /// The kstatus rules for the object's kind (Deployments, CRDs, ...).
    Kstatus,
}

/// One object to wait for, and its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitTarget {
    /// The object.
    pub object: ObjectRef,
    /// How to judge it.
    pub rule: WaitRule,
}

impl WaitTarget {
    fn judge(&self, live: Option<&Value>) -> Readiness {
        let Some(live) = live else {
            return Readiness::InProgress("not found".into());
        };
        match &self.rule {
            WaitRule::Flux { expected_revision } => {
                flux_readiness(live, expected_revision.as_deref())
            }
            WaitRule::Kstatus => kstatus_readiness(live),
        }
    }
}

impl Cluster {
    /// Waits until every target is ready, for at most `timeout`: polling after 250 ms,
    /// then twice as long each round up to every 2 s, so that an object ready at once
    /// (on a near cluster) costs no full interval.
    ///
    /// A terminal failure (Ready=False, Stalled=True, suspended, progress deadline exceeded)
    /// fails at once with the object's message. On timeout the error lists every object still
    /// not ready and why. Progress is logged whenever an object's state changes.
    pub async fn wait(
        &self,
        targets: &[WaitTarget],
        timeout: Duration,
    ) -> Result<(), ClusterError> {
        self.wait_with_interval(targets, timeout, DEFAULT_INTERVAL)
            .await
    }

    /// [`Cluster::wait`] with a chosen longest poll interval (the first pause is an
    /// eighth of it, at least 50 ms).
    #[tracing::instrument(skip_all, fields(targets = targets.len(), timeout_s = timeout.as_secs()))]
    pub async fn wait_with_interval(
        &self,
        targets: &[WaitTarget],
        timeout: Duration,
        interval: Duration,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + timeout;
        let mut last_seen: HashMap<&ObjectRef, Readiness> = HashMap::new();
        let mut pending: Vec<&WaitTarget> = targets.iter().collect();
        let mut pause = (interval / 8).max(Duration::from_millis(50)).min(interval);
        loop {
            let verdicts = try_join_all(pending.iter().map(|target| async move {
                match self.find_object(&target.object).await {
                    Ok(live) => Ok(target.judge(live.as_ref())),
                    // A server hiccup is not the object's failure: poll again.
                    Err(error) if error.is_retryable() => Ok(Readiness::InProgress(format!(
                        "cannot be read yet: {error}"
                    ))),
                    Err(error) => Err(error),
                }
            }))
            .await?;
            let mut still_pending = Vec::new();
            for (target, verdict) in pending.into_iter().zip(verdicts) {
                if last_seen.get(&target.object) != Some(&verdict) {
                    match &verdict {
                        Readiness::Current => {
                            tracing::info!(object = %target.object, "ready");
                        }
                        Readiness::InProgress(why) => {
                            tracing::info!(object = %target.object, state = %why, "waiting");
                        }
                        Readiness::Failed(_) => {}
                    }
                }
                match &verdict {
                    Readiness::Current => {}
                    Readiness::Failed(message) => {
                        return Err(ClusterError::Failed {
                            object: target.object.clone(),
                            message: message.clone(),
                        })
                    }
                    Readiness::InProgress(_) => still_pending.push(target),
                }
                last_seen.insert(&target.object, verdict);
            }
            pending = still_pending;
            if pending.is_empty() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ClusterError::Timeout {
                    timeout,
                    pending: pending
                        .iter()
                        .map(|t| {
                            let why = match last_seen.get(&t.object) {
                                Some(Readiness::InProgress(why)) => why.clone(),
                                _ => String::from("not ready"),
                            };
                            (t.object.clone(), why)
                        })
                        .collect(),
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(interval);
        }
    }

    /// Reads one object as JSON; `None` when it, its namespace or its kind does not exist.
    pub async fn find_object(&self, object: &ObjectRef) -> Result<Option<Value>, ClusterError> {
        if self.find_resource(&object.gvk()).await?.is_none() {
            return Ok(None);
        }
        let api = self.api_for(object).await?;
        let live = match api.get(&object.name).await {
            Ok(live) => Some(live),
            Err(error) if is_not_found(&error) => None,
            Err(source) => {
                return Err(ClusterError::Request {
                    action: "read",
                    object: object.clone(),
                    source: Box::new(source),
                })
            }
        };
        let Some(live) = live else {
            return Ok(None);
        };
        to_json(object, live)
            .map(Some)
            .ok_or_else(|| ClusterError::Failed {
                object: object.clone(),
                message: "object could not be encoded as JSON".into(),
            })
    }
}

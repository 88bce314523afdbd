//! Bounded waits: poll each object, judge it with its readiness rule (or check a
//! [`Condition`]), fail at once on a terminal failure, and on timeout say what was still
//! not ready.

use std::collections::HashMap;
use std::future::Future;
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

/// A state to wait for that no readiness rule of one object judges: several objects
/// read together, or what their watches delivered. A check may also act (write back a
/// field that another party reverted).
pub trait Condition {
    /// How a check fails. The wait's own failures (a [`Readiness::Failed`] verdict, the
    /// time running out) are [`ClusterError`]s turned into it.
    type Error: From<ClusterError>;

    /// The object the condition is about, named when the wait runs out of time.
    fn object(&self) -> &ObjectRef;

    /// Checks once: `Current` ends the wait, `InProgress` says why it goes on,
    /// `Failed` or an error ends it with that failure.
    fn check(
        &mut self,
        cluster: &Cluster,
    ) -> impl Future<Output = Result<Readiness, Self::Error>> + Send;

    /// The error of a wait that ran out of `timeout`, `why` being the last check's
    /// reason: a [`ClusterError::Timeout`] naming [`Condition::object`] unless the
    /// condition words its own.
    fn timed_out(&self, timeout: Duration, why: String) -> Self::Error {
        ClusterError::Timeout {
            timeout,
            pending: vec![(self.object().clone(), why)],
        }
        .into()
    }
}

/// The pauses between checks: an eighth of the interval first (at least 50 ms), then
/// twice as long each round up to the interval, never past the deadline.
struct Pacing {
    deadline: Instant,
    pause: Duration,
    interval: Duration,
}

impl Pacing {
    fn new(timeout: Duration, interval: Duration) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            pause: (interval / 8).max(Duration::from_millis(50)).min(interval),
            interval,
        }
    }

    /// Sleeps until the next check; `false` once the deadline has passed.
    async fn wait(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.pause.min(self.deadline - now)).await;
        self.pause = (self.pause * 2).min(self.interval);
        true
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
        let mut pacing = Pacing::new(timeout, interval);
        let mut last_seen: HashMap<&ObjectRef, Readiness> = HashMap::new();
        let mut pending: Vec<&WaitTarget> = targets.iter().collect();
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
            if !pacing.wait().await {
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
        }
    }

    /// Waits until `condition` holds, for at most `timeout`, paced as
    /// [`Cluster::wait_with_interval`]. A check runs at least once, even with no time
    /// left.
    pub async fn wait_until<C: Condition>(
        &self,
        condition: &mut C,
        timeout: Duration,
        interval: Duration,
    ) -> Result<(), C::Error> {
        let mut pacing = Pacing::new(timeout, interval);
        loop {
            let why = match condition.check(self).await? {
                Readiness::Current => return Ok(()),
                Readiness::Failed(message) => {
                    return Err(ClusterError::Failed {
                        object: condition.object().clone(),
                        message,
                    }
                    .into())
                }
                Readiness::InProgress(why) => why,
            };
            if !pacing.wait().await {
                return Err(condition.timed_out(timeout, why));
            }
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

#[cfg(test)]
mod tests {
    use super::super::ConnectionSpec;
    use super::*;

    /// Met after `left` more checks; `fail` ends it with a failure instead.
    struct Countdown {
        object: ObjectRef,
        left: u32,
        checks: u32,
        fail: bool,
    }

    impl Countdown {
        fn new(left: u32) -> Self {
            Self {
                object: ObjectRef::new("v1", "ConfigMap", Some("ns"), "c"),
                left,
                checks: 0,
                fail: false,
            }
        }
    }

    impl Condition for Countdown {
        type Error = ClusterError;

        fn object(&self) -> &ObjectRef {
            &self.object
        }

        async fn check(&mut self, _: &Cluster) -> Result<Readiness, ClusterError> {
            self.checks += 1;
            if self.fail {
                return Ok(Readiness::Failed("broken".into()));
            }
            if self.left == 0 {
                return Ok(Readiness::Current);
            }
            self.left -= 1;
            Ok(Readiness::InProgress(format!("{} to go", self.left + 1)))
        }
    }

    fn cluster() -> Cluster {
        Cluster::new(ConnectionSpec::default()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_checks_until_the_condition_is_met() {
        let mut countdown = Countdown::new(3);
        let waited = cluster()
            .wait_until(
                &mut countdown,
                Duration::from_secs(60),
                Duration::from_secs(1),
            )
            .await;
        assert!(waited.is_ok(), "{waited:?}");
        assert_eq!(countdown.checks, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_timeout_names_the_object_and_the_last_reason() {
        let mut countdown = Countdown::new(1000);
        let waited = cluster()
            .wait_until(
                &mut countdown,
                Duration::from_secs(5),
                Duration::from_secs(1),
            )
            .await;
        match waited {
            Err(ClusterError::Timeout { timeout, pending }) => {
                assert_eq!(timeout, Duration::from_secs(5));
                let to_go = 1000 - countdown.checks + 1;
                assert_eq!(
                    pending,
                    vec![(countdown.object.clone(), format!("{to_go} to go"))]
                );
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        // 125 ms, 250 ms, 500 ms, then every second: about eight checks in 5 s.
        assert!((7..=9).contains(&countdown.checks), "{}", countdown.checks);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_checks_once_with_no_time_left() {
        let mut countdown = Countdown::new(0);
        let waited = cluster()
            .wait_until(&mut countdown, Duration::ZERO, Duration::from_secs(1))
            .await;
        assert!(waited.is_ok());
        let mut never = Countdown::new(5);
        let waited = cluster()
            .wait_until(&mut never, Duration::ZERO, Duration::from_secs(1))
            .await;
        assert!(matches!(waited, Err(ClusterError::Timeout { .. })));
        assert_eq!(never.checks, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_failed_verdict_ends_the_wait_at_once() {
        let mut countdown = Countdown::new(5);
        countdown.fail = true;
        let waited = cluster()
            .wait_until(
                &mut countdown,
                Duration::from_secs(60),
                Duration::from_secs(1),
            )
            .await;
        match waited {
            Err(ClusterError::Failed { object, message }) => {
                assert_eq!(object, countdown.object);
                assert_eq!(message, "broken");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(countdown.checks, 1);
    }
}

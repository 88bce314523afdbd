//! Every version one object goes through from a known resourceVersion on, read from a
//! watch: a state that lasts less than a poll interval (a controller's status between
//! two of its own patches) is still seen.

use std::time::Duration;

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use kube::api::{DynamicObject, WatchEvent, WatchParams};
use serde_json::Value;

use super::{Cluster, ClusterError, ObjectRef};

/// The versions of one object, in the order the server wrote them.
///
/// A watch the server closes (its timeout) is opened again from the last version seen.
/// A gap the server cannot replay (410 Gone: the version left its watch cache) or a
/// watch that cannot be reopened ends the history; [`ObjectHistory::complete`] then
/// says so, and the caller falls back to what it reads itself.
pub struct ObjectHistory {
    object: ObjectRef,
    api: kube::Api<DynamicObject>,
    events: Option<BoxStream<'static, kube::Result<WatchEvent<DynamicObject>>>>,
    last_version: String,
    complete: bool,
    request_timeout: Duration,
}

/// The server ends each watch before the client's idle bound on reads would cut
/// it (a quiet object sends nothing), so that an idle watch is reopened, not lost.
fn params(object: &ObjectRef, request_timeout: Duration) -> WatchParams {
    let secs = u32::try_from(request_timeout.as_secs() * 3 / 4).unwrap_or(u32::MAX);
    WatchParams::default()
        .fields(&format!("metadata.name={}", object.name))
        .timeout(secs.clamp(1, 290))
}

impl Cluster {
    /// Starts the history of `object` after `resource_version` (the versions the server
    /// wrote since then are replayed first).
    pub async fn watch_object(
        &self,
        object: &ObjectRef,
        resource_version: &str,
    ) -> Result<ObjectHistory, ClusterError> {
        let api = self.api_for(object).await?;
        let events = api
            .watch(&params(object, self.request_timeout), resource_version)
            .await
            .map_err(|source| ClusterError::Request {
                action: "watch",
                object: object.clone(),
                source: Box::new(source),
            })?
            .boxed();
        Ok(ObjectHistory {
            object: object.clone(),
            api,
            events: Some(events),
            last_version: resource_version.to_string(),
            complete: true,
            request_timeout: self.request_timeout,
        })
    }
}

impl ObjectHistory {
    /// Whether every version since the start was delivered.
    pub fn complete(&self) -> bool {
        self.complete
    }

    fn end(&mut self, why: &str) {
        tracing::debug!(object = %self.object, why, "the object's history has a gap");
        self.events = None;
        self.complete = false;
    }

    /// The versions that arrived since the last call, oldest first, without waiting
    /// for more.
    pub async fn take(&mut self) -> Vec<Value> {
        let mut versions = Vec::new();
        let mut reopened = false;
        while let Some(events) = self.events.as_mut() {
            match events.next().now_or_never() {
                None => break,
                Some(Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)))) => {
                    if let Some(version) = &o.metadata.resource_version {
                        self.last_version.clone_from(version);
                    }
                    match to_json(&self.object, o) {
                        Some(value) => versions.push(value),
                        None => self.end("undecodable version"),
                    }
                }
                Some(Some(Ok(WatchEvent::Bookmark(b)))) => {
                    self.last_version = b.metadata.resource_version;
                }
                // A deleted object has no more versions worth judging.
                Some(Some(Ok(WatchEvent::Deleted(_)))) => self.end("deleted"),
                Some(Some(Ok(WatchEvent::Error(status)))) => {
                    self.end(&format!("watch error {}", status.code));
                }
                Some(Some(Err(_))) => self.end("watch failed"),
                // Closed by the server: open it once more, later calls go on.
                Some(None) if !reopened => {
                    reopened = true;
                    self.reopen().await;
                }
                Some(None) => break,
            }
        }
        versions
    }

    async fn reopen(&mut self) {
        match self
            .api
            .watch(
                &params(&self.object, self.request_timeout),
                &self.last_version,
            )
            .await
        {
            Ok(events) => self.events = Some(events.boxed()),
            Err(_) => self.end("watch could not be reopened"),
        }
    }
}

/// The object as JSON, with the kind and apiVersion the readiness rules dispatch on.
pub(super) fn to_json(object: &ObjectRef, live: DynamicObject) -> Option<Value> {
    let mut value = serde_json::to_value(live).ok()?;
    if let Some(map) = value.as_object_mut() {
        map.entry("kind")
            .or_insert_with(|| Value::String(object.kind.clone()));
        map.entry("apiVersion")
            .or_insert_with(|| Value::String(object.api_version.clone()));
    }
    Some(value)
}

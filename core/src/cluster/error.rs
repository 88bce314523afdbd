//! The failures of the cluster engine.

use std::time::Duration;

use super::{is_not_found, ConnectionError, ObjectRef};

/// A failure of a cluster operation, naming the object and the step.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The connection settings are unusable or the client could not be built.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// An input value is unusable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// What is wrong (never the value itself).
        reason: String,
    },
    /// An input object lacks a required field.
    #[error("object #{index} of the input has no {field}")]
    InvalidObject {
        /// Position of the object in the input list.
        index: usize,
        /// The missing field.
        field: &'static str,
    },
    /// A namespaced object was given without a namespace.
    #[error("{object} is namespaced but has no metadata.namespace")]
    MissingNamespace {
        /// The object.
        object: ObjectRef,
    },
    /// The server does not serve the object's kind.
    #[error("the cluster does not serve kind {kind} in {api_version}")]
    UnknownKind {
        /// `group/version`.
        api_version: String,
        /// The kind.
        kind: String,
    },
    /// A discovery request failed.
    #[error("failed to discover the resources of {api_version}")]
    Discovery {
        /// `group/version`.
        api_version: String,
        /// What kube reported.
        #[source]
        source: Box<kube::Error>,
    },
    /// A request about one object failed.
    #[error("failed to {action} {object}")]
    Request {
        /// What was being done: "apply", "read", "delete", ...
        action: &'static str,
        /// The object.
        object: ObjectRef,
        /// What kube reported.
        #[source]
        source: Box<kube::Error>,
    },
    /// A list request failed.
    #[error("failed to list {kind} in {scope}")]
    List {
        /// The kind.
        kind: String,
        /// A namespace, or "all namespaces".
        scope: String,
        /// What kube reported.
        #[source]
        source: Box<kube::Error>,
    },
    /// An object reported a terminal failure (Ready=False, Stalled=True, suspended, ...).
    #[error("{object} failed: {message}")]
    Failed {
        /// The object.
        object: ObjectRef,
        /// The object's own message.
        message: String,
    },
    /// A wait ran out of time.
    #[error("timed out after {timeout:?} waiting for {}", format_pending(.pending))]
    Timeout {
        /// The time waited.
        timeout: Duration,
        /// Each object still not ready, with why.
        pending: Vec<(ObjectRef, String)>,
    },
    /// Several steps of an uninstall failed; each was attempted.
    #[error("uninstall finished with {} failure(s): {}", .failures.len(), format_failures(.failures))]
    Uninstall {
        /// The failures, in the order they happened.
        failures: Vec<ClusterError>,
    },
}

fn format_pending(pending: &[(ObjectRef, String)]) -> String {
    pending
        .iter()
        .map(|(object, why)| format!("{object} ({why})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_failures(failures: &[ClusterError]) -> String {
    failures
        .iter()
        .map(ClusterError::with_causes)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ClusterError {
    /// One line with the error and its causes (`error: cause: cause`), as a log line
    /// or an aggregated failure shows it.
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

impl ClusterError {
    fn kube_source(&self) -> Option<&kube::Error> {
        match self {
            Self::Request { source, .. }
            | Self::List { source, .. }
            | Self::Discovery { source, .. } => Some(source),
            _ => None,
        }
    }

    fn api_status(&self) -> Option<&kube::core::Status> {
        match self.kube_source() {
            Some(kube::Error::Api(status)) => Some(status),
            _ => None,
        }
    }

    /// The server said the object (or its namespace) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kube_source().is_some_and(is_not_found)
    }

    /// The server refused for lack of permission (or a terminating namespace).
    pub fn is_forbidden(&self) -> bool {
        self.api_status().is_some_and(|s| s.is_forbidden())
    }

    /// The server rejected the object as invalid.
    pub fn is_invalid(&self) -> bool {
        self.api_status().is_some_and(|s| s.is_invalid())
    }

    /// The credentials were rejected.
    pub fn is_unauthorized(&self) -> bool {
        self.api_status().is_some_and(|s| s.code == 401)
    }

    /// Trying again later may succeed (server busy, transport failure, timeout).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            _ => match self.kube_source() {
                Some(kube::Error::Api(status)) => {
                    matches!(status.code, 429 | 500 | 502 | 503 | 504)
                }
                Some(kube::Error::HyperError(_) | kube::Error::Service(_)) => true,
                _ => false,
            },
        }
    }

    /// The API server a request was sent to when it failed before any answer
    /// (refused, reset, TLS, timeout); `None` for every other failure.
    pub fn unreachable_server(&self) -> Option<&str> {
        self.kube_source().and_then(super::server::failed_server)
    }

    /// The object reported a terminal failure.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_display_lists_each_pending_object_with_reason() {
        let err = ClusterError::Timeout {
            timeout: Duration::from_secs(2),
            pending: vec![
                (
                    ObjectRef::new("apps/v1", "Deployment", Some("flux-system"), "a"),
                    "0/1 replicas available".into(),
                ),
                (
                    ObjectRef::new("v1", "Namespace", None, "b"),
                    "not found".into(),
                ),
            ],
        };
        let text = err.to_string();
        assert!(
            text.contains("Deployment/flux-system/a (0/1 replicas available)"),
            "{text}"
        );
        assert!(text.contains("Namespace/b (not found)"), "{text}");
    }
}

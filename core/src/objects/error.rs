//! Errors of the Flux object engine.

use std::sync::Arc;

use crate::cluster::ClusterError;
use crate::git::GitError;

/// One invalid field of an object spec, named by its path (`ref.branch`,
/// `source_ref.kind`), as the provider's attributes are named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FieldError {
    /// The field path, `.`-separated (list items as `name[0]`).
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub reason: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// What went wrong delivering or observing a Flux object.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The spec did not pass validation.
    #[error("invalid {kind} spec ({count} field errors)", count = errors.len())]
    Invalid {
        /// The kind.
        kind: &'static str,
        /// Every invalid field.
        errors: Vec<FieldError>,
    },
    /// A `kustomization.yaml` in the repository could not be parsed or updated.
    #[error("cannot update {path}: {reason}")]
    Kustomization {
        /// The repository path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A git read or commit failed (shared by every object of a batch).
    #[error("git delivery to {url} failed")]
    Git {
        /// The repository URL (no credentials).
        url: String,
        /// The engine's error.
        #[source]
        source: Arc<GitError>,
    },
    /// A cluster request failed.
    #[error("cluster request for {object} failed")]
    Cluster {
        /// The object (`Kind namespace/name`).
        object: String,
        /// The engine's error.
        #[source]
        source: Box<ClusterError>,
    },
    /// The object reported a terminal failure while being waited for.
    #[error("{object} is not ready: {message}")]
    NotReady {
        /// The object (`Kind namespace/name`).
        object: String,
        /// The object's own message.
        message: String,
    },
    /// The wait ran out of time.
    #[error("{object} was not ready within {seconds}s: {state}")]
    Timeout {
        /// The object (`Kind namespace/name`).
        object: String,
        /// The limit.
        seconds: u64,
        /// The last state seen.
        state: String,
    },
    /// A blocking task could not be joined.
    #[error("background task failed")]
    Task {
        /// Why.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl ObjectError {
    /// Whether the failure is the object's own (bad spec, Ready=False), not the
    /// transport's: retrying without a change will not help.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ObjectError::Invalid { .. } | ObjectError::NotReady { .. }
        )
    }
}

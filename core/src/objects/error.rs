//! Errors of the Flux object engine.

use std::sync::Arc;

use crate::cluster::ClusterError;
use crate::git::GitError;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A field, by its snake_case name ([`FieldDef::name`](super::FieldDef::name)).
    Field(&'static str),
    /// An item of a list.
    Index(usize),
}

/// Where a field sits in an object: field names and list indices, from the top of
/// the spec (`metadata` fields by their own name, `name` and `namespace`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The top-level field `name`.
    pub fn field(name: &'static str) -> Self {
        Self(vec![PathSegment::Field(name)])
    }

    /// The field `name` inside this one.
    pub fn at_field(mut self, name: &'static str) -> Self {
        self.0.push(PathSegment::Field(name));
        self
    }

    /// The item `index` of this list.
    pub fn at_index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }

    /// The steps, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }
}

/// `source_ref.kind`, `health_checks[0].name`.
impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One invalid field of an object spec, with where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FieldError {
    /// Where the field is.
    pub path: FieldPath,
    /// What is wrong, lowercase, no trailing period.
    pub reason: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: FieldPath, reason: impl Into<String>) -> Self {
        Self {
            path,
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

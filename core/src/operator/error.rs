//! Errors of the operator's install and removal.

use crate::cluster::ClusterError;
use crate::manifests::ManifestError;
use crate::object_ref::ObjectRef;

/// An operator step failed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The built-in manifests do not parse or lack an object they must have.
    #[error("the built-in Flux Operator {version} manifests are unusable: {reason}")]
    Manifests {
        /// The built-in version.
        version: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The built-in manifests are not YAML.
    #[error("the built-in Flux Operator manifests do not parse")]
    Parse(#[source] ManifestError),
    /// An input value is unusable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// FluxInstances exist, and the removal was not told to delete them.
    #[error(
        "the operator still manages {}: delete them first, or remove the operator with its instances",
        format_refs(.instances)
    )]
    InstancesLeft {
        /// The FluxInstances found.
        instances: Vec<ObjectRef>,
    },
    /// A cluster step failed.
    #[error(transparent)]
    Cluster(Box<ClusterError>),
}

impl From<ClusterError> for OperatorError {
    fn from(error: ClusterError) -> Self {
        Self::Cluster(Box::new(error))
    }
}

fn format_refs(refs: &[ObjectRef]) -> String {
    refs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

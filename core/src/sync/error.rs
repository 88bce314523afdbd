//! The failures of a ref switch.

use crate::cluster::ClusterError;
use crate::manifests::GitRef;

/// Why the root GitRepository does not follow the wanted ref.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// The root GitRepository could not be read.
    #[error("failed to read GitRepository {namespace}/{namespace}")]
    ReadRepository {
        /// Its namespace (and name).
        namespace: String,
        /// What the cluster reported.
        #[source]
        source: ClusterError,
    },
    /// The root Kustomization could not be read.
    #[error("failed to read Kustomization {namespace}/{namespace}")]
    ReadKustomization {
        /// Its namespace (and name).
        namespace: String,
        /// What the cluster reported.
        #[source]
        source: ClusterError,
    },
    /// The ref could not be written.
    #[error("failed to write the ref of GitRepository {namespace}/{namespace}")]
    WriteRef {
        /// The GitRepository's namespace (and name).
        namespace: String,
        /// What the cluster reported.
        #[source]
        source: ClusterError,
    },
    /// The wanted ref's own revision put another ref in place.
    #[error("GitRepository {namespace}/{namespace} was set to follow {wanted}, which resolved to {revision}; the root Kustomization then applied gotk-sync.yaml from that revision, which makes it follow {set}. Point the ref at a commit whose gotk-sync.yaml follows {wanted}.")]
    Reverted {
        /// The GitRepository's namespace (and name).
        namespace: String,
        /// The ref written.
        wanted: GitRef,
        /// The revision it resolved to.
        revision: String,
        /// The ref that revision's `gotk-sync.yaml` sets.
        set: GitRef,
    },
    /// source-controller or kustomize-controller failed on the wanted ref.
    #[error("Flux failed to follow {wanted} in {namespace}/{namespace}: {message}")]
    Failed {
        /// The GitRepository's namespace (and name).
        namespace: String,
        /// The ref written.
        wanted: GitRef,
        /// The controller's message.
        message: String,
    },
    /// Flux did not follow the ref in time.
    #[error("GitRepository {namespace}/{namespace} did not settle on {wanted} before the timeout: {reason}")]
    Timeout {
        /// The GitRepository's namespace (and name).
        namespace: String,
        /// The ref written.
        wanted: GitRef,
        /// Where the switch stood at the last reading.
        reason: String,
    },
    /// The wait itself failed.
    #[error(transparent)]
    Wait(#[from] ClusterError),
}

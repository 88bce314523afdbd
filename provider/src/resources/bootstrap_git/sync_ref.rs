//! The root GitRepository's ref switch (flux-core's `sync` module), mapped onto
//! diagnostics located at the attribute that sets the ref.

use flux_core::cluster::Cluster;
use flux_core::manifests::GitRef;
use flux_core::sync::{self, SpecRef, SwitchError, Written};
use tfplug::{AttributePath, Diagnostic};
use tokio::time::Instant;

use crate::diagnostics::cluster_error;

/// The attribute that sets `wanted`, for error locations (none for the branch, which
/// is the provider's `git.branch`).
fn attribute(wanted: &GitRef) -> Option<AttributePath> {
    match wanted {
        GitRef::Tag(_) => Some(AttributePath::attr("sync_tag")),
        GitRef::Semver(_) => Some(AttributePath::attr("sync_semver")),
        GitRef::Commit(_) => Some(AttributePath::attr("sync_commit")),
        GitRef::Branch(_) | GitRef::Name(_) => None,
    }
}

fn located(d: Diagnostic, wanted: &GitRef) -> Diagnostic {
    match attribute(wanted) {
        Some(path) => d.at(path),
        None => d,
    }
}

fn diagnostic(error: &SwitchError) -> Diagnostic {
    match error {
        SwitchError::ReadRepository { source, .. } => {
            cluster_error("Failed To Read The GitRepository", source)
        }
        SwitchError::ReadKustomization { source, .. } => {
            cluster_error("Failed To Read The Kustomization", source)
        }
        SwitchError::WriteRef { source, .. } => {
            cluster_error("Failed To Update The GitRepository Ref", source)
        }
        SwitchError::Reverted { wanted, .. } => located(
            Diagnostic::from_error("Git Ref Reverted By Flux", error),
            wanted,
        ),
        SwitchError::Failed { wanted, .. } => located(
            Diagnostic::from_error("Flux Failed On The Git Ref", error),
            wanted,
        ),
        SwitchError::Timeout { wanted, .. } => located(
            Diagnostic::from_error("Flux Did Not Follow The Git Ref", error),
            wanted,
        ),
        SwitchError::Wait(source) => cluster_error("Flux Did Not Follow The Git Ref", source),
    }
}

/// [`sync::write`]: the new ref, written before the sync objects are applied.
pub async fn write(
    cluster: &Cluster,
    namespace: &str,
    wanted: &SpecRef,
) -> Result<Option<Written>, Diagnostic> {
    sync::write(cluster, namespace, wanted)
        .await
        .map_err(|e| diagnostic(&e))
}

/// [`sync::settle`] until `deadline`.
pub async fn settle(
    cluster: &Cluster,
    namespace: &str,
    wanted: &SpecRef,
    written: Written,
    deadline: Instant,
) -> Result<(), Diagnostic> {
    let timeout = deadline.saturating_duration_since(Instant::now());
    sync::settle(cluster, namespace, wanted, written, timeout)
        .await
        .map_err(|e| diagnostic(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::cluster::ClusterError;

    fn tag() -> GitRef {
        GitRef::Tag("v2.0.0".into())
    }

    #[test]
    fn reverted_ref_is_located_at_the_attribute_that_sets_it() {
        let d = diagnostic(&SwitchError::Reverted {
            namespace: "flux-system".into(),
            wanted: tag(),
            revision: "v2.0.0@sha1:c".into(),
            set: GitRef::Tag("v1.0.0".into()),
        });
        assert_eq!(d.summary, "Git Ref Reverted By Flux");
        assert_eq!(
            d.detail,
            "GitRepository flux-system/flux-system was set to follow tag v2.0.0, which resolved to v2.0.0@sha1:c; the root Kustomization then applied gotk-sync.yaml from that revision, which makes it follow tag v1.0.0. Point the ref at a commit whose gotk-sync.yaml follows tag v2.0.0."
        );
        assert_eq!(d.path, Some(AttributePath::attr("sync_tag")));
    }

    #[test]
    fn failure_and_timeout_texts_name_the_ref_and_the_branch_has_no_location() {
        let d = diagnostic(&SwitchError::Failed {
            namespace: "ns".into(),
            wanted: GitRef::Semver(">=9".into()),
            message: "no tag matches".into(),
        });
        assert_eq!(d.summary, "Flux Failed On The Git Ref");
        assert_eq!(
            d.detail,
            "Flux failed to follow semver >=9 in ns/ns: no tag matches"
        );
        assert_eq!(d.path, Some(AttributePath::attr("sync_semver")));
        let d = diagnostic(&SwitchError::Timeout {
            namespace: "ns".into(),
            wanted: GitRef::Branch("main".into()),
            reason: "GitRepository: not found".into(),
        });
        assert_eq!(d.summary, "Flux Did Not Follow The Git Ref");
        assert_eq!(
            d.detail,
            "GitRepository ns/ns did not settle on branch main before the timeout: GitRepository: not found"
        );
        assert_eq!(d.path, None);
    }

    #[test]
    fn cluster_failures_keep_the_cluster_error_as_detail() {
        let source = || ClusterError::Invalid {
            field: "f",
            reason: "r".into(),
        };
        let d = diagnostic(&SwitchError::ReadKustomization {
            namespace: "ns".into(),
            source: source(),
        });
        assert_eq!(d.summary, "Failed To Read The Kustomization");
        assert_eq!(d.detail, source().to_string());
        assert_eq!(d.path, None);
        let d = diagnostic(&SwitchError::WriteRef {
            namespace: "ns".into(),
            source: source(),
        });
        assert_eq!(d.summary, "Failed To Update The GitRepository Ref");
    }
}

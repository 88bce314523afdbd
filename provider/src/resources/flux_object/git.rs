//! The git side of a Flux object resource: its file committed through the
//! provider's shared delivery, read back, and its default directory.

use std::sync::Arc;

use flux_core::cluster::{Cluster, ObjectRef};
use flux_core::objects::{self, FileChange, GitDestination};
use serde_json::Value as Json;
use tfplug::{AttributePath, Diagnostic, Diagnostics};

use super::cluster::on_cluster;
use super::connection;
use super::model::{join, normalize_directory};
use crate::config::ProviderData;
use crate::diagnostics::object_error;

/// The directory under the synced path used when `git_directory` is not set.
const DEFAULT_SUBDIRECTORY: &str = "flux-objects";

/// The provider's git destination, resolved off the async runtime.
pub async fn destination(data: &ProviderData) -> Result<GitDestination, Diagnostics> {
    let resolve = data.clone();
    tokio::task::spawn_blocking(move || connection::git_destination(&resolve))
        .await
        .map_err(|e| Diagnostics::from(Diagnostic::from_error("Internal Error", &e)))?
        .map_err(Diagnostics::from)
}

/// Commits `changes` to the provider's repository, batched with the changes of
/// the other resources writing to it.
pub async fn deliver(
    data: &ProviderData,
    destination: &GitDestination,
    changes: Vec<FileChange>,
) -> Result<(), Diagnostics> {
    let outcome = data
        .git_cache
        .object_delivery()?
        .deliver(destination, changes)
        .await
        .map_err(|e| object_error("Git Delivery Failed", &e))?;
    tracing::info!(
        commit = outcome.commit.as_deref().unwrap_or("none"),
        "delivered to git"
    );
    Ok(())
}

/// The file at repository path `path`, parsed; `None` when it is not there or
/// not listed in its directory's `kustomization.yaml`.
pub async fn observe(
    data: &ProviderData,
    destination: &GitDestination,
    path: &str,
) -> Result<Option<Json>, Diagnostics> {
    let (directory, file) = path.rsplit_once('/').unwrap_or(("", path));
    let seen = data
        .git_cache
        .object_delivery()?
        .observe(&destination.remote, directory, file)
        .await
        .map_err(|e| object_error("Failed To Read The Git Repository", &e))?;
    Ok(match seen.content {
        Some(text) if seen.listed => flux_core::manifests::parse_yaml_stream(&text, path)
            .ok()
            .and_then(|docs| docs.into_iter().next()),
        _ => None,
    })
}

/// The removal of the file at repository path `path`.
pub fn removal(path: &str, label: &str) -> FileChange {
    let (directory, file) = path.rsplit_once('/').unwrap_or(("", path));
    FileChange {
        directory: directory.to_string(),
        file: file.to_string(),
        content: None,
        label: label.to_string(),
    }
}

/// `flux-objects` under the path of the cluster's root Kustomization.
pub async fn default_directory(cluster: &Arc<Cluster>) -> Result<String, Diagnostics> {
    let root = ObjectRef::new(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
        "flux-system",
    );
    let live = on_cluster(
        cluster,
        move |c| async move { objects::find(&c, &root).await },
    )
    .await?;
    let path = live
        .as_ref()
        .and_then(|l| l.pointer("/spec/path"))
        .and_then(Json::as_str)
        .map(normalize_directory)
        .ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error(
                    "No Default Git Directory",
                    "git_directory is not set and the cluster has no root Kustomization flux-system/flux-system to take the synced path from: set git_directory.",
                )
                .at(AttributePath::attr("git_directory")),
            )
        })?;
    let path = if path == "." { String::new() } else { path };
    Ok(join(&path, DEFAULT_SUBDIRECTORY))
}

//! Kubeconfig files: reading and merging them, and picking the context, cluster and
//! user a [`ConnectionSpec`] asks for.

use std::path::{Path, PathBuf};

use kube::config::{AuthInfo, Cluster as KubeCluster, Context, Kubeconfig};

use super::connect::{ConnectionError, ConnectionSpec};

/// Picks the context, cluster and user the way client-go does, honouring the overrides.
pub(super) fn select_entries(
    spec: &ConnectionSpec,
    config: Kubeconfig,
) -> Result<(KubeCluster, AuthInfo, Option<String>), ConnectionError> {
    let context_name = spec
        .config_context
        .clone()
        .or_else(|| config.current_context.clone())
        .filter(|n| !n.is_empty());
    let context = match &context_name {
        Some(name) => config
            .contexts
            .iter()
            .find(|c| &c.name == name)
            .and_then(|c| c.context.clone())
            .ok_or_else(|| ConnectionError::UnknownEntry {
                setting: "config_context",
                name: name.clone(),
            })?,
        None => Context::default(),
    };
    let cluster_name = spec
        .config_context_cluster
        .clone()
        .unwrap_or_else(|| context.cluster.clone());
    let cluster = if cluster_name.is_empty() {
        KubeCluster::default()
    } else {
        config
            .clusters
            .iter()
            .find(|c| c.name == cluster_name)
            .and_then(|c| c.cluster.clone())
            .ok_or_else(|| ConnectionError::UnknownEntry {
                setting: "config_context_cluster",
                name: cluster_name.clone(),
            })?
    };
    let user_name = spec
        .config_context_auth_info
        .clone()
        .or_else(|| context.user.clone());
    let user = match user_name {
        Some(name) if !name.is_empty() => {
            let found = config
                .auth_infos
                .iter()
                .find(|u| u.name == name)
                .and_then(|u| u.auth_info.clone());
            match (found, &spec.config_context_auth_info) {
                (Some(user), _) => user,
                // An explicitly named user must exist; a context's dangling user is
                // tolerated, as client-go does.
                (None, Some(_)) => {
                    return Err(ConnectionError::UnknownEntry {
                        setting: "config_context_auth_info",
                        name,
                    })
                }
                (None, None) => AuthInfo::default(),
            }
        }
        _ => AuthInfo::default(),
    };
    Ok((cluster, user, context.namespace))
}

/// `~` and `~/...` become the home directory, as shells expand them.
pub(super) fn expand_home(path: &Path) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_path_buf();
    };
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(rest),
        None => path.to_path_buf(),
    }
}

/// The files merged in order: the first one to set a value wins.
pub(super) fn read_merged(paths: &[PathBuf]) -> Result<Kubeconfig, ConnectionError> {
    let mut merged: Option<Kubeconfig> = None;
    for path in paths {
        let next =
            Kubeconfig::read_from(path).map_err(|source| ConnectionError::ReadKubeconfig {
                path: path.clone(),
                source,
            })?;
        merged = Some(match merged {
            None => next,
            Some(prev) => prev
                .merge(next)
                .map_err(|source| ConnectionError::MergeKubeconfig {
                    path: path.clone(),
                    source,
                })?,
        });
    }
    Ok(merged.unwrap_or_default())
}

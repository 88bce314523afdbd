//! Create and update of a Flux object resource: the Secret, then the object by
//! its delivery (moving it when the delivery or the directory changed), then the
//! wait.

use std::sync::Arc;

use flux_core::cluster::Cluster;
use flux_core::objects::{self, FileChange, KindDef, ObjectSpec};
use tfplug::{Diagnostic, Diagnostics, Value};

use super::cluster::{observe_status, on_cluster, optional_cluster};
use super::git::{default_directory, deliver, destination, removal};
use super::model::{join, Delivery, ObjectModel};
use super::secret;
use super::spec::object_spec;
use super::status;
use super::{cluster_drift, TypeDef};
use crate::config::ProviderData;

/// The cluster, or the error of an operation that needs it.
fn need_cluster(cluster: Option<&Arc<Cluster>>) -> Result<Arc<Cluster>, Diagnostics> {
    cluster.cloned().ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Missing Configuration",
            "This resource needs the provider's `kubernetes` configuration for cluster delivery, for wait, for secret_data and to find the default git_directory.",
        ))
    })
}

/// Applies `planned` (over `prior` on an update) and returns the new state.
#[tracing::instrument(skip_all, fields(kind = def.kind.kind))]
pub async fn apply(
    def: TypeDef,
    data: &ProviderData,
    prior_state: Option<&Value>,
    planned: &Value,
) -> Result<Value, Diagnostics> {
    let (kind, extra) = (def.kind, def.status);
    let mut model = ObjectModel::try_from(planned)?;
    let spec = object_spec(kind, &model, planned)?;
    let prior = prior_state.map(ObjectModel::try_from).transpose()?;
    let secret = secret::secret_to_write(&model, &spec)?;
    let cluster = optional_cluster(data)?;
    if let Some(secret) = secret {
        secret::write(&need_cluster(cluster.as_ref())?, secret).await?;
    }
    match model.delivery {
        Delivery::Cluster => {
            let label = model.label(kind);
            to_cluster(data, cluster.as_ref(), &spec, &label, prior.as_ref()).await?;
            model.git_file = None;
        }
        Delivery::Git => {
            let (directory, path) =
                to_git(kind, data, cluster.as_ref(), &model, &spec, prior.as_ref()).await?;
            model.git_directory = Some(directory);
            model.git_file = Some(path);
        }
    }
    let status = if model.wait {
        let c = need_cluster(cluster.as_ref())?;
        let to_wait = spec.clone();
        let timeout = model.wait_timeout;
        on_cluster(&c, move |c| async move {
            objects::wait_ready(&c, &to_wait, timeout).await
        })
        .await?
    } else {
        observe_status(kind, cluster.as_ref(), &model).await
    };
    let mut state = planned.clone();
    let object = model.object_ref(kind);
    let (live, status) = match def.drift {
        Some(check) if model.delivery == Delivery::Cluster && model.wait => {
            let c = need_cluster(cluster.as_ref())?;
            let (live, drift) =
                cluster_drift::repair(check, &c, object, prior_state, model.wait_timeout).await?;
            state.set_attr(cluster_drift::NAME, drift);
            // The repair may have had the controller reconcile again: its newer words.
            let status = live
                .as_ref()
                .map_or(status, |l| objects::status_of(kind, l));
            (live, status)
        }
        _ => (
            status::live_for(extra, cluster.as_ref(), object).await,
            status,
        ),
    };
    model.write(&status, &mut state);
    status::set(&mut state, extra, live.as_ref());
    status::keep_planned(extra, planned, &mut state);
    Ok(state)
}

/// Cluster delivery: server-side apply; moved out of git, the cluster copy (with
/// pruning disabled) exists before the file goes, so the Kustomization leaves it
/// alone.
async fn to_cluster(
    data: &ProviderData,
    cluster: Option<&Arc<Cluster>>,
    spec: &ObjectSpec,
    label: &str,
    prior: Option<&ObjectModel>,
) -> Result<(), Diagnostics> {
    let c = need_cluster(cluster)?;
    let to_apply = spec.clone();
    on_cluster(
        &c,
        move |c| async move { objects::apply(&c, &to_apply).await },
    )
    .await?;
    let moved = prior.filter(|p| p.delivery == Delivery::Git);
    if let Some(old) = moved.and_then(|p| p.git_file.as_ref()) {
        let dest = destination(data).await?;
        deliver(data, &dest, vec![removal(old, label)]).await?;
    }
    Ok(())
}

/// Git delivery: the file committed (the old one removed when it moved), and a
/// copy from cluster delivery released to Flux's pruning. Returns the directory
/// and the path of the file.
async fn to_git(
    kind: &'static KindDef,
    data: &ProviderData,
    cluster: Option<&Arc<Cluster>>,
    model: &ObjectModel,
    spec: &ObjectSpec,
    prior: Option<&ObjectModel>,
) -> Result<(String, String), Diagnostics> {
    let directory = match &model.git_directory {
        Some(d) => d.clone(),
        None => default_directory(&need_cluster(cluster)?).await?,
    };
    let file = spec.file_name();
    let path = join(&directory, &file);
    let label = model.label(kind);
    let mut changes = vec![FileChange {
        directory: directory.clone(),
        file,
        content: Some(spec.to_yaml()),
        label: label.clone(),
    }];
    if let Some(old) = prior
        .and_then(|p| p.git_file.as_ref())
        .filter(|old| **old != path)
    {
        changes.push(removal(old, &label));
    }
    let dest = destination(data).await?;
    deliver(data, &dest, changes).await?;
    if prior.is_some_and(|p| p.delivery == Delivery::Cluster) {
        let c = need_cluster(cluster)?;
        let object = model.object_ref(kind);
        on_cluster(&c, move |c| async move {
            objects::allow_prune(&c, &object).await
        })
        .await?;
    }
    Ok((directory, path))
}

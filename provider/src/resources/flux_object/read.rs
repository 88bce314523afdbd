//! Read of a Flux object resource: the file (git delivery) or the live object
//! (cluster delivery); gone means removed from state. A spec that differs from
//! the state's is read back into the attributes, so the plan shows the drift;
//! the status is refreshed.

use flux_core::objects;
use serde_json::Value as Json;
use tfplug::{Diagnostics, Value};

use super::cluster::{observe_status, on_cluster, optional_cluster};
use super::convert;
use super::git::{destination, observe};
use super::model::{Delivery, ObjectModel};
use super::spec::spec_json;
use super::status;
use super::{cluster_drift, TypeDef};
use crate::config::{ProviderData, Setting};

/// The refreshed state, `None` when the object is gone. An `imported` state
/// takes every field from the object.
#[tracing::instrument(skip_all, fields(kind = def.kind.kind))]
pub async fn read(
    def: TypeDef,
    data: &ProviderData,
    state: &Value,
    imported: bool,
) -> Result<Option<Value>, Diagnostics> {
    let (kind, extra) = (def.kind, def.status);
    let mut model = ObjectModel::try_from(state)?;
    // A plan must work before the cluster or repository exists.
    let deferred = matches!(data.kubernetes, Setting::Deferred)
        || (model.delivery == Delivery::Git && matches!(data.git, Setting::Deferred));
    if deferred {
        return Ok(Some(state.clone()));
    }
    let cluster = optional_cluster(data)?;
    let object = model.object_ref(kind);
    let live = match &cluster {
        Some(c) => {
            let o = object.clone();
            on_cluster(c, move |c| async move { objects::find(&c, &o).await }).await?
        }
        None => None,
    };
    let observed: Option<Json> = match model.delivery {
        Delivery::Cluster => live.clone(),
        Delivery::Git => {
            let Some(path) = model.file_path(kind) else {
                return Ok(None);
            };
            let dest = destination(data).await?;
            observe(data, &dest, &path).await?
        }
    };
    let Some(observed) = observed else {
        tracing::info!(object = %object, "object is gone");
        return Ok(None);
    };
    let mut next = state.clone();
    let desired = spec_json(kind, state)?;
    if imported || !objects::spec_is_satisfied(kind, &desired, &observed) {
        let known = objects::known_spec(kind, &observed);
        for (name, value) in convert::value_from_spec(kind.fields, &known) {
            next.set_attr(&name, value);
        }
    }
    if model.delivery == Delivery::Git && imported {
        if let Some(path) = &model.git_file {
            let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
            model.git_directory = Some(dir.to_string());
        }
    }
    let status = match &live {
        Some(l) => objects::status_of(kind, l),
        None => observe_status(kind, cluster.as_ref(), &model).await,
    };
    model.write(&status, &mut next);
    status::set(&mut next, extra, live.as_ref());
    if let (Some(check), Some(c)) = (def.drift, &cluster) {
        let drift = cluster_drift::read(check, c, model.delivery, live.as_ref()).await?;
        next.set_attr(cluster_drift::NAME, drift);
    }
    Ok(Some(next))
}

//! Delete of a Flux object resource: remove the file (Flux prunes the object) or
//! delete the object, then the Secret written from `secret_data`.

use flux_core::objects::{self, KindDef};
use tfplug::{Diagnostics, Value};

use super::cluster::{on_cluster, required_cluster};
use super::git::{deliver, destination, removal};
use super::model::{Delivery, ObjectModel};
use super::secret;
use crate::config::ProviderData;

/// Deletes the object of state `prior`.
#[tracing::instrument(skip_all, fields(kind = kind.kind))]
pub async fn delete(
    kind: &'static KindDef,
    data: &ProviderData,
    prior: &Value,
) -> Result<(), Diagnostics> {
    let model = ObjectModel::try_from(prior)?;
    match model.delivery {
        Delivery::Git => {
            if let Some(path) = &model.git_file {
                let dest = destination(data).await?;
                deliver(data, &dest, vec![removal(path, &model.label(kind))]).await?;
            }
        }
        Delivery::Cluster => {
            let cluster = required_cluster(data)?;
            let object = model.object_ref(kind);
            let timeout = model.wait_timeout;
            on_cluster(&cluster, move |c| async move {
                objects::delete(&c, &object, timeout).await
            })
            .await?;
        }
    }
    secret::delete_written(kind, data, &model, prior).await
}

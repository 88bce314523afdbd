//! The cluster side of a Flux object resource: core's object operations run
//! through [`run_on_cluster`], and the status of the live object.

use std::future::Future;
use std::sync::Arc;

use flux_core::cluster::Cluster;
use flux_core::objects::{self, KindDef, ObjectError, ObjectStatus};
use tfplug::{Diagnostic, Diagnostics};

use super::connection;
use super::model::ObjectModel;
use crate::cluster_task::run_on_cluster;
use crate::config::{ProviderData, Setting};
use crate::diagnostics::object_error;

/// A cluster operation through [`run_on_cluster`], its error reported as is.
pub async fn on_cluster<T, F, Fut>(cluster: &Arc<Cluster>, f: F) -> Result<T, Diagnostics>
where
    T: Send + 'static,
    F: FnOnce(Arc<Cluster>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ObjectError>>,
{
    run_on_cluster(cluster, f)
        .await
        .map_err(Diagnostics::from)?
        .map_err(|e| object_error("Cluster Operation Failed", &e))
}

/// The cluster of the provider's `kubernetes` setting, `None` when it has none.
pub fn optional_cluster(data: &ProviderData) -> Result<Option<Arc<Cluster>>, Diagnostic> {
    match data.kubernetes {
        Setting::Known(_) => Ok(Some(Arc::new(connection::cluster(data)?))),
        _ => Ok(None),
    }
}

/// The cluster of the provider's `kubernetes` setting, which must be known.
pub fn required_cluster(data: &ProviderData) -> Result<Arc<Cluster>, Diagnostics> {
    Ok(Arc::new(
        connection::cluster(data).map_err(Diagnostics::from)?,
    ))
}

/// The status of the live object, or why there is none. Never fails: a status
/// is informative, the delivery already succeeded.
pub async fn observe_status(
    kind: &'static KindDef,
    cluster: Option<&Arc<Cluster>>,
    model: &ObjectModel,
) -> ObjectStatus {
    let Some(cluster) = cluster else {
        return ObjectStatus {
            ready: false,
            message: "not observed: the provider has no kubernetes configuration".into(),
            revision: None,
        };
    };
    let object = model.object_ref(kind);
    match on_cluster(
        cluster,
        move |c| async move { objects::find(&c, &object).await },
    )
    .await
    {
        Ok(Some(live)) => objects::status_of(kind, &live),
        Ok(None) => ObjectStatus {
            ready: false,
            message: "not in the cluster yet".into(),
            revision: None,
        },
        Err(_) => ObjectStatus {
            ready: false,
            message: "the cluster could not be read".into(),
            revision: None,
        },
    }
}

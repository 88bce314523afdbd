//! Running core's cluster operations from the provider's async handlers.

use std::future::Future;
use std::sync::Arc;

use flux_core::cluster::Cluster;
use tfplug::Diagnostic;

/// Runs a cluster operation on a blocking thread that drives it with the runtime's
/// handle. Core's apply, wait and uninstall join iterators of borrowed futures, which
/// rustc cannot prove `Send` inside `async_trait` methods (a higher-ranked lifetime
/// limitation); `Handle::block_on` needs no `Send` future.
pub(crate) async fn run_on_cluster<T, F, Fut>(cluster: &Arc<Cluster>, f: F) -> Result<T, Diagnostic>
where
    T: Send + 'static,
    F: FnOnce(Arc<Cluster>) -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let handle = tokio::runtime::Handle::current();
    let cluster = cluster.clone();
    tokio::task::spawn_blocking(move || handle.block_on(f(cluster)))
        .await
        .map_err(|e| Diagnostic::from_error("Internal Error", &e))
}

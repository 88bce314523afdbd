//! go-plugin's controller: Terraform calls Shutdown when it is done with the process.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::peak_memory::peak_rss_kib;
use crate::proto::plugin as plugin_pb;

/// The controller service; Shutdown cancels `shutdown`.
pub(crate) struct ControllerService {
    pub(crate) shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin_pb::grpc_controller_server::GrpcController for ControllerService {
    async fn shutdown(
        &self,
        _request: Request<plugin_pb::Empty>,
    ) -> Result<Response<plugin_pb::Empty>, Status> {
        tracing::debug!(
            tf_rpc = "Shutdown",
            peak_rss_kib = peak_rss_kib(),
            "shutdown requested"
        );
        self.shutdown.cancel();
        Ok(Response::new(plugin_pb::Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_pb::grpc_controller_server::GrpcController as _;

    #[tokio::test]
    async fn shutdown_cancels_the_token() {
        let shutdown = CancellationToken::new();
        let service = ControllerService {
            shutdown: shutdown.clone(),
        };
        service
            .shutdown(Request::new(plugin_pb::Empty {}))
            .await
            .unwrap();
        assert!(shutdown.is_cancelled());
    }
}

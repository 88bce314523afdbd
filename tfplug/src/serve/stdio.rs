//! go-plugin's stdio relay. Logs go to stderr, which Terraform reads from the process
//! pipe, and stdout carries nothing after the handshake, so the stream sends nothing;
//! it stays open until shutdown so that Terraform does not log a broken relay, and
//! ends then so that it never holds up a graceful stop.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::{Request, Response, Status};

use crate::proto::plugin as plugin_pb;

/// The relay service.
pub(crate) struct StdioService {
    pub(crate) shutdown: CancellationToken,
}

/// A stream with no items that ends when the process shuts down.
pub(crate) struct UntilShutdown(Pin<Box<WaitForCancellationFutureOwned>>);

impl tokio_stream::Stream for UntilShutdown {
    type Item = Result<plugin_pb::StdioData, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll(cx).map(|()| None)
    }
}

#[tonic::async_trait]
impl plugin_pb::grpc_stdio_server::GrpcStdio for StdioService {
    type StreamStdioStream = UntilShutdown;

    async fn stream_stdio(
        &self,
        _request: Request<plugin_pb::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(UntilShutdown(Box::pin(
            self.shutdown.clone().cancelled_owned(),
        ))))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_stream::StreamExt as _;

    use super::*;
    use plugin_pb::grpc_stdio_server::GrpcStdio as _;

    #[tokio::test]
    async fn stream_stays_open_until_shutdown_then_ends_empty() {
        let shutdown = CancellationToken::new();
        let service = StdioService {
            shutdown: shutdown.clone(),
        };
        let mut stream = service
            .stream_stdio(Request::new(plugin_pb::Empty {}))
            .await
            .unwrap()
            .into_inner();
        let early = tokio::time::timeout(Duration::from_millis(100), stream.next()).await;
        assert!(early.is_err(), "the relay ended before shutdown");
        shutdown.cancel();
        let last = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the relay outlives shutdown");
        assert!(last.is_none());
    }
}

//! Names the API server in the kube client's transport failures (refused, reset,
//! TLS, timeout): kube reports them without the server it tried, and with several
//! clusters in one configuration the reader could not tell which one failed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request that got no answer from the API server.
#[derive(Debug, thiserror::Error)]
#[error("request to the API server at {server} failed")]
pub(crate) struct TransportError {
    server: String,
    #[source]
    source: BoxError,
}

impl TransportError {
    pub(crate) fn server(&self) -> &str {
        &self.server
    }
}

/// The layer: wraps each transport failure of the stack below in a [`TransportError`].
#[derive(Debug, Clone)]
pub(crate) struct NameServer {
    server: Arc<str>,
}

impl NameServer {
    /// `server` as written in the configuration, without a trailing slash.
    pub(crate) fn new(server: &str) -> Self {
        Self {
            server: Arc::from(server.trim_end_matches('/')),
        }
    }
}

impl<S> Layer<S> for NameServer {
    type Service = NamedServer<S>;

    fn layer(&self, inner: S) -> Self::Service {
        NamedServer {
            inner,
            server: Arc::clone(&self.server),
        }
    }
}

/// The service made by [`NameServer`].
#[derive(Debug, Clone)]
pub(crate) struct NamedServer<S> {
    inner: S,
    server: Arc<str>,
}

impl<S, Request> Service<Request> for NamedServer<S>
where
    S: Service<Request>,
    S::Response: 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let server = &self.server;
        self.inner
            .poll_ready(cx)
            .map_err(|error| name_server(server, error.into()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let answer = self.inner.call(request);
        let server = Arc::clone(&self.server);
        Box::pin(async move {
            answer
                .await
                .map_err(|error| name_server(&server, error.into()))
        })
    }
}

/// Errors kube raised itself (credentials, exec plugins) already say what failed
/// and stay as they are; everything else failed on the way to the server.
fn name_server(server: &str, error: BoxError) -> BoxError {
    if error.is::<kube::Error>() {
        return error;
    }
    Box::new(TransportError {
        server: server.to_string(),
        source: error,
    })
}

/// The server named by a transport failure somewhere in `error`'s chain.
pub(crate) fn failed_server(error: &kube::Error) -> Option<&str> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(transport) = current.downcast_ref::<TransportError>() {
            return Some(transport.server());
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failure_names_the_server_and_kube_errors_pass_unchanged() {
        let refused: BoxError =
            Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let named = name_server("https://10.0.0.1:6443", refused);
        assert_eq!(
            named.to_string(),
            "request to the API server at https://10.0.0.1:6443 failed"
        );
        let kube_error = kube::Error::Service(named);
        assert_eq!(failed_server(&kube_error), Some("https://10.0.0.1:6443"));

        let own: BoxError = Box::new(kube::Error::LinesCodecMaxLineLengthExceeded);
        assert!(name_server("https://h", own).is::<kube::Error>());
    }
}

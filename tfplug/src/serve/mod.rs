//! Serving a provider to Terraform: the go-plugin handshake, AutoMTLS, the gRPC
//! services, and the process rules around them.

mod controller;
mod handshake;
mod logging;
mod peak_memory;
mod process;
mod stdio;
mod stream;
mod tls;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::error::ServeError;
use crate::grpc::ProviderService;
use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::provider::Provider;
use controller::ControllerService;
use stdio::StdioService;
use stream::PluginStream;

/// Terraform's own limit on a gRPC message (256 MiB); tonic's default is 4 MiB.
const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How a provider is served.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The provider's registry address (`registry.terraform.io/fluxcd/flux`), used by
    /// debug serving in `TF_REATTACH_PROVIDERS`.
    pub address: String,
    /// The crates whose logs follow the user's chosen level (tfplug is always one).
    pub log_targets: Vec<&'static str>,
}

/// The whole plugin `main`: `--version`, `--debug`, or serving Terraform. Errors go
/// to stderr and give exit code 1.
pub fn run<P: Provider>(provider: P, options: ServeOptions) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .iter()
        .any(|a| a == "--version" || a == "-version" || a == "version")
    {
        let line = format!(
            "terraform-provider-{} v{} (plugin protocol {})\n",
            provider.type_name(),
            provider.version(),
            handshake::PROTOCOL_VERSION
        );
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
        return ExitCode::SUCCESS;
    }
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    logging::init(provider.type_name(), &options.log_targets);
    // Clients that build TLS configurations without naming a crypto provider (kube,
    // HTTP clients) use the process default; make it aws-lc-rs, the provider that can
    // verify Terraform's P-521 certificate, whatever else the dependency graph enables.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&ServeError::Io(e)),
    };
    let result = runtime.block_on(async {
        if debug {
            serve_debug(provider, &options).await
        } else {
            serve(provider).await
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &ServeError) -> ExitCode {
    let text = format!("{}\n", crate::diag::render_chain(error));
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    ExitCode::FAILURE
}

/// Serves Terraform after the go-plugin handshake, until Terraform calls Shutdown or
/// goes away.
pub async fn serve<P: Provider>(provider: P) -> Result<(), ServeError> {
    handshake::check_cookie(std::env::var(handshake::MAGIC_COOKIE_KEY).ok().as_deref())?;
    handshake::negotiate(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())?;
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::server_config(&pem)?),
        _ => None,
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(ServeError::Io)?;
    let address = listener.local_addr().map_err(ServeError::Io)?;
    process::ignore_interrupts();
    process::exit_with_parent();

    let shutdown = CancellationToken::new();
    let version = provider.version();
    let service = ProviderService::new(provider);
    let line = handshake::line(&address, tls.as_ref().map(|t| t.cert_der.as_slice()));
    {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes()).map_err(ServeError::Io)?;
        out.flush().map_err(ServeError::Io)?;
    }
    if tls.is_some() {
        tls::warm_up_rng();
    }
    tracing::info!(%address, tls = tls.is_some(), version, "serving Terraform");

    // go-plugin waits two seconds for the process to exit after Shutdown, then kills
    // it; exit promptly even if a connection keeps the graceful shutdown waiting.
    let deadline = shutdown.clone();
    tokio::spawn(async move {
        deadline.cancelled().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        std::process::exit(0);
    });

    let incoming = accept(listener, tls.map(|t| t.config));
    tonic::transport::Server::builder()
        .add_service(
            ProviderServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(ControllerService {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(StdioService {
            shutdown: shutdown.clone(),
        }))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
        .map_err(ServeError::Transport)?;
    tracing::debug!("server stopped");
    Ok(())
}

/// Serves in the foreground for a debugger: plaintext, no handshake, and a
/// `TF_REATTACH_PROVIDERS` value to give Terraform. Stops on Ctrl-C.
async fn serve_debug<P: Provider>(provider: P, options: &ServeOptions) -> Result<(), ServeError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(ServeError::Io)?;
    let address = listener.local_addr().map_err(ServeError::Io)?;
    let reattach = serde_json::json!({
        options.address.clone(): {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "tcp", "String": address.to_string()},
        }
    });
    let text = format!(
        "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in its environment:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\n"
    );
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    // In debug mode Terraform reuses the process; Shutdown must not end it.
    let ignored = CancellationToken::new();
    tonic::transport::Server::builder()
        .add_service(
            ProviderServer::new(ProviderService::new(provider))
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(ControllerService {
            shutdown: ignored,
        }))
        .serve_with_incoming_shutdown(accept(listener, None), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(ServeError::Transport)
}

/// Accepts connections with TCP_NODELAY (without it every RPC waits ~40 ms on
/// Nagle's algorithm), doing TLS handshakes off the accept loop.
fn accept(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<Result<PluginStream, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    tracing::warn!(error = &error as &dyn std::error::Error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(
                    error = &error as &dyn std::error::Error,
                    "cannot set TCP_NODELAY"
                );
            }
            let tx = tx.clone();
            match &tls {
                None => {
                    if tx.send(Ok(PluginStream::Plain(tcp))).await.is_err() {
                        break;
                    }
                }
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                    tokio::spawn(async move {
                        match acceptor.accept(tcp).await {
                            Ok(stream) => {
                                let _ = tx.send(Ok(PluginStream::Tls(Box::new(stream)))).await;
                            }
                            Err(error) => tracing::warn!(
                                error = &error as &dyn std::error::Error,
                                "TLS handshake with Terraform failed"
                            ),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

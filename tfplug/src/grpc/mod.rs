//! The tonic face of the provider: each RPC decodes its request, calls the
//! [`Server`] logic, and encodes the result ([`handle`]); one generic adapter gives
//! every RPC its span, its log line and its diagnostics. User-facing failures travel
//! as diagnostics inside responses; only a broken transport is a gRPC error.

mod handle;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::diag::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;
use crate::server::Server;
use crate::wire;

/// The provider service: the server logic, and its schemas in protocol form
/// (built once, since Terraform asks for them in every command).
pub(crate) struct ProviderService<P: Provider> {
    server: Server<P>,
    schema_response: pb::get_provider_schema::Response,
    next_request: AtomicU64,
}

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(provider: P) -> Self {
        let server = Server::new(provider);
        let schema_response = handle::provider_schema(&server);
        Self {
            server,
            schema_response,
            next_request: AtomicU64::new(1),
        }
    }

    fn span(&self, rpc: &'static str, type_name: &str) -> tracing::Span {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        if type_name.is_empty() {
            tracing::debug_span!("rpc", tf_rpc = rpc, tf_req_id = id)
        } else {
            tracing::debug_span!(
                "rpc",
                tf_rpc = rpc,
                tf_req_id = id,
                tf_type_name = type_name
            )
        }
    }

    /// The frame every RPC with diagnostics shares: `handle` runs in the RPC's span,
    /// then one log line says how long it took and what it reported, and the
    /// diagnostics go into the response.
    async fn adapt<R, F>(
        &self,
        request: Request<R>,
        handle: impl FnOnce(R) -> F,
    ) -> Result<Response<R::Reply>, Status>
    where
        R: Call,
        F: Future<Output = (R::Reply, Diagnostics)>,
    {
        let request = request.into_inner();
        let span = self.span(R::RPC, request.type_name());
        async {
            let started = Instant::now();
            let (mut reply, diags) = handle(request).await;
            log_outcome(started, &diags);
            R::set_diagnostics(&mut reply, wire::diagnostics(&diags));
            Ok(Response::new(reply))
        }
        .instrument(span)
        .await
    }
}

fn log_outcome(started: Instant, diags: &Diagnostics) {
    let (errors, warnings) = diags.counts();
    tracing::debug!(
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        diagnostic_errors = errors,
        diagnostic_warnings = warnings,
        "served request"
    );
}

/// The request of an RPC whose response carries diagnostics.
trait Call {
    /// The RPC's name, for logs.
    const RPC: &'static str;
    /// The RPC's response.
    type Reply;
    /// The resource or data source type the request is about; empty for the provider.
    fn type_name(&self) -> &str;
    fn set_diagnostics(reply: &mut Self::Reply, diagnostics: Vec<pb::Diagnostic>);
}

macro_rules! calls {
    ($($rpc:ident => $name:literal $(, $typed:ident)?;)*) => {
        $(impl Call for pb::$rpc::Request {
            const RPC: &'static str = $name;
            type Reply = pb::$rpc::Response;
            fn type_name(&self) -> &str {
                calls!(@type_name self $(, $typed)?)
            }
            fn set_diagnostics(reply: &mut Self::Reply, diagnostics: Vec<pb::Diagnostic>) {
                reply.diagnostics = diagnostics;
            }
        })*
    };
    (@type_name $self:ident) => { "" };
    (@type_name $self:ident, $field:ident) => { &$self.$field };
}

calls! {
    validate_provider_config => "ValidateProviderConfig";
    validate_resource_config => "ValidateResourceConfig", type_name;
    validate_data_resource_config => "ValidateDataResourceConfig", type_name;
    upgrade_resource_state => "UpgradeResourceState", type_name;
    configure_provider => "ConfigureProvider";
    read_resource => "ReadResource", type_name;
    plan_resource_change => "PlanResourceChange", type_name;
    apply_resource_change => "ApplyResourceChange", type_name;
    import_resource_state => "ImportResourceState", type_name;
    read_data_source => "ReadDataSource", type_name;
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(handle::metadata(&self.server)))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let _span = self.span("GetProviderSchema", "").entered();
        tracing::debug!("served provider schema");
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        self.adapt(request, |r| handle::validate_provider(&self.server, r))
            .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        self.adapt(request, |r| handle::validate_resource(&self.server, r))
            .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        self.adapt(request, |r| handle::validate_data_source(&self.server, r))
            .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        self.adapt(request, |r| async { handle::upgrade(&self.server, r) })
            .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        self.adapt(request, |r| handle::configure(&self.server, r))
            .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        self.adapt(request, |r| handle::read(&self.server, r)).await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        self.adapt(request, |r| handle::plan(&self.server, r)).await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        self.adapt(request, |r| handle::apply(&self.server, r))
            .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        self.adapt(request, |r| handle::import(&self.server, r))
            .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        self.adapt(request, |r| handle::read_data(&self.server, r))
            .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let _span = self.span("StopProvider", "").entered();
        self.server.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

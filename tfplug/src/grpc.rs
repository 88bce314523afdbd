//! The gRPC face of a provider: one thin method per RPC that decodes the request,
//! calls the provider, and encodes the response. User-facing failures travel as
//! diagnostics inside responses; only a broken transport is a gRPC error.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::diag::{Diagnostic, Diagnostics};
use crate::path::AttributePath;
use crate::plan::plan_block;
use crate::proto::plugin as plugin_pb;
use crate::proto::tfplugin6 as pb;
use crate::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, DataReadResponse, DataSource, DeleteRequest,
    DeleteResponse, ImportResponse, PlanContext, Provider, ReadRequest, ReadResponse, Resource,
    UpgradeResponse,
};
use crate::schema::Schema;
use crate::types::Type;
use crate::validator::validate_block;
use crate::value::{msgpack, Value};

struct ResourceEntry<D> {
    resource: Arc<dyn Resource<D>>,
    schema: Schema,
    ty: Type,
}

struct DataSourceEntry<D> {
    data_source: Arc<dyn DataSource<D>>,
    schema: Schema,
    ty: Type,
}

/// The provider service: the provider, its schemas (computed once), and what
/// `ConfigureProvider` produced.
pub(crate) struct ProviderService<P: Provider> {
    provider: Arc<P>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<String, ResourceEntry<P::Data>>,
    data_sources: HashMap<String, DataSourceEntry<P::Data>>,
    schema_response: pb::get_provider_schema::Response,
    data: RwLock<Option<Arc<P::Data>>>,
    stop: CancellationToken,
    next_request: AtomicU64,
}

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let ty = schema.value_type();
                (
                    r.type_name().to_string(),
                    ResourceEntry {
                        resource: r,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let data_sources: HashMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                let ty = schema.value_type();
                (
                    d.type_name().to_string(),
                    DataSourceEntry {
                        data_source: d,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(provider_schema.to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(k, e)| (k.clone(), e.schema.to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(k, e)| (k.clone(), e.schema.to_proto()))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
        };
        Self {
            provider: Arc::new(provider),
            provider_schema,
            provider_type,
            resources,
            data_sources,
            schema_response,
            data: RwLock::new(None),
            stop: CancellationToken::new(),
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

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ResourceEntry<P::Data>> {
        let found = self.resources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown Resource Type",
                format!("This provider has no resource type {type_name:?}."),
            );
        }
        found
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceEntry<P::Data>> {
        let found = self.data_sources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown Data Source Type",
                format!("This provider has no data source type {type_name:?}."),
            );
        }
        found
    }

    async fn data(&self, diags: &mut Diagnostics) -> Option<Arc<P::Data>> {
        let data = self.data.read().await.clone();
        if data.is_none() {
            diags.error(
                "Provider Not Configured",
                "Terraform called the provider before configuring it. This is a bug in the \
                 provider or in Terraform; please report it.",
            );
        }
        data
    }

    /// Runs `work` unless StopProvider cancels it first; cancelling drops the future,
    /// which stops whatever it was awaiting.
    async fn cancellable<T>(
        &self,
        work: impl Future<Output = T>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        tokio::select! {
            out = work => Some(out),
            () = self.stop.cancelled() => {
                diags.error(
                    "Operation Interrupted",
                    "Terraform asked the provider to stop; the operation was cancelled before it finished.",
                );
                None
            }
        }
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Value {
    let Some(dv) = value else {
        return Value::Null;
    };
    let decoded = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        crate::value::json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.unwrap_or_else(|e| {
        diags.push(Diagnostic::from_error(format!("Invalid {what} Value"), &e));
        Value::Null
    })
}

fn encode(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.push(Diagnostic::from_error(
                "Provider Produced an Unencodable Value",
                &e,
            ));
            None
        }
    }
}

/// An apply or read must leave nothing unknown; catching it here names the attribute
/// instead of Terraform's generic inconsistency error.
fn check_known(value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    match value {
        Value::Unknown(_) => diags.push(
            Diagnostic::error(
                "Provider Left a Value Unknown",
                format!(
                    "The provider did not set {path} after applying. This is a bug in the \
                     provider; please report it."
                ),
            )
            .at(path.clone()),
        ),
        Value::List(items) | Value::Set(items) => {
            for (i, item) in items.iter().enumerate() {
                check_known(item, &path.at_index(i), diags);
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                check_known(v, &path.at_attr(k.clone()), diags);
            }
        }
        _ => {}
    }
}

/// The first steps of validation, in the framework's order: decode the configuration,
/// then run the attribute validators. Returns the configuration for the caller's own
/// checks, which get a fresh list so that they cannot drop these diagnostics.
fn checked_config(
    block: &crate::schema::Block,
    ty: &Type,
    config: Option<&pb::DynamicValue>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let config = decode(config, ty, "Configuration", diags);
    if diags.has_errors() {
        return None;
    }
    validate_block(block, &config, &AttributePath::root(), diags);
    Some(config)
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

/// A response that carries the diagnostics of its request.
trait Reply {
    fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>);
}

macro_rules! replies {
    ($($rpc:ident),* $(,)?) => {
        $(impl Reply for pb::$rpc::Response {
            fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>) {
                self.diagnostics = diagnostics;
            }
        })*
    };
}

replies!(
    validate_provider_config,
    validate_resource_config,
    validate_data_resource_config,
    upgrade_resource_state,
    configure_provider,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    read_data_source,
);

/// The frame every RPC shares: the handler runs in the RPC's span, then one log
/// line says how long it took and what it reported, and the diagnostics go into
/// the response.
async fn serve<T: Reply>(
    span: tracing::Span,
    handle: impl Future<Output = (T, Diagnostics)>,
) -> Result<Response<T>, Status> {
    async {
        let started = Instant::now();
        let (mut reply, diags) = handle.await;
        log_outcome(started, &diags);
        reply.set_diagnostics(diags.to_proto());
        Ok(Response::new(reply))
    }
    .instrument(span)
    .await
}

impl<P: Provider> ProviderService<P> {
    async fn validate_provider(
        &self,
        req: pb::validate_provider_config::Request,
        diags: &mut Diagnostics,
    ) {
        let checked = checked_config(
            &self.provider_schema.block,
            &self.provider_type,
            req.config.as_ref(),
            diags,
        );
        if let Some(config) = checked {
            let mut own = Diagnostics::new();
            self.provider.validate(&config, &mut own).await;
            diags.extend(own);
        }
    }

    async fn validate_resource(
        &self,
        req: pb::validate_resource_config::Request,
        diags: &mut Diagnostics,
    ) {
        let Some(entry) = self.resource(&req.type_name, diags) else {
            return;
        };
        let checked = checked_config(&entry.schema.block, &entry.ty, req.config.as_ref(), diags);
        if let Some(config) = checked {
            let mut own = Diagnostics::new();
            entry.resource.validate(&config, &mut own).await;
            diags.extend(own);
        }
    }

    async fn validate_data_source(
        &self,
        req: pb::validate_data_resource_config::Request,
        diags: &mut Diagnostics,
    ) {
        let Some(entry) = self.data_source(&req.type_name, diags) else {
            return;
        };
        let checked = checked_config(&entry.schema.block, &entry.ty, req.config.as_ref(), diags);
        if let Some(config) = checked {
            let mut own = Diagnostics::new();
            entry.data_source.validate(&config, &mut own).await;
            diags.extend(own);
        }
    }

    fn upgrade(
        &self,
        req: pb::upgrade_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name, diags)?;
        let raw = req.raw_state.map(|r| r.json).unwrap_or_default();
        if raw.is_empty() {
            diags.error(
                "Unsupported State Format",
                "The stored state is in the legacy flatmap format, which this provider never wrote.",
            );
            return None;
        }
        let mut resp = UpgradeResponse::default();
        entry.resource.upgrade_state(req.version, &raw, &mut resp);
        diags.extend(resp.diagnostics);
        if diags.has_errors() {
            return None;
        }
        encode(&resp.state, &entry.ty, diags)
    }

    async fn configure(&self, req: pb::configure_provider::Request, diags: &mut Diagnostics) {
        let config = decode(
            req.config.as_ref(),
            &self.provider_type,
            "Configuration",
            diags,
        );
        if diags.has_errors() {
            return;
        }
        tracing::info!(
            terraform_version = %req.terraform_version,
            provider_version = self.provider.version(),
            "configuring provider"
        );
        let request = ConfigureRequest {
            terraform_version: req.terraform_version,
            config,
        };
        if let Some(data) = self.provider.configure(request, diags).await {
            *self.data.write().await = Some(Arc::new(data));
        }
    }

    /// Reads a resource; on any failure the response keeps the state Terraform sent.
    async fn read(
        &self,
        req: pb::read_resource::Request,
        response: &mut pb::read_resource::Response,
        diags: &mut Diagnostics,
    ) {
        let Some(entry) = self.resource(&req.type_name, diags) else {
            return;
        };
        let state = decode(req.current_state.as_ref(), &entry.ty, "State", diags);
        if diags.has_errors() {
            return;
        }
        let Some(data) = self.data(diags).await else {
            return;
        };
        let mut resp = ReadResponse {
            state: state.clone(),
            private: req.private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let request = ReadRequest {
            state,
            private: req.private,
        };
        let work = entry.resource.read(&data, request, &mut resp);
        if self.cancellable(work, diags).await.is_none() {
            return;
        }
        diags.extend(std::mem::take(&mut resp.diagnostics));
        if diags.has_errors() {
            return;
        }
        check_known(&resp.state, &AttributePath::root(), diags);
        response.new_state = encode(&resp.state, &entry.ty, diags);
        response.private = resp.private;
    }

    async fn plan(
        &self,
        req: pb::plan_resource_change::Request,
        response: &mut pb::plan_resource_change::Response,
        diags: &mut Diagnostics,
    ) {
        let Some(entry) = self.resource(&req.type_name, diags) else {
            return;
        };
        let prior = decode(req.prior_state.as_ref(), &entry.ty, "Prior State", diags);
        let proposed = decode(
            req.proposed_new_state.as_ref(),
            &entry.ty,
            "Proposed State",
            diags,
        );
        let config = decode(req.config.as_ref(), &entry.ty, "Configuration", diags);
        if diags.has_errors() {
            return;
        }
        let (planned, requires_replace) = if proposed.is_null() {
            (Value::Null, Vec::new())
        } else {
            let planned = plan_block(&entry.schema.block, &prior, &config, &proposed);
            (planned.planned, planned.requires_replace)
        };
        let mut plan = PlanContext {
            prior,
            config,
            planned,
            requires_replace,
            prior_private: req.prior_private.clone(),
            planned_private: req.prior_private,
        };
        // A destroy plan from Terraform 1.0 comes before any configure; the
        // resource's hook then has nothing to work with and is skipped.
        let data = if plan.is_destroy() {
            self.data.read().await.clone()
        } else {
            self.data(diags).await
        };
        if let Some(data) = data {
            let mut own = Diagnostics::new();
            let work = entry.resource.modify_plan(&data, &mut plan, &mut own);
            if self.cancellable(work, diags).await.is_some() {
                diags.extend(own);
            }
        }
        if diags.has_errors() {
            return;
        }
        plan.requires_replace.sort();
        plan.requires_replace.dedup();
        let planned = if plan.is_destroy() {
            Value::Null
        } else {
            plan.planned
        };
        response.planned_state = encode(&planned, &entry.ty, diags);
        response.requires_replace = plan
            .requires_replace
            .iter()
            .map(AttributePath::to_proto)
            .collect();
        response.planned_private = plan.planned_private;
    }

    /// Applies a planned change: a null plan deletes, a null prior creates, anything
    /// else updates. On failure the response keeps the prior state unless the
    /// resource returned what it made.
    async fn apply(
        &self,
        req: pb::apply_resource_change::Request,
        response: &mut pb::apply_resource_change::Response,
        diags: &mut Diagnostics,
    ) {
        let Some(entry) = self.resource(&req.type_name, diags) else {
            return;
        };
        let prior = decode(req.prior_state.as_ref(), &entry.ty, "Prior State", diags);
        let planned = decode(
            req.planned_state.as_ref(),
            &entry.ty,
            "Planned State",
            diags,
        );
        let config = decode(req.config.as_ref(), &entry.ty, "Configuration", diags);
        if diags.has_errors() {
            return;
        }
        let Some(data) = self.data(diags).await else {
            return;
        };
        if planned.is_null() {
            let mut resp = DeleteResponse::default();
            let request = DeleteRequest {
                prior,
                private: req.planned_private,
            };
            let work = entry.resource.delete(&data, request, &mut resp);
            if self.cancellable(work, diags).await.is_none() {
                return;
            }
            diags.extend(resp.diagnostics);
            if !diags.has_errors() {
                response.new_state = encode(&Value::Null, &entry.ty, diags);
                response.private = Vec::new();
            }
            return;
        }
        let creating = prior.is_null();
        let mut resp = ApplyResponse {
            state: planned.clone(),
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let request = ApplyRequest {
            prior,
            planned,
            config,
            planned_private: req.planned_private,
        };
        let work = async {
            if creating {
                entry.resource.create(&data, request, &mut resp).await;
            } else {
                entry.resource.update(&data, request, &mut resp).await;
            }
        };
        if self.cancellable(work, diags).await.is_none() {
            return;
        }
        diags.extend(std::mem::take(&mut resp.diagnostics));
        if !diags.has_errors() {
            check_known(&resp.state, &AttributePath::root(), diags);
        }
        // A failed create may still return what it made, so that Terraform keeps
        // it (tainted) instead of losing track of it.
        if !resp.state.is_null() && resp.state.is_wholly_known() {
            response.new_state = encode(&resp.state, &entry.ty, diags);
            response.private = resp.private;
        }
    }

    async fn import(
        &self,
        req: pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::import_resource_state::ImportedResource> {
        let entry = self.resource(&req.type_name, diags)?;
        let data = self.data(diags).await?;
        let mut resp = ImportResponse::default();
        let work = entry.resource.import(&data, &req.id, &mut resp);
        self.cancellable(work, diags).await?;
        diags.extend(std::mem::take(&mut resp.diagnostics));
        if diags.has_errors() {
            return None;
        }
        let state = encode(&resp.state, &entry.ty, diags)?;
        Some(pb::import_resource_state::ImportedResource {
            type_name: req.type_name,
            state: Some(state),
            private: resp.private,
        })
    }

    async fn read_data(
        &self,
        req: pb::read_data_source::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.data_source(&req.type_name, diags)?;
        let config = decode(req.config.as_ref(), &entry.ty, "Configuration", diags);
        if diags.has_errors() {
            return None;
        }
        let data = self.data(diags).await?;
        let mut resp = DataReadResponse {
            state: config.clone(),
            diagnostics: Diagnostics::new(),
        };
        let work = entry.data_source.read(&data, config, &mut resp);
        self.cancellable(work, diags).await?;
        diags.extend(std::mem::take(&mut resp.diagnostics));
        if diags.has_errors() {
            return None;
        }
        check_known(&resp.state, &AttributePath::root(), diags);
        encode(&resp.state, &entry.ty, diags)
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
        }))
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
        let req = request.into_inner();
        let span = self.span("ValidateProviderConfig", "");
        serve(span, async {
            let mut diags = Diagnostics::new();
            self.validate_provider(req, &mut diags).await;
            (pb::validate_provider_config::Response::default(), diags)
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateResourceConfig", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            self.validate_resource(req, &mut diags).await;
            (pb::validate_resource_config::Response::default(), diags)
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ValidateDataResourceConfig", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            self.validate_data_source(req, &mut diags).await;
            (
                pb::validate_data_resource_config::Response::default(),
                diags,
            )
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("UpgradeResourceState", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let upgraded_state = self.upgrade(req, &mut diags);
            let response = pb::upgrade_resource_state::Response {
                upgraded_state,
                diagnostics: Vec::new(),
            };
            (response, diags)
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ConfigureProvider", "");
        serve(span, async {
            let mut diags = Diagnostics::new();
            self.configure(req, &mut diags).await;
            (pb::configure_provider::Response::default(), diags)
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ReadResource", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let mut response = pb::read_resource::Response {
                new_state: req.current_state.clone(),
                private: req.private.clone(),
                ..Default::default()
            };
            self.read(req, &mut response, &mut diags).await;
            (response, diags)
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("PlanResourceChange", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let mut response = pb::plan_resource_change::Response::default();
            self.plan(req, &mut response, &mut diags).await;
            (response, diags)
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ApplyResourceChange", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let mut response = pb::apply_resource_change::Response {
                new_state: req.prior_state.clone(),
                private: req.planned_private.clone(),
                ..Default::default()
            };
            self.apply(req, &mut response, &mut diags).await;
            (response, diags)
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ImportResourceState", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let imported = self.import(req, &mut diags).await;
            let response = pb::import_resource_state::Response {
                imported_resources: imported.into_iter().collect(),
                diagnostics: Vec::new(),
            };
            (response, diags)
        })
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = request.into_inner();
        let span = self.span("ReadDataSource", &req.type_name);
        serve(span, async {
            let mut diags = Diagnostics::new();
            let state = self.read_data(req, &mut diags).await;
            let response = pb::read_data_source::Response {
                state,
                diagnostics: Vec::new(),
            };
            (response, diags)
        })
        .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let _span = self.span("StopProvider", "").entered();
        tracing::info!("stop requested: cancelling work in flight");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

/// go-plugin's stdio relay. Logs go to stderr, which Terraform reads from the process
/// pipe, and stdout carries nothing after the handshake, so the stream sends nothing;
/// it stays open until shutdown so that Terraform does not log a broken relay, and
/// ends then so that it never holds up a graceful stop.
pub(crate) struct StdioService {
    pub(crate) shutdown: CancellationToken,
}

/// A stream with no items that ends when the process shuts down.
pub(crate) struct UntilShutdown(
    std::pin::Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>,
);

impl tokio_stream::Stream for UntilShutdown {
    type Item = Result<plugin_pb::StdioData, Status>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
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

/// The process's peak resident memory (Linux `VmHWM`), logged at shutdown so that
/// benchmarks can read what one provider process needed; 0 where unknown.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// go-plugin's controller: Terraform calls Shutdown when it is done with the process.
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
    use std::time::Duration;

    use super::*;
    use crate::provider::{ApplyRequest, DeleteRequest, DeleteResponse, ReadRequest, ReadResponse};
    use crate::schema::Attribute;
    use pb::provider_server::Provider as _;

    /// A provider whose one resource never finishes creating, as a bootstrap waiting
    /// for a cluster that never becomes ready.
    struct Hanging;

    struct HangingResource;

    #[async_trait::async_trait]
    impl Provider for Hanging {
        type Data = ();
        fn type_name(&self) -> &'static str {
            "test"
        }
        fn version(&self) -> &'static str {
            "0.0.0"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![])
        }
        async fn configure(
            &self,
            _: crate::provider::ConfigureRequest,
            _: &mut Diagnostics,
        ) -> Option<()> {
            Some(())
        }
        fn resources(&self) -> Vec<Arc<dyn crate::provider::Resource<()>>> {
            vec![Arc::new(HangingResource)]
        }
    }

    #[async_trait::async_trait]
    impl crate::provider::Resource<()> for HangingResource {
        fn type_name(&self) -> &'static str {
            "test_hanging"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![Attribute::string("id").computed()])
        }
        async fn create(&self, _: &(), _: ApplyRequest, _: &mut ApplyResponse) {
            std::future::pending::<()>().await;
        }
        async fn read(&self, _: &(), _: ReadRequest, _: &mut ReadResponse) {}
        async fn update(&self, _: &(), _: ApplyRequest, _: &mut ApplyResponse) {}
        async fn delete(&self, _: &(), _: DeleteRequest, _: &mut DeleteResponse) {}
    }

    fn msgpack(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: crate::value::msgpack::encode(value, ty).unwrap(),
            json: Vec::new(),
        })
    }

    async fn configured() -> Arc<ProviderService<Hanging>> {
        let service = Arc::new(ProviderService::new(Hanging));
        let config = msgpack(
            &Value::object::<[(&str, Value); 0], &str>([]),
            &Type::object::<[(&str, Type); 0], &str>([]),
        );
        let response = service
            .configure_provider(Request::new(pb::configure_provider::Request {
                terraform_version: "1.15.5".into(),
                config,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        service
    }

    fn create_request() -> pb::apply_resource_change::Request {
        let ty = Type::object([("id", Type::String)]);
        pb::apply_resource_change::Request {
            type_name: "test_hanging".into(),
            prior_state: msgpack(&Value::Null, &ty),
            planned_state: msgpack(&Value::object([("id", Value::unknown())]), &ty),
            config: msgpack(&Value::object([("id", Value::Null)]), &ty),
            planned_private: Vec::new(),
            provider_meta: None,
        }
    }

    #[tokio::test]
    async fn stop_provider_cancels_an_apply_in_flight_with_an_error() {
        let service = configured().await;
        let apply = tokio::spawn({
            let service = Arc::clone(&service);
            async move {
                service
                    .apply_resource_change(Request::new(create_request()))
                    .await
            }
        });
        // The create really is in flight: it does not finish on its own.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!apply.is_finished());

        service
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(5), apply)
            .await
            .expect("the apply still runs after StopProvider")
            .unwrap()
            .unwrap()
            .into_inner();
        let summaries: Vec<&str> = response
            .diagnostics
            .iter()
            .map(|d| d.summary.as_str())
            .collect();
        assert_eq!(summaries, ["Operation Interrupted"]);
        assert_eq!(
            response.diagnostics[0].severity,
            pb::diagnostic::Severity::Error as i32
        );
    }

    #[tokio::test]
    async fn stop_provider_makes_later_operations_fail_at_once() {
        let service = configured().await;
        service
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        let response = tokio::time::timeout(
            Duration::from_secs(5),
            service.apply_resource_change(Request::new(create_request())),
        )
        .await
        .expect("an apply after StopProvider hangs")
        .unwrap()
        .into_inner();
        assert_eq!(response.diagnostics.len(), 1);
        assert_eq!(response.diagnostics[0].summary, "Operation Interrupted");
    }
}

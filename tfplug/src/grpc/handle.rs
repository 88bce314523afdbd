//! One function per RPC: decode the request against the schema type it names, call
//! the server, and encode what it returns. A request that does not decode gets the
//! decoding errors and never reaches the server.

use crate::diag::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ApplyRequest, ConfigureRequest, Provider, ReadRequest};
use crate::server::{PlanRequest, Server};
use crate::types::Type;
use crate::value::Value;
use crate::wire;

/// The values of one request, and the errors of decoding them. Without a type (a
/// type name the provider does not have) nothing is decoded: the server reports the
/// name.
struct Codec<'a> {
    ty: Option<&'a Type>,
    errors: Diagnostics,
}

impl<'a> Codec<'a> {
    fn new(ty: Option<&'a Type>) -> Self {
        Self {
            ty,
            errors: Diagnostics::new(),
        }
    }

    fn decode(&mut self, value: Option<&pb::DynamicValue>, what: &str) -> Value {
        let Some(ty) = self.ty else {
            return Value::Null;
        };
        wire::decode(value, ty, what).unwrap_or_else(|error| {
            self.errors.push(error);
            Value::Null
        })
    }

    /// The decoding errors, if there were any.
    fn failed(&mut self) -> Option<Diagnostics> {
        self.errors
            .has_errors()
            .then(|| std::mem::take(&mut self.errors))
    }

    /// Encodes a result of the server, which has one only for a type it knows.
    fn encode(&self, value: &Value, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
        let ty = self.ty?;
        wire::encode(value, ty)
            .map_err(|error| diags.push(error))
            .ok()
    }
}

pub(super) fn provider_schema<P: Provider>(
    server: &Server<P>,
) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(wire::schema(server.provider_schema())),
        resource_schemas: server
            .resource_schemas()
            .map(|(name, schema)| (name.to_string(), wire::schema(schema)))
            .collect(),
        data_source_schemas: server
            .data_source_schemas()
            .map(|(name, schema)| (name.to_string(), wire::schema(schema)))
            .collect(),
        diagnostics: Vec::new(),
        provider_meta: None,
        server_capabilities: Some(wire::capabilities()),
    }
}

pub(super) fn metadata<P: Provider>(server: &Server<P>) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(wire::capabilities()),
        diagnostics: Vec::new(),
        data_sources: server
            .data_source_schemas()
            .map(|(name, _)| pb::get_metadata::DataSourceMetadata {
                type_name: name.to_string(),
            })
            .collect(),
        resources: server
            .resource_schemas()
            .map(|(name, _)| pb::get_metadata::ResourceMetadata {
                type_name: name.to_string(),
            })
            .collect(),
    }
}

pub(super) async fn validate_provider<P: Provider>(
    server: &Server<P>,
    req: pb::validate_provider_config::Request,
) -> (pb::validate_provider_config::Response, Diagnostics) {
    let reply = pb::validate_provider_config::Response::default();
    let mut codec = Codec::new(Some(server.provider_type()));
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    (reply, server.validate_provider(config).await)
}

pub(super) async fn validate_resource<P: Provider>(
    server: &Server<P>,
    req: pb::validate_resource_config::Request,
) -> (pb::validate_resource_config::Response, Diagnostics) {
    let reply = pb::validate_resource_config::Response::default();
    let mut codec = Codec::new(server.resource_type(&req.type_name));
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    (
        reply,
        server.validate_resource(&req.type_name, config).await,
    )
}

pub(super) async fn validate_data_source<P: Provider>(
    server: &Server<P>,
    req: pb::validate_data_resource_config::Request,
) -> (pb::validate_data_resource_config::Response, Diagnostics) {
    let reply = pb::validate_data_resource_config::Response::default();
    let mut codec = Codec::new(server.data_source_type(&req.type_name));
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    (
        reply,
        server.validate_data_source(&req.type_name, config).await,
    )
}

pub(super) fn upgrade<P: Provider>(
    server: &Server<P>,
    req: pb::upgrade_resource_state::Request,
) -> (pb::upgrade_resource_state::Response, Diagnostics) {
    let codec = Codec::new(server.resource_type(&req.type_name));
    let raw = req.raw_state.map(|r| r.json).unwrap_or_default();
    let outcome = server.upgrade_resource(&req.type_name, req.version, &raw);
    let mut diags = outcome.diagnostics;
    let upgraded_state = outcome
        .result
        .and_then(|state| codec.encode(&state, &mut diags));
    let reply = pb::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics: Vec::new(),
    };
    (reply, diags)
}

pub(super) async fn configure<P: Provider>(
    server: &Server<P>,
    req: pb::configure_provider::Request,
) -> (pb::configure_provider::Response, Diagnostics) {
    let reply = pb::configure_provider::Response::default();
    let mut codec = Codec::new(Some(server.provider_type()));
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    let request = ConfigureRequest {
        terraform_version: req.terraform_version,
        config,
    };
    (reply, server.configure(request).await)
}

/// Any failure leaves the state and private data Terraform sent.
pub(super) async fn read<P: Provider>(
    server: &Server<P>,
    req: pb::read_resource::Request,
) -> (pb::read_resource::Response, Diagnostics) {
    let mut reply = pb::read_resource::Response {
        new_state: req.current_state.clone(),
        private: req.private.clone(),
        ..Default::default()
    };
    let mut codec = Codec::new(server.resource_type(&req.type_name));
    let state = codec.decode(req.current_state.as_ref(), "State");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    let request = ReadRequest {
        state,
        private: req.private,
    };
    let outcome = server.read_resource(&req.type_name, request).await;
    let mut diags = outcome.diagnostics;
    if let Some(stored) = outcome.result {
        reply.new_state = codec.encode(&stored.state, &mut diags);
        reply.private = stored.private;
    }
    (reply, diags)
}

pub(super) async fn plan<P: Provider>(
    server: &Server<P>,
    req: pb::plan_resource_change::Request,
) -> (pb::plan_resource_change::Response, Diagnostics) {
    let mut reply = pb::plan_resource_change::Response::default();
    let mut codec = Codec::new(server.resource_type(&req.type_name));
    let prior = codec.decode(req.prior_state.as_ref(), "Prior State");
    let proposed = codec.decode(req.proposed_new_state.as_ref(), "Proposed State");
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    let request = PlanRequest {
        prior,
        proposed,
        config,
        prior_private: req.prior_private,
    };
    let outcome = server.plan_resource(&req.type_name, request).await;
    let mut diags = outcome.diagnostics;
    if let Some(change) = outcome.result {
        reply.planned_state = codec.encode(&change.planned, &mut diags);
        reply.requires_replace = change
            .requires_replace
            .iter()
            .map(wire::attribute_path)
            .collect();
        reply.planned_private = change.planned_private;
    }
    (reply, diags)
}

/// Any failure leaves the prior state and the plan's private data, unless the
/// server returns a state to keep.
pub(super) async fn apply<P: Provider>(
    server: &Server<P>,
    req: pb::apply_resource_change::Request,
) -> (pb::apply_resource_change::Response, Diagnostics) {
    let mut reply = pb::apply_resource_change::Response {
        new_state: req.prior_state.clone(),
        private: req.planned_private.clone(),
        ..Default::default()
    };
    let mut codec = Codec::new(server.resource_type(&req.type_name));
    let prior = codec.decode(req.prior_state.as_ref(), "Prior State");
    let planned = codec.decode(req.planned_state.as_ref(), "Planned State");
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    let request = ApplyRequest {
        prior,
        planned,
        config,
        planned_private: req.planned_private,
    };
    let outcome = server.apply_resource(&req.type_name, request).await;
    let mut diags = outcome.diagnostics;
    if let Some(stored) = outcome.result {
        reply.new_state = codec.encode(&stored.state, &mut diags);
        reply.private = stored.private;
    }
    (reply, diags)
}

pub(super) async fn import<P: Provider>(
    server: &Server<P>,
    req: pb::import_resource_state::Request,
) -> (pb::import_resource_state::Response, Diagnostics) {
    let codec = Codec::new(server.resource_type(&req.type_name));
    let outcome = server.import_resource(&req.type_name, &req.id).await;
    let mut diags = outcome.diagnostics;
    let imported = outcome.result.and_then(|stored| {
        let state = codec.encode(&stored.state, &mut diags)?;
        Some(pb::import_resource_state::ImportedResource {
            type_name: req.type_name,
            state: Some(state),
            private: stored.private,
        })
    });
    let reply = pb::import_resource_state::Response {
        imported_resources: imported.into_iter().collect(),
        diagnostics: Vec::new(),
    };
    (reply, diags)
}

pub(super) async fn read_data<P: Provider>(
    server: &Server<P>,
    req: pb::read_data_source::Request,
) -> (pb::read_data_source::Response, Diagnostics) {
    let mut reply = pb::read_data_source::Response::default();
    let mut codec = Codec::new(server.data_source_type(&req.type_name));
    let config = codec.decode(req.config.as_ref(), "Configuration");
    if let Some(errors) = codec.failed() {
        return (reply, errors);
    }
    let outcome = server.read_data_source(&req.type_name, config).await;
    let mut diags = outcome.diagnostics;
    reply.state = outcome
        .result
        .and_then(|state| codec.encode(&state, &mut diags));
    (reply, diags)
}

//! The machinery shared by every Flux object resource (`flux_source_git`,
//! `flux_kustomization`, ...): one generic resource driven by the kind's field
//! table from `flux_core::objects`, delivered to git or to the cluster, with the
//! object's status exported and drift read back.

mod apply;
pub(crate) mod cluster;
pub mod cluster_drift;
mod connection;
pub mod convert;
mod delete;
mod git;
mod import;
mod model;
mod plan;
mod read;
pub mod schema;
mod secret;
mod spec;
pub mod status;

use std::sync::Arc;

use async_trait::async_trait;
use flux_core::objects::KindDef;
use tfplug::{
    ApplyRequest, ApplyResponse, DeleteRequest, DeleteResponse, Diagnostics, ImportResponse,
    PlanContext, ReadRequest, ReadResponse, Resource, Schema, Value,
};

use crate::config::ProviderData;
pub use cluster_drift::{DriftCheck, Findings};
pub use status::StatusAttribute;

/// What the operations of a resource type need of it: its kind, its status
/// attributes and its drift check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TypeDef {
    kind: &'static KindDef,
    status: &'static [StatusAttribute],
    drift: Option<&'static DriftCheck>,
}

/// A Flux object resource type.
#[derive(Debug)]
pub struct FluxObjectResource {
    type_name: &'static str,
    description: &'static str,
    def: TypeDef,
}

impl FluxObjectResource {
    /// The resource `type_name` managing objects of `kind`.
    pub fn new(type_name: &'static str, kind: &'static KindDef, description: &'static str) -> Self {
        Self {
            type_name,
            description,
            def: TypeDef {
                kind,
                status: &[],
                drift: None,
            },
        }
    }

    /// With values of the object's status as read-only attributes.
    pub fn with_status(mut self, status: &'static [StatusAttribute]) -> Self {
        self.def.status = status;
        self
    }

    /// With `cluster_drift`: what differs from what the object's controller installed.
    pub fn with_cluster_drift(mut self, check: &'static DriftCheck) -> Self {
        self.def.drift = Some(check);
        self
    }

    /// The kind.
    pub fn kind(&self) -> &'static KindDef {
        self.def.kind
    }

    /// As a trait object for the provider's resource list.
    pub fn shared(self) -> Arc<dyn Resource<ProviderData>> {
        Arc::new(self)
    }
}

#[async_trait]
impl Resource<ProviderData> for FluxObjectResource {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let d = self.def;
        schema::schema(d.kind, self.description, d.status, d.drift)
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        spec::validate(self.def.kind, config, diags);
    }

    async fn modify_plan(
        &self,
        data: &ProviderData,
        plan: &mut PlanContext,
        diags: &mut Diagnostics,
    ) {
        plan::modify_plan(self.def, data, plan, diags);
    }

    async fn create(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        match apply::apply(self.def, data, None, &request.planned).await {
            Ok(state) => response.state = state,
            Err(d) => {
                // Nothing is kept: a create is idempotent (same file, same apply).
                response.state = Value::Null;
                response.diagnostics.extend(d);
            }
        }
    }

    async fn read(&self, data: &ProviderData, request: ReadRequest, response: &mut ReadResponse) {
        let imported = request.private == import::IMPORTED;
        match read::read(self.def, data, &request.state, imported).await {
            Ok(Some(state)) => response.state = state,
            Ok(None) => response.remove(),
            Err(d) => response.diagnostics.extend(d),
        }
        response.private = Vec::new();
    }

    async fn update(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        match apply::apply(self.def, data, Some(&request.prior), &request.planned).await {
            Ok(state) => response.state = state,
            Err(d) => {
                response.state = request.prior;
                response.diagnostics.extend(d);
            }
        }
    }

    async fn delete(
        &self,
        data: &ProviderData,
        request: DeleteRequest,
        response: &mut DeleteResponse,
    ) {
        if let Err(d) = delete::delete(self.def.kind, data, &request.prior).await {
            response.diagnostics.extend(d);
        }
    }

    async fn import(&self, _data: &ProviderData, id: &str, response: &mut ImportResponse) {
        match import::import_state(self.def.kind, &self.schema(), id) {
            Ok(state) => {
                response.state = state;
                response.private = import::IMPORTED.to_vec();
            }
            Err(d) => response.diagnostics.push(d),
        }
    }
}

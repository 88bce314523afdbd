//! The contract between tfplug and a provider: one [`Provider`], its resources and
//! data sources. Each operation gets a request and fills a response, the way the
//! Terraform plugin framework shapes them; whatever the provider configured is passed
//! in as `&D`, so resources stay stateless under Terraform's parallelism.

use std::sync::Arc;

use async_trait::async_trait;

use crate::diag::{Diagnostic, Diagnostics};
use crate::path::AttributePath;
use crate::schema::Schema;
use crate::value::Value;

/// A Terraform provider.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` produces and every resource operation receives.
    type Data: Send + Sync + 'static;

    /// The provider type name (`flux`): resource type names start with it.
    fn type_name(&self) -> &'static str;

    /// The provider release version, for logs.
    fn version(&self) -> &'static str;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Checks the provider configuration beyond its attribute validators. Values may
    /// be unknown.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds what resources need from the configuration. Values may be unknown (a
    /// cluster created in the same apply); nothing should be contacted yet.
    async fn configure(
        &self,
        request: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;

    /// The managed resources.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    /// The data sources.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>> {
        Vec::new()
    }
}

/// `ConfigureProvider`.
#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    /// The Terraform version that runs the provider.
    pub terraform_version: String,
    /// The provider configuration.
    pub config: Value,
}

/// A managed resource type.
#[async_trait]
pub trait Resource<D>: Send + Sync {
    /// The full type name (`flux_bootstrap_git`).
    fn type_name(&self) -> &'static str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond attribute validators (values may be unknown).
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan after tfplug's pipeline. Also runs on destroy (`planned` null),
    /// where it can only warn.
    async fn modify_plan(&self, _data: &D, _plan: &mut PlanContext, _diags: &mut Diagnostics) {}

    /// Creates the resource. `response.state` starts as the plan; set every unknown.
    async fn create(&self, data: &D, request: ApplyRequest, response: &mut ApplyResponse);

    /// Refreshes the state. `response.state` starts as the current state; call
    /// [`ReadResponse::remove`] when the remote object is gone.
    async fn read(&self, data: &D, request: ReadRequest, response: &mut ReadResponse);

    /// Updates the resource in place.
    async fn update(&self, data: &D, request: ApplyRequest, response: &mut ApplyResponse);

    /// Deletes the resource. An error keeps it in state.
    async fn delete(&self, data: &D, request: DeleteRequest, response: &mut DeleteResponse);

    /// Builds a state from an import ID; Terraform reads it right after.
    async fn import(&self, _data: &D, _id: &str, response: &mut ImportResponse) {
        response.diagnostics.error(
            "Import Not Supported",
            format!("{} cannot be imported.", self.type_name()),
        );
    }

    /// Upgrades stored state written with schema `version` (as JSON) to the current
    /// schema. The default accepts the current version only.
    fn upgrade_state(&self, version: i64, state_json: &[u8], response: &mut UpgradeResponse) {
        let schema = self.schema();
        if version != schema.version {
            response.diagnostics.error(
                "Unsupported State Version",
                format!(
                    "The state of {} was written with schema version {version}, which this \
                     provider version cannot read (it reads version {}).",
                    self.type_name(),
                    schema.version
                ),
            );
            return;
        }
        match crate::value::json::decode(state_json, &schema.value_type()) {
            Ok(state) => response.state = state,
            Err(e) => response
                .diagnostics
                .push(Diagnostic::from_error("Unreadable State", &e)),
        }
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource<D>: Send + Sync {
    /// The full type name (`flux_install`).
    fn type_name(&self) -> &'static str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond attribute validators (values may be unknown).
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads the data. `response.state` starts as the configuration; set every
    /// computed attribute.
    async fn read(&self, data: &D, config: Value, response: &mut DataReadResponse);
}

/// What `modify_plan` sees and may change.
#[derive(Clone, Debug)]
pub struct PlanContext {
    /// The prior state; null on create.
    pub prior: Value,
    /// The configuration; null on destroy.
    pub config: Value,
    /// The planned state so far; null on destroy.
    pub planned: Value,
    /// Attributes whose change forces a replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private state from the prior state.
    pub prior_private: Vec<u8>,
    /// Private state to hand to apply.
    pub planned_private: Vec<u8>,
}

impl PlanContext {
    /// Whether this plan creates the resource.
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }

    /// Whether this plan destroys the resource.
    pub fn is_destroy(&self) -> bool {
        self.planned.is_null()
    }
}

/// `ApplyResourceChange` for a create or an update.
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    /// The prior state (null on create).
    pub prior: Value,
    /// The plan being applied.
    pub planned: Value,
    /// The configuration.
    pub config: Value,
    /// Private state from the plan.
    pub planned_private: Vec<u8>,
}

/// The result of a create or update.
#[derive(Clone, Debug, Default)]
pub struct ApplyResponse {
    /// The new state. A create that fails part-way may leave a partial state here with
    /// an error: Terraform saves it and marks the resource tainted.
    pub state: Value,
    /// Private state to store.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// `ReadResource`.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    /// The current state.
    pub state: Value,
    /// Private state.
    pub private: Vec<u8>,
}

/// The result of a read.
#[derive(Clone, Debug, Default)]
pub struct ReadResponse {
    /// The refreshed state; null removes the resource from state.
    pub state: Value,
    /// Private state (replaces the stored one).
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

impl ReadResponse {
    /// The remote object is gone: Terraform drops it from state and plans a create.
    pub fn remove(&mut self) {
        self.state = Value::Null;
    }
}

/// `ApplyResourceChange` for a destroy.
#[derive(Clone, Debug)]
pub struct DeleteRequest {
    /// The state being destroyed.
    pub prior: Value,
    /// Private state.
    pub private: Vec<u8>,
}

/// The result of a delete.
#[derive(Clone, Debug, Default)]
pub struct DeleteResponse {
    /// Errors keep the resource in state.
    pub diagnostics: Diagnostics,
}

/// The result of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportResponse {
    /// The imported state (then refreshed by a read).
    pub state: Value,
    /// Private state.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// The result of a state upgrade.
#[derive(Clone, Debug, Default)]
pub struct UpgradeResponse {
    /// The state in the current schema.
    pub state: Value,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// The result of a data source read.
#[derive(Clone, Debug, Default)]
pub struct DataReadResponse {
    /// The data, every computed attribute set.
    pub state: Value,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

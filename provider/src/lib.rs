//! The Flux provider for Terraform: resources and data sources mapped onto
//! `flux_core`. Each operation validates, converts Terraform values into core specs,
//! calls core, and maps the outcome back to state and diagnostics.

mod cluster_task;
pub mod config;
pub mod connection;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod resources;

use std::sync::Arc;

use async_trait::async_trait;
use tfplug::{ConfigureRequest, DataSource, Diagnostics, Provider, Resource, Schema, Value};

use config::ProviderData;

/// The provider's registry address, the same as the reference provider's so that a
/// configuration only changes its `source` line.
pub const REGISTRY_ADDRESS: &str = "registry.terraform.io/fluxcd/flux";

/// This provider's release version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Flux provider.
#[derive(Debug, Default)]
pub struct FluxProvider;

impl FluxProvider {
    /// The provider.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Provider for FluxProvider {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        "flux"
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        config::validate(config, diags);
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData> {
        config::configure(&request.config, &request.terraform_version, diags)
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        vec![
            Arc::new(data_sources::InstallDataSource),
            Arc::new(data_sources::SyncDataSource),
        ]
    }
}

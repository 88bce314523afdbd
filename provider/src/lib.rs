//! The Flux provider for Terraform: resources and data sources mapped onto
//! `flux_core`. Each operation validates, converts Terraform values into core specs,
//! calls core, and maps the outcome back to state and diagnostics.

mod cluster_task;
pub mod config;
pub mod connection;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod git_cache;
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
pub struct FluxProvider {
    /// One per provider instance, so that configuring again keeps the commit queues.
    git_cache: git_cache::GitCache,
}

impl FluxProvider {
    /// The provider.
    pub fn new() -> Self {
        Self::default()
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
        let data = config::configure(&request.config, &request.terraform_version, diags)?;
        Some(ProviderData {
            git_cache: self.git_cache.clone(),
            ..data
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git_cache::same_cache;

    async fn configure(provider: &FluxProvider) -> ProviderData {
        let request = ConfigureRequest {
            terraform_version: "1.15.5".into(),
            config: Value::object([("kubernetes", Value::Null), ("git", Value::Null)]),
        };
        let mut diags = Diagnostics::new();
        let data = provider.configure(request, &mut diags).await;
        assert!(diags.is_empty(), "{diags:?}");
        data.unwrap()
    }

    #[tokio::test]
    async fn configure_hands_out_one_git_cache_per_provider() {
        let provider = FluxProvider::new();
        let first = configure(&provider).await.git_cache.repo_cache().unwrap();
        let again = configure(&provider).await.git_cache.repo_cache().unwrap();
        assert!(same_cache(&first, &again));
        let other = configure(&FluxProvider::new()).await;
        assert!(!same_cache(&first, &other.git_cache.repo_cache().unwrap()));
    }
}

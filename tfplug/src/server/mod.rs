//! What each RPC does with the provider, in tfplug's own types: which hooks run and
//! in what order, what a failure leaves in state, and how StopProvider interrupts
//! work. The gRPC layer decodes requests into these types and encodes the results.

mod data_source;
mod resource;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::provider::{ConfigureRequest, DataSource, Provider, Resource};
use crate::schema::{Block, Schema};
use crate::types::Type;
use crate::validator::validate_block;
use crate::value::Value;

pub(crate) use resource::PlanRequest;

/// What an RPC produced: a result, unless it failed before having one, and the
/// diagnostics to report either way.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    pub(crate) result: Option<T>,
    pub(crate) diagnostics: Diagnostics,
}

impl<T> Outcome<T> {
    fn new(result: Option<T>, diagnostics: Diagnostics) -> Self {
        Self {
            result,
            diagnostics,
        }
    }
}

/// A resource state for Terraform to store, with the provider's private data.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stored {
    pub(crate) state: Value,
    pub(crate) private: Vec<u8>,
}

struct Entry<T: ?Sized> {
    handler: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Entry<T> {
    fn new(handler: Arc<T>, schema: Schema) -> Self {
        let ty = schema.value_type();
        Self {
            handler,
            schema,
            ty,
        }
    }
}

type ResourceEntry<D> = Entry<dyn Resource<D>>;
type DataSourceEntry<D> = Entry<dyn DataSource<D>>;

/// A provider with its schemas (computed once) and what `ConfigureProvider` made.
pub(crate) struct Server<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<String, ResourceEntry<P::Data>>,
    data_sources: HashMap<String, DataSourceEntry<P::Data>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stop: CancellationToken,
}

impl<P: Provider> Server<P> {
    pub(crate) fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                (
                    r.type_name().to_string(),
                    Entry::new(Arc::clone(&r), r.schema()),
                )
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                (
                    d.type_name().to_string(),
                    Entry::new(Arc::clone(&d), d.schema()),
                )
            })
            .collect();
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            data: RwLock::new(None),
            stop: CancellationToken::new(),
        }
    }

    /// The provider block's schema.
    pub(crate) fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// The type of the provider configuration.
    pub(crate) fn provider_type(&self) -> &Type {
        &self.provider_type
    }

    /// Every resource type's name and schema.
    pub(crate) fn resource_schemas(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.resources.iter().map(|(k, e)| (k.as_str(), &e.schema))
    }

    /// Every data source type's name and schema.
    pub(crate) fn data_source_schemas(&self) -> impl Iterator<Item = (&str, &Schema)> {
        self.data_sources
            .iter()
            .map(|(k, e)| (k.as_str(), &e.schema))
    }

    /// The value type of resource `type_name`, if the provider has it.
    pub(crate) fn resource_type(&self, type_name: &str) -> Option<&Type> {
        self.resources.get(type_name).map(|e| &e.ty)
    }

    /// The value type of data source `type_name`, if the provider has it.
    pub(crate) fn data_source_type(&self, type_name: &str) -> Option<&Type> {
        self.data_sources.get(type_name).map(|e| &e.ty)
    }

    /// StopProvider: cancels every operation in flight, and any started later.
    pub(crate) fn stop(&self) {
        tracing::info!("stop requested: cancelling work in flight");
        self.stop.cancel();
    }

    /// ValidateProviderConfig.
    pub(crate) async fn validate_provider(&self, config: Value) -> Diagnostics {
        let mut diags = validate_attributes(&self.provider_schema.block, &config);
        let mut own = Diagnostics::new();
        self.provider.validate(&config, &mut own).await;
        diags.extend(own);
        diags
    }

    /// ConfigureProvider: keeps what the provider builds for later operations.
    pub(crate) async fn configure(&self, request: ConfigureRequest) -> Diagnostics {
        tracing::info!(
            terraform_version = %request.terraform_version,
            provider_version = self.provider.version(),
            "configuring provider"
        );
        let mut diags = Diagnostics::new();
        if let Some(data) = self.provider.configure(request, &mut diags).await {
            *self.data.write().await = Some(Arc::new(data));
        }
        diags
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

    /// What `ConfigureProvider` made, or an error when it has not run (or failed).
    async fn data(&self, diags: &mut Diagnostics) -> Option<Arc<P::Data>> {
        let data = self.configured().await;
        if data.is_none() {
            diags.error(
                "Provider Not Configured",
                "Terraform called the provider before configuring it. This is a bug in the \
                 provider or in Terraform; please report it.",
            );
        }
        data
    }

    async fn configured(&self) -> Option<Arc<P::Data>> {
        self.data.read().await.clone()
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

/// The attribute validators of `block` on a configuration. The provider's own checks
/// get a fresh list afterwards, so that they cannot drop these diagnostics.
fn validate_attributes(block: &Block, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    validate_block(block, config, &AttributePath::root(), &mut diags);
    diags
}

/// An apply or read must leave nothing unknown; catching it here names the attribute
/// instead of Terraform's generic inconsistency error.
fn check_known(value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    match value {
        Value::Unknown(_) => diags.attribute_error(
            path.clone(),
            "Provider Left a Value Unknown",
            format!(
                "The provider did not set {path} after applying. This is a bug in the \
                 provider; please report it."
            ),
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

//! `flux_operator`: installs the Flux Operator (its CRDs, RBAC, Service and Deployment,
//! from the manifests built into the provider) and waits until it runs; its removal
//! refuses while FluxInstances exist unless told to delete them first.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use flux_core::cluster::Cluster;
use flux_core::manifests::GoDuration;
use flux_core::objects::Check;
use flux_core::operator::{
    check_registry, render, InstallSpec, OperatorError, RemovalSpec, DEFAULT_REGISTRY,
    OPERATOR_VERSION,
};
use serde_json::Value as Json;
use tfplug::validator::string_check;
use tfplug::{
    ApplyRequest, ApplyResponse, Attribute, AttributePath, DeleteRequest, DeleteResponse,
    Diagnostic, Diagnostics, ImportResponse, PlanContext, PlanModifier, ReadRequest, ReadResponse,
    Resource, Schema, Type, Value,
};

use super::flux_object::cluster::required_cluster;
use crate::cluster_task::run_on_cluster;
use crate::config::ProviderData;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_operator";

/// The resource.
#[derive(Debug, Default)]
pub struct FluxOperator;

/// The configuration, checked.
struct OperatorModel {
    install: InstallSpec,
    removal: RemovalSpec,
    wait_timeout: Duration,
}

fn text(config: &Value, name: &str) -> Option<String> {
    config.attr(name).as_str().map(str::to_owned)
}

impl OperatorModel {
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        let timeout_text = text(value, "wait_timeout").unwrap_or_else(|| "5m".into());
        let wait_timeout = GoDuration::parse(&timeout_text)
            .map(GoDuration::to_std)
            .map_err(|e| {
                Diagnostic::from_error("Invalid Attribute Value", &e)
                    .at(AttributePath::attr("wait_timeout"))
            })?;
        let flag = |name| value.attr(name).as_bool() == Some(true);
        Ok(Self {
            install: InstallSpec {
                namespace: text(value, "namespace").unwrap_or_else(|| "flux-system".into()),
                registry: text(value, "registry").unwrap_or_else(|| DEFAULT_REGISTRY.into()),
                image_pull_secret: text(value, "image_pull_secret"),
            },
            removal: RemovalSpec {
                remove_instances: flag("remove_instances_on_destroy"),
                keep_namespace: flag("keep_namespace"),
                timeout: wait_timeout,
            },
            wait_timeout,
        })
    }

    fn objects(&self) -> Result<Vec<Json>, Diagnostic> {
        render(&self.install).map_err(|e| operator_error("Invalid Flux Operator Settings", &e))
    }
}

/// An operator error, at the attribute it names when it is about an input.
fn operator_error(summary: &str, error: &OperatorError) -> Diagnostic {
    let diagnostic = Diagnostic::from_error(summary, error);
    match error {
        OperatorError::Invalid { field, .. } => diagnostic.at(AttributePath::attr(*field)),
        _ => diagnostic,
    }
}

async fn on_cluster<T, F, Fut>(
    cluster: &Arc<Cluster>,
    summary: &'static str,
    f: F,
) -> Result<T, Diagnostic>
where
    T: Send + 'static,
    F: FnOnce(Arc<Cluster>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, OperatorError>>,
{
    run_on_cluster(cluster, f)
        .await?
        .map_err(|e| operator_error(summary, &e))
}

fn schema() -> Schema {
    Schema::new(vec![
        Attribute::string("id")
            .computed()
            .description("The operator's namespace.")
            .modify(PlanModifier::UseStateForUnknown),
        Attribute::string("namespace")
            .default("flux-system")
            .description("Namespace of the operator (and of the Flux it installs).")
            .validate(string_check("an RFC 1123 label", |s| Check::Label.check(s)))
            .modify(PlanModifier::RequiresReplace),
        Attribute::string("registry")
            .default(DEFAULT_REGISTRY)
            .description("Registry the operator's image is pulled from, without the image name (a mirror of `ghcr.io/controlplaneio-fluxcd`).")
            .validate(string_check("a registry address without a trailing `/`", check_registry)),
        Attribute::string("image_pull_secret")
            .optional()
            .description("Secret of the namespace with the registry's credentials, added to the operator's pods.")
            .validate(string_check("an RFC 1123 subdomain", |s| Check::Name.check(s))),
        Attribute::string("version")
            .computed()
            .description(format!("The operator version installed: the one built into the provider ({OPERATOR_VERSION}).")),
        Attribute::string("image")
            .computed()
            .description("The image the operator's Deployment runs (last read)."),
        Attribute::list("cluster_drift", Type::String)
            .computed()
            .description("What differs in the cluster from the install, one line per object (a missing object, the operator not available); empty when none. A non-empty value plans an update that installs again."),
        Attribute::bool("remove_instances_on_destroy")
            .default(false)
            .description("On destroy, delete the FluxInstances first (the operator then uninstalls Flux) and wait until they are gone. When false, destroy refuses while a FluxInstance exists."),
        Attribute::bool("keep_namespace")
            .default(false)
            .description("On destroy, leave the namespace in place."),
        Attribute::string("wait_timeout")
            .default("5m")
            .description("How long the apply waits for the operator to be available, and the destroy for the FluxInstances to be gone.")
            .validate(string_check("a Go duration", |s| {
                GoDuration::parse(s).map(|_| ()).map_err(|e| e.to_string())
            })),
    ])
    .description(format!(
        "The Flux Operator {OPERATOR_VERSION}: its CRDs (FluxInstance, FluxReport, ResourceSet, ResourceSetInputProvider), RBAC, Service and Deployment, applied by server-side apply from the manifests built into the provider. The apply waits until the operator is available. Flux itself is then declared with `flux_instance`."
    ))
}

/// The state after an install: the configuration with the computed values.
fn installed_state(planned: &Value, model: &OperatorModel) -> Value {
    let mut state = planned.clone();
    state.set_attr("id", Value::from(model.install.namespace.clone()));
    state.set_attr("version", Value::from(OPERATOR_VERSION));
    state.set_attr("image", Value::from(model.install.image()));
    state.set_attr("cluster_drift", Value::list([]));
    state
}

async fn install(data: &ProviderData, planned: &Value) -> Result<Value, Diagnostics> {
    let model = OperatorModel::from_value(planned)?;
    let objects = model.objects()?;
    let cluster = required_cluster(data)?;
    let timeout = model.wait_timeout;
    on_cluster(
        &cluster,
        "Failed To Install The Flux Operator",
        move |c| async move { c.install_operator(&objects, timeout).await },
    )
    .await?;
    Ok(installed_state(planned, &model))
}

/// Reads the install back: `None` when nothing of it is left (the plan then creates it).
async fn read(data: &ProviderData, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let model = OperatorModel::from_value(state)?;
    let objects = model.objects()?;
    let total = objects.len();
    let cluster = required_cluster(data)?;
    let seen = on_cluster(
        &cluster,
        "Failed To Read The Flux Operator",
        move |c| async move { c.observe_operator(&objects).await },
    )
    .await?;
    if seen.missing.len() == total {
        return Ok(None);
    }
    let mut drift: Vec<Value> = seen
        .missing
        .iter()
        .map(|o| Value::from(format!("{o}: missing")))
        .collect();
    if let Some(why) = &seen.not_ready {
        drift.push(Value::from(format!("operator not available: {why}")));
    }
    let mut next = state.clone();
    next.set_attr("image", seen.image.map_or(Value::Null, Value::from));
    next.set_attr("cluster_drift", Value::list(drift));
    Ok(Some(next))
}

/// The installed state, or on failure `fallback` and the diagnostics.
fn respond(result: Result<Value, Diagnostics>, fallback: Value, response: &mut ApplyResponse) {
    match result {
        Ok(state) => response.state = state,
        Err(d) => {
            response.state = fallback;
            response.diagnostics.extend(d);
        }
    }
}

#[async_trait]
impl Resource<ProviderData> for FluxOperator {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn modify_plan(
        &self,
        _data: &ProviderData,
        plan: &mut PlanContext,
        _diags: &mut Diagnostics,
    ) {
        if plan.is_destroy() {
            return;
        }
        let planned = &mut plan.planned;
        planned.set_attr("version", Value::from(OPERATOR_VERSION));
        planned.set_attr("cluster_drift", Value::list([]));
        // The image depends on the registry alone.
        let image = planned
            .attr("registry")
            .as_str()
            .map_or_else(Value::unknown, |registry| {
                let spec = InstallSpec {
                    registry: registry.to_owned(),
                    ..InstallSpec::default()
                };
                Value::from(spec.image())
            });
        planned.set_attr("image", image);
        if let Some(namespace) = planned.attr("namespace").as_str() {
            let id = Value::from(namespace.to_owned());
            planned.set_attr("id", id);
        }
    }

    async fn create(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        // Nothing is kept: an install is idempotent.
        respond(install(data, &request.planned).await, Value::Null, response);
    }

    async fn read(&self, data: &ProviderData, request: ReadRequest, response: &mut ReadResponse) {
        match read(data, &request.state).await {
            Ok(Some(state)) => response.state = state,
            Ok(None) => response.remove(),
            Err(d) => response.diagnostics.extend(d),
        }
    }

    async fn update(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        let result = install(data, &request.planned).await;
        respond(result, request.prior, response);
    }

    async fn delete(
        &self,
        data: &ProviderData,
        request: DeleteRequest,
        response: &mut DeleteResponse,
    ) {
        let removed = async {
            let model = OperatorModel::from_value(&request.prior)?;
            let objects = model.objects()?;
            let cluster = required_cluster(data)?;
            let removal = model.removal;
            on_cluster(
                &cluster,
                "Failed To Remove The Flux Operator",
                move |c| async move { c.remove_operator(&objects, &removal).await },
            )
            .await?;
            Ok::<_, Diagnostics>(())
        };
        if let Err(d) = removed.await {
            response.diagnostics.extend(d);
        }
    }

    async fn import(&self, _data: &ProviderData, id: &str, response: &mut ImportResponse) {
        if let Err(reason) = Check::Label.check(id) {
            response.diagnostics.push(Diagnostic::error(
                "Invalid Import ID",
                format!("the import ID is the operator's namespace: {reason}"),
            ));
            return;
        }
        response.state = import_state(id);
    }
}

/// The state an import starts from: the schema's defaults (settings that live only in
/// the configuration), the namespace, and the built-in version; the read that follows
/// fills in what the cluster holds.
fn import_state(namespace: &str) -> Value {
    let mut state = Value::object(
        schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.default.clone().unwrap_or(Value::Null))),
    );
    state.set_attr("id", Value::from(namespace));
    state.set_attr("namespace", Value::from(namespace));
    state.set_attr("version", Value::from(OPERATOR_VERSION));
    state.set_attr("cluster_drift", Value::list([]));
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_starts_from_the_schema_defaults_in_the_given_namespace() {
        let state = import_state("ops");
        assert_eq!(state.attr("namespace").as_str(), Some("ops"));
        assert_eq!(state.attr("registry").as_str(), Some(DEFAULT_REGISTRY));
        assert_eq!(state.attr("wait_timeout").as_str(), Some("5m"));
        assert_eq!(
            state.attr("remove_instances_on_destroy").as_bool(),
            Some(false)
        );
        assert!(state.attr("image_pull_secret").is_null());
        assert_eq!(state.as_entries().map(|e| e.len()), Some(10));
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().cloned())
    }

    #[test]
    fn the_installed_state_names_the_built_in_version_and_image() {
        let planned = config(&[
            ("namespace", Value::from("ops")),
            ("registry", Value::from("registry.example.com/mirror")),
        ]);
        let model = OperatorModel::from_value(&planned).unwrap();
        let state = installed_state(&planned, &model);
        assert_eq!(state.attr("id").as_str(), Some("ops"));
        assert_eq!(state.attr("version").as_str(), Some(OPERATOR_VERSION));
        assert_eq!(
            state.attr("image").as_str(),
            Some("registry.example.com/mirror/flux-operator:v0.59.0")
        );
    }
}

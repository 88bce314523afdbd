//! `flux_bootstrap_git`: commits Flux's manifests to a git repository, installs Flux
//! in the cluster and waits until it syncs, as the reference resource does, with the
//! reference's defects fixed (see docs/resources/bootstrap_git.md).

mod connection;
mod destroy;
mod drift;
mod files;
mod import;
pub mod model;
mod observe;
mod operations;
mod plan_files;
mod read;
mod references;
pub mod schema;
mod sync_ref;
mod upgrade;
mod validate;

use std::time::Duration;

use async_trait::async_trait;
use flux_core::cluster::{Cluster, DEFAULT_REQUEST_TIMEOUT};
use tfplug::{
    ApplyRequest, ApplyResponse, DeleteRequest, DeleteResponse, Diagnostic, Diagnostics,
    ImportResponse, PlanContext, ReadRequest, ReadResponse, Resource, Schema, UpgradeResponse,
    Value,
};

use crate::config::{ProviderData, Setting};
use crate::connection::{connection_spec, GitTarget};
use connection::{effective_git, effective_kubernetes, require};
use model::{BootstrapModel, Timeouts};
use operations::{Bootstrap, Mode};

/// The resource type name.
pub const TYPE_NAME: &str = "flux_bootstrap_git";

/// The `flux_bootstrap_git` resource.
#[derive(Debug, Default)]
pub struct BootstrapGit;

impl BootstrapGit {
    /// The resource.
    pub fn new() -> Self {
        Self
    }

    /// The model and connections of a known resource value, for an operation whose
    /// `timeouts` entry `limit` picks: every request to the API server and every git
    /// network step waits at most that long.
    fn bootstrap(
        &self,
        value: &Value,
        data: &ProviderData,
        limit: fn(&Timeouts) -> Duration,
    ) -> Result<Bootstrap, Diagnostic> {
        let model = BootstrapModel::from_value(value)?;
        let limit = limit(&model.timeouts);
        let kubernetes = require(effective_kubernetes(value, data)?, "kubernetes")?;
        let git = require(effective_git(value, data)?, "git")?;
        let cluster = Cluster::new(connection_spec(&kubernetes))
            .map_err(|e| Diagnostic::from_error("Invalid Kubernetes Settings", &e))?
            .with_request_timeout(limit.min(DEFAULT_REQUEST_TIMEOUT));
        Ok(Bootstrap {
            model,
            git: GitTarget::new(&git)?,
            cluster: std::sync::Arc::new(cluster),
            cache: data.git_cache.repo_cache()?,
            deadline: tokio::time::Instant::now() + limit,
        })
    }
}

/// How long after its own deadline an apply is cut off. The apply's waits end at the
/// deadline with an error naming what they waited for; the cut-off only catches a step
/// that hangs, and must not pre-empt those errors.
const BACKSTOP_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

fn with_timeout<T>(
    limit: std::time::Duration,
    what: &str,
) -> impl FnOnce(Result<T, tokio::time::error::Elapsed>) -> Result<T, Diagnostics> + '_ {
    move |r| {
        r.map_err(|_| {
            Diagnostics::from(Diagnostic::error(
                "Timed Out",
                format!(
                    "The {what} did not finish within {}s; raise `timeouts.{what}` if the cluster or repository is slow.",
                    limit.as_secs()
                ),
            ))
        })
    }
}

#[async_trait]
impl Resource<ProviderData> for BootstrapGit {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn upgrade_state(&self, version: i64, state_json: &[u8], response: &mut UpgradeResponse) {
        upgrade::upgrade(&schema::schema(), version, state_json, response);
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate_config(config, diags);
        let root = tfplug::ObjectAccess::root(config);
        crate::config::kubernetes::validate(
            config.attr("kubernetes"),
            &root.object("kubernetes"),
            diags,
        );
        crate::config::git::validate(config.attr("git"), &root.object("git"), diags);
    }

    async fn modify_plan(
        &self,
        data: &ProviderData,
        plan: &mut PlanContext,
        diags: &mut Diagnostics,
    ) {
        if plan.is_destroy() {
            return;
        }
        keep_embedded_manifests(plan);
        let namespace = plan.planned.attr("namespace").clone();
        if namespace.as_str().is_some() {
            plan.planned.set_attr("id", namespace);
        }
        plan_files::plan(plan, data, diags).await;
    }

    async fn create(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        let mut bootstrap = match self.bootstrap(&request.planned, data, |t| t.create) {
            Ok(b) => b,
            Err(d) => return response.diagnostics.push(d),
        };
        let limit = bootstrap.model.timeouts.create;
        let mut diags = Diagnostics::new();
        let planned_kustomization =
            plan_files::planned_kustomization(&request.planned, &request.prior, &bootstrap.model);
        let result = tokio::time::timeout(
            limit + BACKSTOP_MARGIN,
            bootstrap.apply(Mode::Create, &[], planned_kustomization, limit, &mut diags),
        )
        .await;
        response.diagnostics.extend(diags);
        match with_timeout(limit, "create")(result).and_then(|r| r) {
            Ok(files) => {
                let mut state = request.planned;
                state.set_attr("id", Value::from(bootstrap.model.namespace.clone()));
                plan_files::store_applied(&mut state, files);
                response.state = state;
            }
            // No partial state: Create is idempotent (unchanged files give no commit,
            // applies are server-side), so the next apply simply runs it again.
            Err(d) => {
                response.state = Value::Null;
                response.diagnostics.extend(d);
            }
        }
    }

    async fn read(&self, data: &ProviderData, request: ReadRequest, response: &mut ReadResponse) {
        let state = &request.state;
        // A plan must work before the cluster or repository exists (TPF #694).
        let deferred = matches!(effective_kubernetes(state, data), Ok(Setting::Deferred))
            || matches!(effective_git(state, data), Ok(Setting::Deferred));
        if deferred {
            return;
        }
        let mut bootstrap = match self.bootstrap(state, data, |t| t.read) {
            Ok(b) => b,
            Err(d) => return response.diagnostics.push(d),
        };
        let limit = bootstrap.model.timeouts.read;
        let mut diags = Diagnostics::new();
        let result = tokio::time::timeout(limit, bootstrap.observe(&mut diags)).await;
        response.diagnostics.extend(diags);
        match with_timeout(limit, "read")(result) {
            Ok(Ok((files, drift))) => {
                let mut state = state.clone();
                plan_files::store(&mut state, files, drift);
                response.state = state;
            }
            Ok(Err(d)) => response.diagnostics.push(d),
            Err(d) => response.diagnostics.extend(d),
        }
    }

    async fn update(
        &self,
        data: &ProviderData,
        request: ApplyRequest,
        response: &mut ApplyResponse,
    ) {
        let mut bootstrap = match self.bootstrap(&request.planned, data, |t| t.update) {
            Ok(b) => b,
            Err(d) => {
                response.state = request.prior;
                return response.diagnostics.push(d);
            }
        };
        let limit = bootstrap.model.timeouts.update;
        let prior_keys: Vec<String> =
            plan_files::string_map(request.prior.attr("repository_files"))
                .into_keys()
                .collect();
        let mut diags = Diagnostics::new();
        let result = tokio::time::timeout(
            limit + BACKSTOP_MARGIN,
            bootstrap.apply(
                Mode::Update,
                &prior_keys,
                plan_files::planned_kustomization(
                    &request.planned,
                    &request.prior,
                    &bootstrap.model,
                ),
                limit,
                &mut diags,
            ),
        )
        .await;
        response.diagnostics.extend(diags);
        match with_timeout(limit, "update")(result).and_then(|r| r) {
            Ok(files) => {
                let mut state = request.planned;
                plan_files::store_applied(&mut state, files);
                response.state = state;
            }
            // The prior state stays: a failed update must not record the plan (the
            // reference's defect #21).
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
        let mut bootstrap = match self.bootstrap(&request.prior, data, |t| t.delete) {
            Ok(b) => b,
            Err(d) => return response.diagnostics.push(d),
        };
        let limit = bootstrap.model.timeouts.delete;
        let tracked: Vec<String> = plan_files::string_map(request.prior.attr("repository_files"))
            .into_keys()
            .collect();
        if let Err(d) = bootstrap.destroy(&tracked, limit).await {
            response.diagnostics.extend(d);
        }
    }

    async fn import(&self, data: &ProviderData, id: &str, response: &mut ImportResponse) {
        match import::import_state(id, data).await {
            Ok(state) => response.state = state,
            Err(d) => response.diagnostics.extend(d),
        }
    }
}

/// With `version` at the built-in version the built-in manifests are used whatever
/// `embedded_manifests` says, so an unset `embedded_manifests` keeps the stored value
/// instead of planning a change that does nothing (an import, which cannot see the
/// attribute, stores `true` for an install of the built-in version).
fn keep_embedded_manifests(plan: &mut PlanContext) {
    let prior = plan.prior.attr("embedded_manifests");
    let builtin =
        plan.planned.attr("version").as_str() == Some(flux_core::manifests::EMBEDDED_VERSION);
    if builtin && plan.config.attr("embedded_manifests").is_null() && prior.as_bool().is_some() {
        let prior = prior.clone();
        plan.planned.set_attr("embedded_manifests", prior);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GitModel;
    use tfplug::{ObjectAccess, PlanModifier};

    pub(super) fn provider_data(git: Option<Value>) -> ProviderData {
        ProviderData {
            git: match git {
                Some(v) => Setting::Known(GitModel::from_value(&ObjectAccess::root(&v)).unwrap()),
                None => Setting::Deferred,
            },
            ..ProviderData::default()
        }
    }

    pub(super) fn https_git() -> Value {
        Value::object([
            ("url", "https://user:pw@git.example.com/fleet.git".into()),
            (
                "http",
                Value::object([("username", "u".into()), ("password", "p".into())]),
            ),
        ])
    }

    /// A plan with the schema defaults and `set` applied.
    pub(super) fn planned(set: &[(&str, Value)]) -> Value {
        let mut v = Value::object(
            schema::schema()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), a.default.clone().unwrap_or(Value::Null))),
        );
        v.set_attr("id", Value::unknown());
        for computed in [
            "repository_files",
            "repository_files_summary",
            "cluster_drift",
        ] {
            v.set_attr(computed, Value::unknown());
        }
        for (k, val) in set {
            v.set_attr(k, val.clone());
        }
        v
    }

    pub(super) async fn plan(
        prior: Value,
        planned: Value,
        data: &ProviderData,
    ) -> (PlanContext, Diagnostics) {
        let mut ctx = PlanContext {
            prior,
            config: Value::Null,
            planned,
            requires_replace: Vec::new(),
            prior_private: Vec::new(),
            planned_private: Vec::new(),
        };
        let mut diags = Diagnostics::new();
        BootstrapGit::new()
            .modify_plan(data, &mut ctx, &mut diags)
            .await;
        (ctx, diags)
    }

    /// Flux objects commit through `data.git_cache` too, so a bootstrap and the
    /// objects writing to its repository share one commit queue.
    #[tokio::test]
    async fn bootstrap_commits_through_the_provider_git_cache() {
        let kubernetes = Value::object([("host", "https://127.0.0.1:6443".into())]);
        let data = ProviderData {
            kubernetes: Setting::Known(
                crate::config::KubernetesModel::from_value(
                    &ObjectAccess::root(&kubernetes),
                    |_| None,
                )
                .unwrap(),
            ),
            ..provider_data(Some(https_git()))
        };
        let bootstrap = BootstrapGit::new()
            .bootstrap(&planned(&[]), &data, |t| t.create)
            .unwrap();
        let provider_cache = data.git_cache.repo_cache().unwrap();
        assert!(crate::git_cache::same_cache(
            &bootstrap.cache,
            &provider_cache
        ));
        let other = BootstrapGit::new()
            .bootstrap(&planned(&[]), &data, |t| t.read)
            .unwrap();
        assert!(crate::git_cache::same_cache(&other.cache, &provider_cache));
    }

    #[test]
    fn schema_replacement_rules_are_namespace_and_secret_name_only() {
        let s = schema::schema();
        let replacing: Vec<&str> = s
            .block
            .attributes
            .iter()
            .filter(|a| a.modifiers.contains(&PlanModifier::RequiresReplace))
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(replacing, vec!["namespace", "secret_name"]);
        let creds = s.block.attribute("registry_credentials").unwrap();
        assert!(creds.sensitive);
        let version = s.block.attribute("version").unwrap();
        assert_eq!(
            version.default,
            Some(Value::from(flux_core::manifests::EMBEDDED_VERSION))
        );
    }

    #[tokio::test]
    async fn modify_plan_unset_embedded_manifests_keeps_the_stored_value_at_the_builtin_version() {
        let data = provider_data(None);
        let mut prior = planned(&[("embedded_manifests", true.into())]);
        prior.set_attr("id", "flux-system".into());
        let (ctx, _) = plan(prior.clone(), planned(&[]), &data).await;
        assert_eq!(ctx.planned.attr("embedded_manifests"), &Value::from(true));
        // Another version: the manifests would differ, so the default is planned.
        let other = planned(&[("version", "v2.8.5".into())]);
        let (ctx, _) = plan(prior, other, &data).await;
        assert_eq!(ctx.planned.attr("embedded_manifests"), &Value::from(false));
    }

    #[tokio::test]
    async fn modify_plan_unknown_git_settings_leave_files_unknown() {
        let (ctx, diags) = plan(Value::Null, planned(&[]), &provider_data(None)).await;
        assert!(diags.is_empty(), "{diags:?}");
        assert!(ctx.planned.attr("repository_files").is_unknown());
        assert_eq!(ctx.planned.attr("id").as_str(), Some("flux-system"));
    }
}

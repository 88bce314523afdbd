//! The connection settings an operation uses: the resource's own `kubernetes` / `git`
//! attributes when set, else the provider's (converted by `crate::connection`).

use tfplug::{AttributePath, Diagnostic, ObjectAccess, Value};

use crate::config::{GitModel, KubernetesModel, ProviderData, Setting};

/// The `kubernetes` setting in effect for a resource value (configuration, plan or
/// state): its own attribute when set, else the provider's.
pub fn effective_kubernetes(
    resource: &Value,
    data: &ProviderData,
) -> Result<Setting<KubernetesModel>, Diagnostic> {
    let own = resource.attr("kubernetes");
    if own.is_null() {
        return Ok(data.kubernetes.clone());
    }
    if !own.is_wholly_known() {
        return Ok(Setting::Deferred);
    }
    let env = |k: &str| std::env::var(k).ok();
    let obj = ObjectAccess::new(own, AttributePath::attr("kubernetes"));
    KubernetesModel::from_value(&obj, env).map(Setting::Known)
}

/// The `git` setting in effect for a resource value.
pub fn effective_git(
    resource: &Value,
    data: &ProviderData,
) -> Result<Setting<GitModel>, Diagnostic> {
    let own = resource.attr("git");
    if own.is_null() {
        return Ok(data.git.clone());
    }
    if !own.is_wholly_known() {
        return Ok(Setting::Deferred);
    }
    let obj = ObjectAccess::new(own, AttributePath::attr("git"));
    GitModel::from_value(&obj).map(Setting::Known)
}

/// The error of an operation that needs a connection the configuration lacks.
pub fn missing_configuration(what: &str) -> Diagnostic {
    Diagnostic::error(
        "Missing configuration",
        format!(
            "Git and Kubernetes configuration not found: set `{what}` on the provider or on the resource."
        ),
    )
}

/// Requires a known setting at apply time.
pub fn require<T: Clone>(setting: Setting<T>, what: &str) -> Result<T, Diagnostic> {
    match setting {
        Setting::Known(v) => Ok(v),
        Setting::Unset => Err(missing_configuration(what).at(AttributePath::attr(what))),
        Setting::Deferred => Err(Diagnostic::error(
            "Connection Settings Not Known",
            format!("The `{what}` settings depend on values that are not known yet."),
        )),
    }
}

/// Whether an apply writes the git Secret: not with `disable_secret_creation`, and
/// without configured credentials only when there is none yet. An existing Secret is
/// then kept as it is, as `flux bootstrap` and the reference keep it, so one made by
/// hand or by another tool survives.
pub async fn writes_git_secret(
    model: &super::model::BootstrapModel,
    git: &crate::connection::GitTarget,
    cluster: &flux_core::cluster::Cluster,
) -> Result<bool, Diagnostic> {
    if model.disable_secret_creation {
        return Ok(false);
    }
    if git.configures_credentials() {
        return Ok(true);
    }
    let existing = cluster
        .find_secret_fingerprint(&model.namespace, &model.secret_name)
        .await
        .map_err(|e| Diagnostic::from_error("Failed To Read The Git Secret", &e))?;
    Ok(existing.is_none())
}

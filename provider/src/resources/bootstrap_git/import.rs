//! Import by namespace: rebuild the resource's values from what is installed, then
//! let Read fill `repository_files` from git.

use flux_core::cluster::{Cluster, ObjectRef};
use serde_json::Value as Json;
use tfplug::{Diagnostic, Diagnostics, Value};

use super::connection::require;
use super::schema::{schema, DEFAULT_COMPONENTS, EXTRA_COMPONENTS};
use super::BootstrapGit;
use crate::config::ProviderData;
use crate::connection::connection_spec;

fn text(object: &Json, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A state for the bootstrap in namespace `id`, read from the cluster.
pub async fn import_state(
    resource: &BootstrapGit,
    id: &str,
    data: &ProviderData,
) -> Result<Value, Diagnostics> {
    flux_core::manifests::validate_namespace(id)
        .map_err(|e| Diagnostics::from(Diagnostic::from_error("Invalid Import ID", &e)))?;
    let kubernetes = require(data.kubernetes.clone(), "kubernetes")?;
    let cluster = Cluster::new(connection_spec(&kubernetes)).map_err(|e| {
        Diagnostics::from(Diagnostic::from_error("Invalid Kubernetes Settings", &e))
    })?;
    let find = |r: ObjectRef| {
        let cluster = &cluster;
        async move {
            cluster
                .find_object(&r)
                .await
                .map_err(|e| Diagnostics::from(Diagnostic::from_error("Failed To Read Flux", &e)))
        }
    };
    let ns = Some(id);
    let repo = find(ObjectRef::new("source.toolkit.fluxcd.io/v1", "GitRepository", ns, id))
        .await?
        .ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Flux Is Not Installed",
                format!("No GitRepository {id}/{id} found: the import ID is the namespace of a bootstrapped Flux."),
            ))
        })?;
    let ks = find(ObjectRef::new(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        ns,
        id,
    ))
    .await?
    .ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            "Flux Is Not Installed",
            format!("No Kustomization {id}/{id} found."),
        ))
    })?;
    let mut components = Vec::new();
    let mut extras = Vec::new();
    let mut version = None;
    let mut registry = None;
    for name in DEFAULT_COMPONENTS.iter().chain(EXTRA_COMPONENTS.iter()) {
        let Some(d) = find(ObjectRef::new("apps/v1", "Deployment", ns, name)).await? else {
            continue;
        };
        if DEFAULT_COMPONENTS.contains(name) {
            components.push(Value::from(*name));
        } else {
            extras.push(Value::from(*name));
        }
        version = version.or_else(|| text(&d, "/metadata/labels/app.kubernetes.io~1version"));
        registry = registry.or_else(|| {
            text(&d, "/spec/template/spec/containers/0/image").and_then(|i| {
                i.rsplit_once(&format!("/{name}"))
                    .map(|(r, _)| r.to_string())
            })
        });
    }
    let mut state = Value::object(
        schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.default.clone().unwrap_or(Value::Null))),
    );
    state.set_attr("id", Value::from(id));
    state.set_attr("namespace", Value::from(id));
    if let Some(secret) = text(&repo, "/spec/secretRef/name") {
        state.set_attr("secret_name", Value::from(secret));
    }
    if let Some(interval) = text(&repo, "/spec/interval") {
        state.set_attr("interval", Value::from(interval));
    }
    let path = text(&ks, "/spec/path")
        .map(|p| p.trim_start_matches("./").trim_end_matches('/').to_string())
        .filter(|p| !p.is_empty());
    state.set_attr("path", Value::from(path));
    if components.len() >= 2 {
        state.set_attr("components", Value::set(components));
    }
    if !extras.is_empty() {
        state.set_attr("components_extra", Value::set(extras));
    }
    if let Some(v) = version {
        state.set_attr("version", Value::from(v));
    }
    if let Some(r) = registry {
        state.set_attr("registry", Value::from(r));
    }
    state.set_attr(
        "repository_files",
        Value::object(Vec::<(String, Value)>::new()),
    );
    // Read right after import fills repository_files from git; the git cache is
    // created now so that a broken cache directory fails the import, not the read.
    resource.repo_cache().map_err(Diagnostics::from)?;
    Ok(state)
}

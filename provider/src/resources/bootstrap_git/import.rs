//! Import by namespace: rebuild the resource's values from what is installed, then
//! let Read fill `repository_files` from git.

use flux_core::cluster::{Cluster, ObjectRef};
use serde_json::Value as Json;
use tfplug::{Diagnostic, Diagnostics, Value};

use super::connection::require;
use super::schema::{schema, DEFAULT_COMPONENTS, EXTRA_COMPONENTS};
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
pub async fn import_state(id: &str, data: &ProviderData) -> Result<Value, Diagnostics> {
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
    let mut first_deployment: Option<Json> = None;
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
        // The options every controller gets alike are read from source-controller,
        // which is always installed (it is first in the list).
        if first_deployment.is_none() {
            first_deployment = Some(d.clone());
        }
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
        // An install of the built-in version is what embedded manifests give.
        let builtin = v == flux_core::manifests::EMBEDDED_VERSION;
        state.set_attr("embedded_manifests", Value::from(builtin));
        state.set_attr("version", Value::from(v));
    }
    if let Some(r) = registry {
        state.set_attr("registry", Value::from(r));
    }
    if let Some(deployment) = &first_deployment {
        for (name, value) in install_options(deployment) {
            state.set_attr(name, value);
        }
    }
    let policy = find(ObjectRef::new(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        ns,
        "allow-egress",
    ))
    .await?;
    state.set_attr("network_policy", Value::from(policy.is_some()));
    if let Some(name) = state.attr("image_pull_secret").as_str().map(str::to_string) {
        let secret = find(ObjectRef::new("v1", "Secret", ns, &name)).await?;
        let registry = state
            .attr("registry")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(login) = secret.and_then(|s| registry_login(&s, &registry)) {
            state.set_attr("registry_credentials", Value::from(login));
        }
    }
    state.set_attr(
        "repository_files",
        Value::object(Vec::<(String, Value)>::new()),
    );
    // Read right after import fills repository_files from git; the git cache is
    // created now so that a broken cache directory fails the import, not the read.
    data.git_cache.repo_cache().map_err(Diagnostics::from)?;
    Ok(state)
}

/// The install options a controller Deployment shows: its arguments (log level,
/// watched namespaces, cluster domain) and pod spec (tolerations, pull secret).
fn install_options(deployment: &Json) -> Vec<(&'static str, Value)> {
    let mut options = Vec::new();
    let pod = deployment.pointer("/spec/template/spec");
    let args: Vec<&str> = pod
        .and_then(|p| p.pointer("/containers/0/args"))
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let arg = |flag: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(flag).and_then(|v| v.strip_prefix('=')))
    };
    if let Some(level) = arg("--log-level") {
        options.push(("log_level", Value::from(level)));
    }
    if let Some(watch) = arg("--watch-all-namespaces").and_then(|v| v.parse::<bool>().ok()) {
        options.push(("watch_all_namespaces", Value::from(watch)));
    }
    // `<service>.$(RUNTIME_NAMESPACE).svc.<domain>.`, as the install writes it.
    let domain = arg("--storage-adv-addr")
        .or_else(|| arg("--events-addr"))
        .and_then(|a| a.split_once(".svc.").map(|(_, rest)| rest))
        .map(|rest| rest.trim_end_matches('/').trim_end_matches('.'))
        .filter(|d| !d.is_empty());
    if let Some(domain) = domain {
        options.push(("cluster_domain", Value::from(domain)));
    }
    let keys: Vec<Value> = pod
        .and_then(|p| p.get("tolerations"))
        .and_then(Json::as_array)
        .map(|t| {
            t.iter()
                .filter(|t| t.get("operator").and_then(Json::as_str) == Some("Exists"))
                .filter_map(|t| t.get("key").and_then(Json::as_str))
                .map(Value::from)
                .collect()
        })
        .unwrap_or_default();
    if !keys.is_empty() {
        options.push(("toleration_keys", Value::set(keys)));
    }
    if let Some(secret) = pod.and_then(|p| text(p, "/imagePullSecrets/0/name")) {
        options.push(("image_pull_secret", Value::from(secret)));
    }
    options
}

/// `user:password` of the pull Secret's entry for `registry` (or its only entry).
fn registry_login(secret: &Json, registry: &str) -> Option<String> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let encoded = text(secret, "/data/.dockerconfigjson")?;
    let config: Json = serde_json::from_slice(&engine.decode(encoded).ok()?).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let entry = match auths.get(registry) {
        Some(entry) => entry,
        None if auths.len() == 1 => auths.values().next()?,
        None => return None,
    };
    match (text(entry, "/username"), text(entry, "/password")) {
        (Some(user), Some(password)) => Some(format!("{user}:{password}")),
        _ => {
            let auth = engine.decode(text(entry, "/auth")?).ok()?;
            String::from_utf8(auth).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(args: &[&str], pod: Json) -> Json {
        let mut pod = pod;
        pod["containers"] = json!([{ "name": "manager", "args": args }]);
        json!({ "spec": { "template": { "spec": pod } } })
    }

    #[test]
    fn install_options_read_back_what_the_install_wrote() {
        let d = deployment(
            &[
                "--events-addr=http://notification-controller.$(RUNTIME_NAMESPACE).svc.example.org./",
                "--watch-all-namespaces=false",
                "--log-level=debug",
                "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.example.org.",
            ],
            json!({
                "tolerations": [
                    { "key": "gpu", "operator": "Exists" },
                    { "key": "other", "operator": "Equal", "value": "x" },
                ],
                "imagePullSecrets": [{ "name": "regcred" }],
            }),
        );
        let options: std::collections::BTreeMap<_, _> = install_options(&d).into_iter().collect();
        assert_eq!(options["log_level"], Value::from("debug"));
        assert_eq!(options["watch_all_namespaces"], Value::from(false));
        assert_eq!(options["cluster_domain"], Value::from("example.org"));
        assert_eq!(options["toleration_keys"], Value::set([Value::from("gpu")]));
        assert_eq!(options["image_pull_secret"], Value::from("regcred"));
    }

    #[test]
    fn install_options_of_a_default_install_are_the_defaults() {
        let d = deployment(
            &[
                "--events-addr=",
                "--watch-all-namespaces=true",
                "--log-level=info",
                "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
            ],
            json!({}),
        );
        let names: Vec<&str> = install_options(&d).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["log_level", "watch_all_namespaces", "cluster_domain"]
        );
    }

    #[test]
    fn registry_login_reads_the_pull_secret_the_install_writes() {
        let password = flux_core::Sensitive::new("pa:ss".to_string());
        let data = flux_core::cluster::image_pull_secret_data("ghcr.io/fluxcd", "robot", &password)
            .unwrap();
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(data.get(".dockerconfigjson").unwrap());
        let secret = json!({ "data": { ".dockerconfigjson": encoded } });
        assert_eq!(
            registry_login(&secret, "ghcr.io/fluxcd").as_deref(),
            Some("robot:pa:ss")
        );
        assert_eq!(
            registry_login(&secret, "elsewhere.io").as_deref(),
            Some("robot:pa:ss")
        );
        assert_eq!(registry_login(&json!({}), "ghcr.io/fluxcd"), None);
    }
}

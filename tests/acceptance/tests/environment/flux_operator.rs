//! The Flux Operator in the environment: with its CRDs applied it runs, installs
//! the built-in Flux release from the environment's copy of it (no network), and
//! the Flux controllers it installs then sync a git repository for real.

use std::path::PathBuf;
use std::time::Duration;

use acceptance::fixture::{env, repo, unique, var};
use acceptance::git::push_first_commit;
use acceptance::kube::configmap;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use serde_json::json;

use super::{apply_crds_from, client_from, poll, ready_condition, wait_for, FIELD_MANAGER};

/// The only namespace and name the operator reconciles a FluxInstance at.
const NAMESPACE: &str = "flux-system";
const INSTANCE: &str = "flux";

fn operator_crd_files() -> Vec<PathBuf> {
    let dir = acceptance::env::go_bin("crds/flux-operator").expect("HOME or FLUX_TEST_CACHE");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build the flux-operator target: tests/acceptance/env/build/go-servers.sh flux-operator)",
                dir.display()
            )
        })
        .map(|entry| entry.expect("crd file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn operator_api(client: &kube::Client, kind: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("fluxcd.controlplane.io", "v1", kind);
    Api::namespaced_with(client.clone(), NAMESPACE, &ApiResource::from_gvk(&gvk))
}

fn force_apply() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

#[tokio::test]
async fn environment_flux_operator_installs_flux_that_syncs_git_and_uninstalls_it() {
    let env = env();
    // A cluster of its own: the operator installs and removes Flux's CRDs, which
    // tests on the shared cluster rely on.
    let cluster = env.add_cluster("operator").expect("add cluster");
    let client = client_from(&cluster.kubeconfig).await;
    // First the namespace the operator is installed in: it writes its FluxReport
    // there as it starts.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}});
    namespaces
        .patch(NAMESPACE, &force_apply(), &Patch::Apply(namespace))
        .await
        .expect("apply namespace");
    for file in operator_crd_files() {
        apply_crds_from(&client, &file).await;
    }

    let cm_name = unique("from-git");
    let repo = repo("operator-sync", true);
    let manifest = configmap("default", &cm_name, "synced-by-operator-flux");
    push_first_commit(
        &repo.http,
        &[("clusters/test/configmap.yaml", manifest.as_str())],
    );

    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "git-auth", "namespace": NAMESPACE},
        "stringData": {
            "username": var("FLUX_TEST_GIT_USERNAME"),
            "password": var("FLUX_TEST_GIT_PASSWORD"),
        },
    });
    secrets
        .patch("git-auth", &force_apply(), &Patch::Apply(secret))
        .await
        .expect("apply git credentials");
    let instances = operator_api(&client, "FluxInstance");
    let instance = json!({
        "apiVersion": "fluxcd.controlplane.io/v1", "kind": "FluxInstance",
        "metadata": {"name": INSTANCE, "namespace": NAMESPACE},
        "spec": {
            "distribution": {"version": "2.9.x", "registry": "ghcr.io/fluxcd"},
            "components": ["source-controller", "kustomize-controller"],
            "sync": {
                "kind": "GitRepository", "url": repo.http, "ref": "refs/heads/main",
                "path": "clusters/test", "pullSecret": "git-auth", "interval": "1m",
            },
        },
    });
    instances
        .patch(INSTANCE, &force_apply(), &Patch::Apply(instance))
        .await
        .expect("apply FluxInstance");

    let ready = poll(Duration::from_secs(300), || {
        let instances = instances.clone();
        async move {
            let fi = instances.get(INSTANCE).await.ok()?;
            (ready_condition(&fi)?.0 == "True").then_some(fi)
        }
    })
    .await;
    let Some(ready) = ready else {
        let fi = instances.get(INSTANCE).await.ok();
        panic!(
            "FluxInstance not Ready=True within 300s: {:?} (operator log: {}/logs/flux-operator-flux-operator.log)",
            fi.as_ref().and_then(ready_condition),
            env.get_state_dir().unwrap_or_default().display()
        );
    };
    let revision = ready.data["status"]["lastAppliedRevision"]
        .as_str()
        .unwrap_or_default();
    assert!(
        revision.starts_with("v2.9.4@sha256:"),
        "lastAppliedRevision {revision:?} is not the built-in release"
    );
    let components: Vec<&str> = ready.data["status"]["components"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(components, ["source-controller", "kustomize-controller"]);

    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm = wait_for(
        Duration::from_secs(180),
        "ConfigMap from git applied by kustomize-controller",
        || {
            let configmaps = configmaps.clone();
            let cm_name = cm_name.clone();
            async move { configmaps.get(&cm_name).await.ok() }
        },
    )
    .await;
    assert_eq!(
        cm.data.and_then(|d| d.get("value").cloned()).as_deref(),
        Some("synced-by-operator-flux")
    );
    let kustomizations = Api::<DynamicObject>::namespaced_with(
        client.clone(),
        NAMESPACE,
        &ApiResource::from_gvk(&GroupVersionKind::gvk(
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization",
        )),
    );
    let sync = kustomizations
        .get(NAMESPACE)
        .await
        .expect("the sync Kustomization the operator applied");
    assert_eq!(
        sync.data["spec"]["sourceRef"]["kind"].as_str(),
        Some("GitRepository")
    );

    let reports = operator_api(&client, "FluxReport");
    let version = wait_for(
        Duration::from_secs(120),
        "FluxReport naming the installed version",
        || {
            let reports = reports.clone();
            async move {
                let report = reports.get(INSTANCE).await.ok()?;
                report.data["spec"]["distribution"]["version"]
                    .as_str()
                    .map(str::to_owned)
            }
        },
    )
    .await;
    assert_eq!(version, "v2.9.4");

    instances
        .delete(INSTANCE, &DeleteParams::default())
        .await
        .expect("delete FluxInstance");
    wait_for(
        Duration::from_secs(300),
        "FluxInstance uninstalled and gone",
        || {
            let instances = instances.clone();
            async move { matches!(instances.get_opt(INSTANCE).await, Ok(None)).then_some(()) }
        },
    )
    .await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    for name in ["source-controller", "kustomize-controller"] {
        assert!(
            deployments.get_opt(name).await.expect("get").is_none(),
            "Deployment {name} left after the uninstall"
        );
    }
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for name in [
        "gitrepositories.source.toolkit.fluxcd.io",
        "kustomizations.kustomize.toolkit.fluxcd.io",
    ] {
        assert!(
            crds.get_opt(name).await.expect("get").is_none(),
            "CRD {name} left after the uninstall"
        );
    }
    // Kept: the namespace is marked not to prune, and the operator strips the
    // Flux finalizers first, so what Flux applied is not garbage-collected.
    assert!(namespaces.get_opt(NAMESPACE).await.expect("get").is_some());
    assert!(configmaps.get_opt(&cm_name).await.expect("get").is_some());
}

//! Evidence that the test environment is the real thing: the git server, the
//! kube-apiserver, kube-controller-manager and the Flux controllers work together
//! the way they do for a user.
// Helpers here are test code too: let clippy's allow-*-in-tests cover them.
#![cfg(test)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use acceptance::fixture::{env, unique};
use acceptance::git::push_first_commit;
use acceptance::kube::{configmap, flux_manifest};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use serde_json::{json, Value};

// Its own file: the operator's test is long, and this one near the size limit.
mod flux_operator;

const FIELD_MANAGER: &str = "flux-acceptance-env";

async fn client_from(kubeconfig: &Path) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("read kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kube config");
    kube::Client::try_from(config).expect("kube client")
}

/// Applies the CustomResourceDefinitions of one fixture file and waits until
/// each is Established.
async fn apply_crds(client: &kube::Client, file: &str) {
    apply_crds_from(client, &flux_manifest(file)).await;
}

/// Applies the CustomResourceDefinitions of one YAML file and waits until each
/// is Established.
async fn apply_crds_from(client: &kube::Client, path: &Path) {
    let file = path.display();
    let text = std::fs::read_to_string(path).expect("read fixture");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("parse fixture yaml");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for doc in docs
        .into_iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
    {
        let crd: CustomResourceDefinition = serde_json::from_value(doc).expect("crd");
        let name = crd.metadata.name.clone().expect("crd name");
        crds.patch(&name, &pp, &Patch::Apply(&crd))
            .await
            .expect("apply crd");
        names.push(name);
    }
    assert!(!names.is_empty(), "{file} has no CRDs");
    for name in names {
        wait_for(
            Duration::from_secs(30),
            &format!("CRD {name} established"),
            || {
                let crds = crds.clone();
                let name = name.clone();
                async move {
                    let crd = crds.get(&name).await.ok()?;
                    let established = crd
                        .status?
                        .conditions?
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True");
                    established.then_some(())
                }
            },
        )
        .await;
    }
}

/// Polls `check` until it returns a value; `None` when `timeout` passed first.
async fn poll<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    poll(timeout, check)
        .await
        .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
}

fn dynamic_api(client: &kube::Client, ns: &str, group: &str, kind: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(group, "v1", kind);
    Api::namespaced_with(client.clone(), ns, &ApiResource::from_gvk(&gvk))
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).expect("ns");
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

fn ready_condition(obj: &DynamicObject) -> Option<(String, String)> {
    obj.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_owned(),
                c["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
}

#[tokio::test]
#[expect(
    clippy::await_holding_lock,
    reason = "the turn is held for the whole test on purpose; each test has its own single-threaded runtime"
)]
async fn environment_configmap_pushed_to_git_is_applied_by_real_flux_controllers() {
    // Needs the Flux CRDs it applies to stay while it runs (see cluster_turn).
    let _turn = acceptance::env::cluster_turn();
    let env = env();
    let client = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    let ns = unique("env-evidence");
    let ns = ns.as_str();
    let repo = env.create_repo(ns, true).expect("create repository");
    let manifest = configmap(ns, "pushed", "from-git");
    let commit = push_first_commit(&repo.http, &[("deploy/configmap.yaml", &manifest)]);

    apply_crds(&client, "source-controller.yaml").await;
    apply_crds(&client, "kustomize-controller.yaml").await;
    create_namespace(&client, ns).await;

    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "git-auth", "namespace": ns},
        "stringData": {
            "username": env.get_var("FLUX_TEST_GIT_USERNAME").expect("username"),
            "password": env.get_var("FLUX_TEST_GIT_PASSWORD").expect("password"),
        },
    });
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), ns);
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(secret).expect("secret"),
        )
        .await
        .expect("create secret");

    let pp = PatchParams::apply(FIELD_MANAGER);
    let git_repos = dynamic_api(&client, ns, "source.toolkit.fluxcd.io", "GitRepository");
    let git_repo: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "evidence", "namespace": ns},
        "spec": {
            "url": repo.http, "interval": "1m", "timeout": "30s",
            "ref": {"branch": "main"}, "secretRef": {"name": "git-auth"},
        },
    }))
    .expect("gitrepository");
    git_repos
        .patch("evidence", &pp, &Patch::Apply(&git_repo))
        .await
        .expect("apply GitRepository");

    let kustomizations = dynamic_api(&client, ns, "kustomize.toolkit.fluxcd.io", "Kustomization");
    let kustomization: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "evidence", "namespace": ns},
        "spec": {
            "interval": "1m", "path": "./deploy", "prune": true, "timeout": "1m",
            "sourceRef": {"kind": "GitRepository", "name": "evidence"},
        },
    }))
    .expect("kustomization");
    kustomizations
        .patch("evidence", &pp, &Patch::Apply(&kustomization))
        .await
        .expect("apply Kustomization");

    let revision = format!("main@sha1:{commit}");
    let applied = poll(Duration::from_secs(240), || {
        let kustomizations = kustomizations.clone();
        let revision = revision.clone();
        async move {
            let k = kustomizations.get("evidence").await.ok()?;
            let at = k.data["status"]["lastAppliedRevision"].as_str()?.to_owned();
            (ready_condition(&k)?.0 == "True" && at == revision).then_some(at)
        }
    })
    .await;
    if applied.is_none() {
        let source = git_repos.get("evidence").await.ok();
        let kustomization = kustomizations.get("evidence").await.ok();
        panic!(
            "Kustomization not Ready=True at {revision} within 240s; GitRepository Ready: {:?}; Kustomization Ready: {:?}",
            source.as_ref().and_then(ready_condition),
            kustomization.as_ref().and_then(ready_condition),
        );
    }
    assert_eq!(applied.as_deref(), Some(revision.as_str()));

    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm = configmaps
        .get("pushed")
        .await
        .expect("ConfigMap applied from git");
    assert_eq!(
        cm.data.and_then(|d| d.get("value").cloned()).as_deref(),
        Some("from-git")
    );
}

#[tokio::test]
async fn environment_deployment_created_is_marked_available() {
    let env = env();
    let client = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    let ns = unique("env-deployment");
    let ns = ns.as_str();
    create_namespace(&client, ns).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let dep: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "inert"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "inert"}},
            "template": {
                "metadata": {"labels": {"app": "inert"}},
                "spec": {"containers": [{"name": "c", "image": "example.invalid/none:1"}]},
            },
        },
    }))
    .expect("deployment");
    deployments
        .create(&PostParams::default(), &dep)
        .await
        .expect("create deployment");
    // The replica counts the environment reported, once it marked the Deployment
    // Available at its generation (wait_for fails the test if that never happens).
    let replicas = wait_for(Duration::from_secs(20), "Deployment available", || {
        let deployments = deployments.clone();
        async move {
            let d = deployments.get("inert").await.ok()?;
            let status = d.status?;
            let available = status.observed_generation == d.metadata.generation
                && status.conditions?.iter().any(|c| {
                    c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("True")
                });
            available.then_some((status.available_replicas, status.ready_replicas))
        }
    })
    .await;
    assert_eq!(replicas, (Some(2), Some(2)));
}

#[tokio::test]
async fn environment_namespace_deleted_is_finalized_by_controller_manager() {
    let env = env();
    let client = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    let ns = unique("env-namespace-gone");
    let ns = ns.as_str();
    create_namespace(&client, ns).await;
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "content"}})).expect("cm");
    configmaps
        .create(&PostParams::default(), &cm)
        .await
        .expect("create configmap");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete(ns, &DeleteParams::default())
        .await
        .expect("delete namespace");
    wait_for(Duration::from_secs(60), "namespace removed", || {
        let namespaces = namespaces.clone();
        async move {
            match namespaces.get_opt(ns).await {
                Ok(None) => Some(()),
                _ => None,
            }
        }
    })
    .await;
}

#[tokio::test]
async fn environment_token_kubeconfig_is_admin() {
    let env = env();
    let path = env
        .get_var("FLUX_TEST_KUBECONFIG_TOKEN")
        .expect("token kubeconfig");
    let client = client_from(Path::new(path)).await;
    let namespaces: Api<Namespace> = Api::all(client);
    let list = namespaces
        .list(&Default::default())
        .await
        .expect("list namespaces with the bearer token");
    assert!(list
        .items
        .iter()
        .any(|n| n.metadata.name.as_deref() == Some("kube-system")));
}

#[tokio::test]
async fn environment_added_cluster_has_its_own_objects() {
    let env = env();
    let second = env.add_cluster("second").expect("add cluster");
    assert_ne!(
        Some(second.host.as_str()),
        env.find_var("FLUX_TEST_KUBE_HOST")
    );
    let first = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    let other = client_from(&second.kubeconfig).await;
    let ns = unique("env-second-only");
    create_namespace(&other, &ns).await;
    let in_first: Api<Namespace> = Api::all(first);
    let in_second: Api<Namespace> = Api::all(other);
    assert!(in_second.get_opt(&ns).await.expect("get").is_some());
    assert!(in_first.get_opt(&ns).await.expect("get").is_none());
}

/// Applies a GitRepository for `url` authenticated by a new Secret holding
/// `secret_data`, and waits for Ready=True; returns the stored revision.
async fn reconcile_git_source(
    client: &kube::Client,
    ns: &str,
    name: &str,
    url: &str,
    secret_data: Value,
) -> String {
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), ns);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "stringData": secret_data,
    });
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(secret).expect("secret"),
        )
        .await
        .expect("create secret");
    let git_repos = dynamic_api(client, ns, "source.toolkit.fluxcd.io", "GitRepository");
    let git_repo: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "url": url, "interval": "1m", "timeout": "30s",
            "ref": {"branch": "main"}, "secretRef": {"name": name},
        },
    }))
    .expect("gitrepository");
    git_repos
        .patch(
            name,
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&git_repo),
        )
        .await
        .expect("apply GitRepository");
    let revision = poll(Duration::from_secs(120), || {
        let git_repos = git_repos.clone();
        async move {
            let g = git_repos.get(name).await.ok()?;
            let revision = g.data["status"]["artifact"]["revision"]
                .as_str()?
                .to_owned();
            (ready_condition(&g)?.0 == "True").then_some(revision)
        }
    })
    .await;
    match revision {
        Some(r) => r,
        None => panic!(
            "GitRepository {name} ({url}) not Ready=True within 120s: {:?}",
            git_repos
                .get(name)
                .await
                .ok()
                .as_ref()
                .and_then(ready_condition)
        ),
    }
}

#[tokio::test]
#[expect(
    clippy::await_holding_lock,
    reason = "the turn is held for the whole test on purpose; each test has its own single-threaded runtime"
)]
async fn environment_gitrepository_over_https_and_ssh_is_ready() {
    // Needs the Flux CRDs it applies to stay while it runs (see cluster_turn).
    let _turn = acceptance::env::cluster_turn();
    let env = env();
    let client = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    let ns = unique("env-git-protocols");
    let repo = env
        .create_repo(&ns, false)
        .expect("create seeded repository");
    apply_crds(&client, "source-controller.yaml").await;
    create_namespace(&client, &ns).await;
    let read = |var: &str| {
        std::fs::read_to_string(env.get_var(var).expect("file variable")).expect("read file")
    };
    let https = reconcile_git_source(
        &client,
        &ns,
        "over-https",
        &repo.https,
        json!({
            "username": env.get_var("FLUX_TEST_GIT_USERNAME").expect("username"),
            "password": env.get_var("FLUX_TEST_GIT_PASSWORD").expect("password"),
            "ca.crt": read("FLUX_TEST_GIT_CA_FILE"),
        }),
    )
    .await;
    let ssh = reconcile_git_source(
        &client,
        &ns,
        "over-ssh",
        &repo.ssh,
        json!({
            "identity": read("FLUX_TEST_SSH_KEY_FILE"),
            "known_hosts": read("FLUX_TEST_SSH_KNOWN_HOSTS_FILE"),
        }),
    )
    .await;
    assert!(https.starts_with("main@sha1:"), "{https}");
    assert_eq!(https, ssh, "both protocols serve the same commit");
}

/// The built-in release's directory (`core/flux-manifests/<version>`).
fn release_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../core/flux-manifests");
    let version = std::fs::read_to_string(root.join("VERSION")).expect("VERSION");
    root.join(version.trim())
}

/// `<controller>` → the tag the built-in release pins (flux2's base kustomizations).
fn pinned_tags() -> Vec<(String, String)> {
    let mut pins = Vec::new();
    for entry in std::fs::read_dir(release_dir().join("pins")).expect("pins") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("pin");
        let url = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("- https://github.com/fluxcd/"))
            .expect("a release asset URL");
        let parts: Vec<&str> = url.split('/').collect();
        pins.push((parts[0].to_string(), parts[3].to_string()));
    }
    pins.sort();
    pins
}

/// The environment runs the Flux users get: each controller the environment runs
/// was built at the tag the built-in release pins, and the image controllers start
/// once their CRDs exist, as the others do.
#[tokio::test]
#[expect(
    clippy::await_holding_lock,
    reason = "the turn is held for the whole test on purpose; each test has its own single-threaded runtime"
)]
async fn environment_runs_every_flux_controller_at_the_tag_flux_pins() {
    let _turn = acceptance::env::cluster_turn();
    let env = env();
    let run = [
        "source-controller",
        "kustomize-controller",
        "helm-controller",
        "notification-controller",
        "image-reflector-controller",
        "image-automation-controller",
    ];
    let pins = pinned_tags();
    for controller in run {
        let (_, tag) = pins
            .iter()
            .find(|(c, _)| c == controller)
            .unwrap_or_else(|| panic!("{controller} is not pinned by the release"));
        let marker = acceptance::env::go_bin(&format!(".done-{controller}-{tag}")).expect("HOME");
        assert!(
            marker.exists(),
            "{controller} was not built at {tag}: no {}",
            marker.display()
        );
    }

    let client = client_from(&env.get_kubeconfig().expect("kubeconfig")).await;
    apply_crds(&client, "source-controller.yaml").await;
    apply_crds(&client, "image-reflector-controller.yaml").await;
    apply_crds(&client, "image-automation-controller.yaml").await;
    let status_file = env
        .get_state_dir()
        .expect("state dir")
        .join("clusters/default/flux/status.json");
    wait_for(
        Duration::from_secs(60),
        "the image controllers to run",
        || {
            let status_file = status_file.clone();
            async move {
                let text = std::fs::read_to_string(&status_file).ok()?;
                let status: Value = serde_json::from_str(&text).ok()?;
                ["image-reflector-controller", "image-automation-controller"]
                    .iter()
                    .all(|c| status[c].as_str().is_some_and(|s| s.starts_with("running")))
                    .then_some(())
            }
        },
    )
    .await;
}

//! The hand-over from `flux_bootstrap_git` to `flux_operator` + `flux_instance`, step
//! by step as "Flux Operator or bootstrap: which to choose" tells a user to do it, on a
//! cluster of its own: the bootstrap leaves Terraform's state without being destroyed
//! (a `removed` block), the operator takes over the running Flux and its sync objects
//! from a FluxInstance syncing the same repository path (applied to the cluster, not
//! committed: the bootstrap's Flux would apply it only on its next sync), then the
//! bootstrap's files leave git. Nothing Flux applied before is deleted on the way: not Flux itself, its
//! CRDs or namespace, nor what it synced from the repository.

use std::time::Duration;

use acceptance::fixture::{env, repo, unique};
use acceptance::git::{clone, git, push_first_commit, remove_files};
use acceptance::hcl::{bootstrap_resource, git_http, hcl, provider_with};
use acceptance::kube::{
    configmap, jsonpath_at, kubectl_at, namespace_phase_at, object_exists, request_root_fetch_at,
};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

const PATH: &str = "clusters/handover";

/// What the bootstrap committed under `PATH`, removed from git once the operator runs
/// Flux (the guide's last step).
const BOOTSTRAP_FILES: [&str; 3] = [
    "clusters/handover/flux-system/gotk-components.yaml",
    "clusters/handover/flux-system/gotk-sync.yaml",
    "clusters/handover/flux-system/kustomization.yaml",
];

/// The operator and an instance equivalent to the bootstrap: the same components, the
/// same repository, branch and path, and the credentials Secret the bootstrap wrote.
fn operator_config(url: &str) -> String {
    format!(
        r#"removed {{
  from = flux_bootstrap_git.this
  lifecycle {{
    destroy = false
  }}
}}

resource "flux_operator" "this" {{
  remove_instances_on_destroy = true
}}

resource "flux_instance" "this" {{
  namespace = flux_operator.this.namespace
  distribution = {{
    version  = "2.9.x"
    registry = "ghcr.io/fluxcd"
  }}
  components = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"]
  sync = {{
    kind        = "GitRepository"
    url         = {url}
    ref         = "refs/heads/main"
    path        = "{PATH}"
    pull_secret = "flux-system"
  }}
  delivery     = "cluster"
  wait_timeout = "5m"
}}
"#,
        url = hcl(url),
    )
}

/// The objects whose loss would break the cluster: Flux's CRDs, controllers and
/// namespace, and what Flux applied from the repository.
fn assert_nothing_deleted(kubeconfig: &str, configmap_name: &str, when: &str) {
    let exists = |args: &[&str]| object_exists(kubeconfig, args);
    let mut objects: Vec<Vec<&str>> = vec![
        vec!["-n", "default", "configmap", configmap_name],
        vec!["crd", "gitrepositories.source.toolkit.fluxcd.io"],
        vec!["crd", "kustomizations.kustomize.toolkit.fluxcd.io"],
        vec!["crd", "helmreleases.helm.toolkit.fluxcd.io"],
    ];
    for controller in [
        "source-controller",
        "kustomize-controller",
        "helm-controller",
        "notification-controller",
    ] {
        objects.push(vec!["-n", "flux-system", "deployment", controller]);
    }
    for object in &objects {
        assert!(exists(object), "{object:?} is gone {when}");
    }
    let phase = namespace_phase_at(kubeconfig, "flux-system");
    assert_eq!(
        phase.as_deref(),
        Some("Active"),
        "the flux-system namespace {when}"
    );
}

fn branch_head(url: &str) -> String {
    let checkout = clone(url);
    git(checkout.path(), &["rev-parse", "HEAD"])
}

#[test]
fn operator_takes_over_a_git_bootstrap_without_deleting_what_flux_applied() {
    let tf = Terraform::latest();
    let cluster = env()
        .add_cluster("handover")
        .unwrap_or_else(|e| panic!("add cluster: {e}"));
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let urls = repo("handover", true);
    let name = unique("applied-before");
    let manifest = configmap("default", &name, "applied-by-the-bootstrapped-flux");
    push_first_commit(&urls.http, &[(&format!("{PATH}/app.yaml"), &manifest)]);

    let provider = provider_with(Some(&kubeconfig), Some(&git_http(&urls.http)));
    let bootstrap = bootstrap_resource(&tf, &format!("  path = \"{PATH}\""));
    let wd = tf.workdir("handover", &format!("{provider}{bootstrap}"));
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_nothing_deleted(&kubeconfig, &name, "after the bootstrap");

    // Step 1: the bootstrap leaves the state, the operator and instance come in.
    let synced_url = jsonpath_at(
        &kubeconfig,
        "gitrepository",
        "flux-system",
        "flux-system",
        "{.spec.url}",
    )
    .unwrap_or_else(|| panic!("the bootstrap left no GitRepository flux-system"));
    wd.write_main(&format!("{provider}{}", operator_config(&synced_url)));
    let plan = wd.plan_detailed();
    let text = plan.all();
    assert!(
        text.contains("2 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.report()
    );
    assert!(
        text.contains("will no longer be managed by Terraform"),
        "{}",
        plan.report()
    );
    wd.apply().success();
    assert_nothing_deleted(&kubeconfig, &name, "once the operator took over");
    assert_plan_empty(&wd);
    // What makes the last step safe: the operator applied Flux's objects again, without
    // the ownership labels by which kustomize-controller would prune them.
    for object in [
        ["namespace", "flux-system"],
        ["crd", "gitrepositories.source.toolkit.fluxcd.io"],
    ] {
        let owner = kubectl_at(
            &kubeconfig,
            &[
                "get",
                object[0],
                object[1],
                "-o",
                "jsonpath={.metadata.labels.kustomize\\.toolkit\\.fluxcd\\.io/name}",
            ],
        );
        assert_eq!(owner, "", "{object:?} is still kustomize-controller's");
    }

    // Step 2: the bootstrap's files leave git; Flux, now the operator's, syncs that.
    remove_files(
        &urls.http,
        "Remove the bootstrap's manifests: the Flux Operator manages Flux",
        &BOOTSTRAP_FILES,
    );
    let head = branch_head(&urls.http);
    request_root_fetch_at(&kubeconfig);
    let applied = || {
        jsonpath_at(
            &kubeconfig,
            "kustomization",
            "flux-system",
            "flux-system",
            "{.status.lastAppliedRevision}",
        )
        .unwrap_or_default()
    };
    wait_until(
        Duration::from_secs(180),
        &format!(
            "the root Kustomization to apply {head}, the commit without the bootstrap's files"
        ),
        || applied().ends_with(&head),
    );
    assert_nothing_deleted(&kubeconfig, &name, "after the bootstrap's files left git");
    assert_plan_empty(&wd);

    // The operator's destroy removes the Flux it runs: the hand-over left it in charge.
    wd.destroy().success();
    wait_until(
        Duration::from_secs(180),
        "Flux's controllers to be removed by the operator",
        || {
            !object_exists(
                &kubeconfig,
                &["-n", "flux-system", "deployment", "source-controller"],
            )
        },
    );
}

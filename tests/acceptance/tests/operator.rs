//! `flux_operator` and `flux_instance` on a cluster of their own (the operator removes
//! Flux's CRDs when its instance goes, which the shared cluster's tests rely on): the
//! operator installed from the provider's built-in manifests (the environment runs the
//! operator binary once its CRDs are Established, see tests/acceptance/env/README.md),
//! a FluxInstance whose Flux syncs a repository of the environment, a change made by hand
//! to the instance or to the Flux it installed shown in the plan and repaired, the state lost and imported, and a destroy that leaves
//! the cluster clean.
#![expect(
    clippy::panic,
    reason = "a step of the shared lifecycle that cannot run fails the calling test"
)]

use std::time::Duration;

use acceptance::fixture::{env, repo, unique, var};
use acceptance::git::push_first_commit;
use acceptance::hcl::{hcl, provider_with, UNUSED_GIT};
use acceptance::kube::{
    configmap, hold_deletion_at, kubectl_at, namespace_phase_at, object_exists,
};
use acceptance::plan::{
    assert_diagnostics_located, assert_plan_empty, assert_plan_shows, DestroyOnPanic,
};
use acceptance::poll::wait_until;
use acceptance::terraform::{Terraform, Workdir};

/// Terraform 1.0.3 crashes when a provider's single nested attribute is left out, so
/// there the provider gets a `git` it never uses and the instance's delivery is set.
fn config(tf: &Terraform, kubeconfig: &str, url: &str) -> String {
    let (git, delivery) = if tf.is_legacy() {
        (Some(UNUSED_GIT), "  delivery = \"cluster\"\n")
    } else {
        (None, "")
    };
    format!(
        r#"{provider}
resource "flux_operator" "this" {{
  remove_instances_on_destroy = true
}}

resource "flux_instance" "this" {{
  namespace = flux_operator.this.namespace
  distribution = {{
    version  = "2.9.x"
    registry = "ghcr.io/fluxcd"
  }}
  components = ["source-controller", "kustomize-controller"]
  sync = {{
    kind     = "GitRepository"
    url      = {url}
    ref      = "refs/heads/main"
    path     = "clusters/op"
    interval = "1m"
  }}
  wait_timeout = "5m"
{delivery}}}
"#,
        provider = provider_with(Some(kubeconfig), git),
        url = hcl(url),
    )
}

#[test]
fn operator_installs_flux_from_an_instance_that_syncs_git_and_destroys_cleanly() {
    lifecycle(&Terraform::latest(), "operator-tf");
}

/// The same lifecycle under OpenTofu, on a cluster of its own.
#[test]
fn operator_lifecycle_under_opentofu() {
    lifecycle(&Terraform::tofu(), "operator-tofu");
}

/// The same lifecycle under Terraform 1.0.3, whose configurations may leave out the
/// instance's optional objects (`cluster`, `storage`, ...) as on newer versions.
#[test]
fn operator_lifecycle_under_terraform_1_0_3() {
    lifecycle(&Terraform::legacy(), "operator-legacy");
}

fn lifecycle(tf: &Terraform, cluster_name: &str) {
    let cluster = env()
        .add_cluster(cluster_name)
        .unwrap_or_else(|e| panic!("add cluster: {e}"));
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let urls = repo(cluster_name, true);
    let name = unique("from-instance");
    let manifest = configmap("default", &name, "synced-by-the-operator's-flux");
    push_first_commit(&urls.http, &[("clusters/op/configmap.yaml", &manifest)]);
    let anonymous = urls.http.replace(
        &var("FLUX_TEST_GIT_HTTP_URL"),
        &var("FLUX_TEST_GIT_HTTP_ANON_URL"),
    );
    let wd = tf.workdir(cluster_name, &config(tf, &kubeconfig, &anonymous));
    let _cleanup = DestroyOnPanic(&wd);

    let out = wd.apply().success();
    assert!(out.all().contains("2 added"), "{}", out.report());
    let exists = |args: &[&str]| object_exists(&kubeconfig, args);
    wait_until(
        Duration::from_secs(180),
        "the ConfigMap from git, applied by the Flux the operator installed",
        || exists(&["-n", "default", "configmap", &name]),
    );
    let revision = kubectl_at(
        &kubeconfig,
        &[
            "-n",
            "flux-system",
            "get",
            "fluxinstance",
            "flux",
            "-o",
            "jsonpath={.status.lastAppliedRevision}",
        ],
    );
    assert!(revision.starts_with("v2.9.4@sha256:"), "{revision}");
    assert_plan_empty(&wd);

    kubectl_at(
        &kubeconfig,
        &[
            "-n",
            "flux-system",
            "patch",
            "fluxinstance",
            "flux",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"distribution":{"version":"2.9.4"},"components":["source-controller","kustomize-controller","helm-controller"]}}"#,
        ],
    );
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    for change in ["\"2.9.4\" -> \"2.9.x\"", "\"helm-controller\""] {
        assert!(
            plan.all().contains(change),
            "no {change}:\n{}",
            plan.report()
        );
    }
    wd.apply().success();
    assert_plan_empty(&wd);

    // Flux itself changed by hand, its instance untouched: the plan shows it against
    // what the operator reports it installed, and the apply has the operator repair it.
    let flux_system = |args: &[&str]| {
        let mut all = vec!["-n", "flux-system"];
        all.extend_from_slice(args);
        kubectl_at(&kubeconfig, &all)
    };
    let image_path = "jsonpath={.spec.template.spec.containers[0].image}";
    let installed_image =
        flux_system(&["get", "deployment", "source-controller", "-o", image_path]);
    flux_system(&[
        "patch",
        "deployment",
        "source-controller",
        "--type",
        "json",
        "-p",
        r#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"example.invalid/source-controller:v0"}]"#,
    ]);
    flux_system(&["delete", "deployment", "kustomize-controller"]);
    assert_plan_shows(
        &wd,
        &[
            "cluster_drift",
            "source-controller: Deployment flux-system/source-controller runs example.invalid/source-controller:v0, the operator installed",
            "kustomize-controller: Deployment flux-system/kustomize-controller is missing",
        ],
    );
    wd.apply().success();
    assert_eq!(
        flux_system(&["get", "deployment", "source-controller", "-o", image_path]),
        installed_image
    );
    assert!(exists(&[
        "-n",
        "flux-system",
        "deployment",
        "kustomize-controller"
    ]));
    assert_plan_empty(&wd);

    // The operator's status names a component it does not run, as one of its
    // reconciliations that overlapped a change of the instance can leave it. An apply
    // whose plan was made without a refresh (so without that finding) asks the
    // operator to reconcile once, which rewrites its status, rather than failing.
    flux_system(&[
        "patch",
        "fluxinstance",
        "flux",
        "--subresource=status",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/status/components/-","value":{"name":"helm-controller","repository":"ghcr.io/fluxcd/helm-controller","tag":"v0.0.0"}}]"#,
    ]);
    let components = "jsonpath={.status.components[*].name}";
    assert!(
        flux_system(&["get", "fluxinstance", "flux", "-o", components]).contains("helm-controller")
    );
    let main_tf = config(tf, &kubeconfig, &anonymous);
    wd.write_main(&main_tf.replace("wait_timeout = \"5m\"", "wait_timeout = \"6m\""));
    wd.run(&["apply", "-auto-approve", "-refresh=false"])
        .success();
    assert!(
        !flux_system(&["get", "fluxinstance", "flux", "-o", components])
            .contains("helm-controller")
    );
    wd.write_main(&main_tf);

    // The state lost: both come back by import. The operator's own destroy setting is
    // not in the cluster, so the plan after the import shows it alone.
    std::fs::remove_file(wd.path().join("terraform.tfstate")).unwrap_or_else(|e| panic!("{e}"));
    wd.run(&["import", "flux_operator.this", "flux-system"])
        .success();
    wd.run(&["import", "flux_instance.this", "flux-system/flux"])
        .success();
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    let text = plan.all();
    let changed: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("~ ") && l.contains(" = "))
        .collect();
    assert_eq!(changed.len(), 1, "{}", plan.report());
    assert!(
        changed[0].starts_with("~ remove_instances_on_destroy"),
        "{}",
        plan.report()
    );
    wd.apply().success();
    assert_plan_empty(&wd);

    // Deletions are requested in the background (as `kubectl delete --wait=false`):
    // the CRDs and the namespace finish terminating after the destroy returns. Under
    // the newest Terraform, a finalizer holds the namespace in that state, and an
    // apply made then waits until it is gone instead of failing on it.
    let hold_namespace = !tf.is_legacy() && !tf.is_tofu();
    if hold_namespace {
        hold_deletion_at(&kubeconfig, "namespace", "flux-system", true);
    }
    wd.destroy().success();
    if hold_namespace {
        reinstall_while_terminating(&wd, &kubeconfig);
        wd.destroy().success();
    }
    assert!(!exists(&[
        "clusterrolebinding",
        "flux-operator-cluster-admin"
    ]));
    assert!(!exists(&[
        "-n",
        "flux-system",
        "deployment",
        "flux-operator"
    ]));
    for object in [
        ["crd", "fluxinstances.fluxcd.controlplane.io"],
        ["crd", "gitrepositories.source.toolkit.fluxcd.io"],
        ["namespace", "flux-system"],
    ] {
        wait_until(
            Duration::from_secs(180),
            &format!("{object:?} to be gone"),
            || !exists(&object),
        );
    }
}

/// Applies while the operator's namespace is held terminating, then releases it: the
/// apply is still waiting after several seconds and succeeds once it is gone.
fn reinstall_while_terminating(wd: &Workdir, kubeconfig: &str) {
    let phase = namespace_phase_at(kubeconfig, "flux-system");
    assert_eq!(phase.as_deref(), Some("Terminating"));
    let mut apply = wd.spawn(&["apply", "-auto-approve"]);
    std::thread::sleep(Duration::from_secs(10));
    assert!(
        apply.is_running(),
        "the apply ended while the namespace was terminating:\n{}",
        apply.wait(Duration::ZERO).report()
    );
    hold_deletion_at(kubeconfig, "namespace", "flux-system", false);
    let out = apply.wait(Duration::from_secs(300)).success();
    assert!(out.all().contains("2 added"), "{}", out.report());
    assert_plan_empty(wd);
}

/// Bad values of both resources fail at plan, each at its attribute, under Terraform
/// and OpenTofu, before anything is written to the cluster.
#[test]
fn operator_and_instance_bad_values_fail_at_plan_naming_the_attribute() {
    let main = format!(
        r#"{provider}
resource "flux_operator" "bad" {{
  namespace = "Flux"
  registry  = "ghcr.io/mirror/"
}}

resource "flux_instance" "bad" {{
  name = "main"
  distribution = {{
    version  = "two"
    registry = "ghcr.io/fluxcd"
  }}
  components = ["source-controller", "flagger"]
  sync = {{
    kind     = "GitRepository"
    url      = "https://example.com/fleet.git"
    ref      = "refs/heads/main"
    path     = "clusters/a"
    provider = "gcp"
  }}
  delivery = "cluster"
}}
"#,
        provider = provider_with(Some(&var("KUBECONFIG")), None),
    );
    for tf in [Terraform::latest(), Terraform::tofu()] {
        let text = tf
            .workdir("operator-invalid", &main)
            .plan()
            .failure()
            .flat();
        // OpenTofu (1.12.6) shows an attribute nested in an object at its resource
        // block, where Terraform shows the attribute's own line.
        let nested_at = |line: &'static str| {
            if tf.is_tofu() {
                "resource \"flux_instance\" \"bad\""
            } else {
                line
            }
        };
        assert_diagnostics_located(
            &text,
            &[
                ("must be an RFC 1123 label", "namespace = \"Flux\""),
                ("without a trailing `/`", "registry = \"ghcr.io/mirror/\""),
                ("\"flux\"", "name = \"main\""),
                (
                    "\"two\" is not a semver range",
                    nested_at("version = \"two\""),
                ),
                (
                    "\"flagger\" must be one of",
                    "components = [\"source-controller\", \"flagger\"]",
                ),
                (
                    "`gcp` is for OCIRepository and Bucket sources only",
                    nested_at("provider = \"gcp\""),
                ),
            ],
        );
    }
}

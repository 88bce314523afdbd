//! Failures before anything is written, and destroy.

use std::time::Duration;

use acceptance::fixture::{repo, var};
use acceptance::git::{clone, commit_subjects, git, push_commit};
use acceptance::hcl::{bootstrap_resource, git_http, provider, required_providers};
use acceptance::kube::{hold_deletion_at, kubectl, object_exists, request_root_fetch};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::serial;

/// The reference's missing-configuration case: without `kubernetes` and `git` on the
/// provider or the resource, plan works and apply fails naming what is missing.
#[test]
fn bootstrap_git_missing_configuration_fails_at_apply_naming_the_attribute() {
    let tf = Terraform::latest();
    let main = format!(
        "{}provider \"flux\" {{}}\n{}",
        required_providers(),
        bootstrap_resource(&tf, "  path = \"clusters/none\"")
    );
    let wd = tf.workdir("bootstrap-missing", &main);
    wd.plan().success();
    let out = wd.apply().failure();
    let text = out.flat();
    assert!(text.contains("Missing configuration"), "{text}");
    assert!(
        text.contains("set `kubernetes` on the provider or on the resource"),
        "{text}"
    );
    assert!(text.contains("flux_bootstrap_git.this"), "{text}");
}

/// Validation and cluster checks come before git: an unreachable cluster or an
/// override the provider cannot use leaves the repository as it was (the reference
/// committed first and failed after).
#[test]
fn bootstrap_git_unreachable_cluster_or_bad_override_commits_nothing() {
    let tf = Terraform::latest();
    let urls = repo("bootstrap-nocommit", false);
    let before = commit_subjects(&urls.http);
    let main = format!(
        "{}provider \"flux\" {{\n  kubernetes = {{ host = \"https://127.0.0.1:1\", insecure = true, token = \"t\" }}\n  git = {}\n}}\n{}",
        required_providers(),
        git_http(&urls.http),
        bootstrap_resource(&tf, "  path = \"clusters/unreachable\"\n  timeouts = { create = \"30s\" }")
    );
    let out = tf.workdir("bootstrap-unreachable", &main).apply().failure();
    assert!(
        out.flat().contains("Failed To Reach The Cluster"),
        "{}",
        out.all()
    );
    assert_eq!(commit_subjects(&urls.http), before);

    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            "  kustomization_override = \"apiVersion: kustomize.config.k8s.io/v1beta1\\nkind: Kustomization\\nresources:\\n- gotk-components.yaml\\n\""
        )
    );
    let out = tf
        .workdir("bootstrap-bad-override", &main)
        .apply()
        .failure();
    for part in [
        "Invalid Kustomization Override",
        "resources must include gotk-sync.yaml.",
    ] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    assert!(
        !out.flat()
            .contains("kustomization_override: kustomization_override"),
        "{}",
        out.report()
    );
    assert_eq!(commit_subjects(&urls.http), before);
}

/// Destroy is idempotent (TPF #479, #500): with the namespace already deleted and the
/// files already removed from git, it succeeds and commits nothing.
#[test]
fn bootstrap_git_destroy_after_namespace_and_files_are_gone_succeeds() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-gone", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/gone"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-gone", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    let checkout = clone(&urls.http);
    git(checkout.path(), &["rm", "-rq", "clusters/gone"]);
    git(checkout.path(), &["commit", "-qm", "remove flux by hand"]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
    kubectl(&[
        "delete",
        "namespace",
        "flux-system",
        "--wait=true",
        "--timeout=120s",
    ]);
    wd.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "remove flux by hand");
    // A second destroy of nothing is fine too.
    wd.destroy().success();
}

/// `drain_workloads` (TPF #569): destroy first removes what Flux deployed, where the
/// reference orphans it.
#[test]
fn bootstrap_git_destroy_with_drain_workloads_removes_what_flux_deployed() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-drain", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path            = "clusters/drain"
  components      = ["source-controller", "kustomize-controller"]
  drain_workloads = true"#
        )
    );
    let wd = tf.workdir("bootstrap-drain", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    push_commit(
        &urls.http,
        "deploy an app",
        &[
            (
                "clusters/drain/app.yaml",
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  path: ./apps/drain\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
            ),
            (
                "apps/drain/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drained-app\n  namespace: default\ndata:\n  owner: flux\n",
            ),
        ],
    );
    request_root_fetch();
    let kubeconfig = var("KUBECONFIG");
    wait_until(Duration::from_secs(180), "the app's ConfigMap", || {
        object_exists(&kubeconfig, &["-n", "default", "configmap", "drained-app"])
    });
    // A deployed application is no drift of the bootstrap.
    assert_plan_empty(&wd);
    wd.destroy().success();
    assert!(
        !object_exists(&kubeconfig, &["-n", "default", "configmap", "drained-app"]),
        "the drain left the app's ConfigMap"
    );
}

/// Right after an uninstall that returned while Flux's namespace and a CRD were still
/// terminating (the reference's destroy does; so does a deletion by hand), an apply
/// waits until they are gone, names them when its timeout ends first, and installs
/// once they are gone.
#[test]
fn bootstrap_git_apply_waits_for_a_terminating_install_and_names_it() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-terminating", false);
    let config = |create: &str| {
        format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(
                &tf,
                &format!(
                    "  path       = \"clusters/terminating\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n  timeouts   = {{ create = \"{create}\" }}"
                )
            )
        )
    };
    let wd = tf.workdir("bootstrap-terminating", &config("5m"));
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    let crd = "buckets.source.toolkit.fluxcd.io";
    let kubeconfig = var("KUBECONFIG");
    hold_deletion_at(&kubeconfig, "namespace", "flux-system", true);
    hold_deletion_at(&kubeconfig, "crd", crd, true);
    kubectl(&["delete", "namespace", "flux-system", "--wait=false"]);
    kubectl(&["delete", "crd", crd, "--wait=false"]);
    wd.run(&["state", "rm", "flux_bootstrap_git.this"])
        .success();

    wd.write_main(&config("20s"));
    let text = wd.apply().failure().flat();
    for fragment in [
        "Flux Is Still Being Deleted",
        "Namespace/flux-system",
        &format!("CustomResourceDefinition/{crd}"),
        "still being deleted",
    ] {
        assert!(text.contains(fragment), "{fragment:?} missing:\n{text}");
    }

    hold_deletion_at(&kubeconfig, "namespace", "flux-system", false);
    hold_deletion_at(&kubeconfig, "crd", crd, false);
    wd.write_main(&config("5m"));
    wd.apply().success();
    assert!(object_exists(&kubeconfig, &["crd", crd]));
    assert_plan_empty(&wd);
    wd.destroy().success();
}

//! Switching from the reference provider: the state it wrote for a known configuration
//! (tests/fixtures/reference-provider, see the README there), with what it left in git
//! and in the cluster recreated, plans no change with this provider; an import of the
//! same install plans none either.

use std::time::Duration;

use acceptance::fixture::{repo, var};
use acceptance::git::push_commit;
use acceptance::hcl::{bootstrap_resource, provider};
use acceptance::kube::{kubectl, root_kustomization};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::serial;

const MAIN: &str = include_str!("../../../fixtures/reference-provider/http/main.tf");
const STATE: &str = include_str!("../../../fixtures/reference-provider/http/terraform.tfstate");
const COMPONENTS: &str = "clusters/reference/flux-system/gotk-components.yaml";

fn main_tf(url: &str) -> String {
    MAIN.replace("{{KUBECONFIG}}", &var("KUBECONFIG"))
        .replace("{{GIT_URL}}", url)
        .replace("{{GIT_USERNAME}}", &var("FLUX_TEST_GIT_USERNAME"))
        .replace("{{GIT_PASSWORD}}", &var("FLUX_TEST_GIT_PASSWORD"))
}

/// This provider's own `gotk-components.yaml` for the fixture's options (all
/// defaults, the built-in v2.9.4 manifests). The fixture's file was rendered from an
/// early copy of the v2.9.4 manifests; the fixture's README allows this substitution
/// when the built-in ones differ (byte equality with Flux's generator is tested
/// elsewhere). The empty plan below checks it: a file that differed from what the
/// provider renders would plan a commit.
fn own_components() -> String {
    use flux_core::manifests::{render_install, BaseManifests, InstallOptions, InstallSpec};
    let spec = InstallSpec::from_options(InstallOptions::default()).unwrap();
    render_install(&spec, &BaseManifests::embedded().unwrap())
        .unwrap()
        .text
}

fn apply_to_cluster(dir: &std::path::Path, name: &str, text: &str) {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    kubectl(&[
        "apply",
        "--server-side",
        "--field-manager=flux",
        "-f",
        file.to_str().unwrap(),
    ]);
}

#[test]
fn bootstrap_git_state_written_by_the_reference_plans_no_change_and_imports_to_an_empty_plan() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("migration", false);
    let main = main_tf(&urls.http);
    let mut state: serde_json::Value =
        serde_json::from_str(&STATE.replace("{{GIT_URL}}", &urls.http)).unwrap();
    let attributes = &mut state["resources"][0]["instances"][0]["attributes"];
    attributes["repository_files"][COMPONENTS] = own_components().into();
    let files: Vec<(String, String)> = attributes["repository_files"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();

    // What the reference left: the files on main, the objects, the credentials Secret.
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let tip = push_commit(&urls.http, "Add Flux v2.9.4 manifests", &pairs);
    let scratch = tempfile::tempdir().unwrap();
    let file = |suffix: &str| {
        files
            .iter()
            .find(|(k, _)| k.ends_with(suffix))
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    apply_to_cluster(
        scratch.path(),
        "components.yaml",
        file("gotk-components.yaml"),
    );
    kubectl(&[
        "wait",
        "--for=condition=established",
        "--timeout=60s",
        "crd/gitrepositories.source.toolkit.fluxcd.io",
        "crd/kustomizations.kustomize.toolkit.fluxcd.io",
    ]);
    kubectl(&[
        "-n",
        "flux-system",
        "create",
        "secret",
        "generic",
        "flux-system",
        &format!("--from-literal=username={}", var("FLUX_TEST_GIT_USERNAME")),
        &format!("--from-literal=password={}", var("FLUX_TEST_GIT_PASSWORD")),
    ]);
    apply_to_cluster(scratch.path(), "sync.yaml", file("gotk-sync.yaml"));

    let wd = tf.workdir("migration", &main);
    let _cleanup = DestroyOnPanic(&wd);
    std::fs::write(
        wd.path().join("terraform.tfstate"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    let applied = format!("main@sha1:{tip}");
    wait_until(
        Duration::from_secs(180),
        "the root Kustomization to apply",
        || root_kustomization("{.status.lastAppliedRevision}") == applied,
    );

    // The switch: only the provider binary changed.
    assert_plan_empty(&wd);

    let imported = tf.workdir("migration-import", &main);
    imported
        .run(&["import", "flux_bootstrap_git.this", "flux-system"])
        .success();
    assert_plan_empty(&imported);

    wd.destroy().success();
}

/// Import restores the options the reference restores, so a customized install plans
/// no change after an import (cluster_domain is covered by the unit tests: another
/// domain would break the controllers' addresses in this environment).
#[test]
fn bootstrap_git_customized_install_imports_to_an_empty_plan() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("import-custom", false);
    let body = r#"  path                 = "clusters/custom"
  components           = ["source-controller", "kustomize-controller"]
  network_policy       = false
  toleration_keys      = ["dedicated"]
  image_pull_secret    = "regcred"
  registry_credentials = "robot:s3cret"
  watch_all_namespaces = false
  log_level            = "debug""#;
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(&tf, body)
    );
    let wd = tf.workdir("import-custom", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);

    let imported = tf.workdir("import-custom-imported", &main);
    imported
        .run(&["import", "flux_bootstrap_git.this", "flux-system"])
        .success();
    assert_plan_empty(&imported);

    wd.destroy().success();
}

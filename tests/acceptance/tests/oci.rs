//! Flux's image loop through Terraform, with the real registry, image-reflector-
//! and image-automation-controller: a pushed tag is scanned, chosen by the policy,
//! committed to git by the automation and rolled out by kustomize-controller, while
//! `terraform plan` stays empty. And OCI sources: a Flux artifact pushed to the
//! registry is fetched and applied.
#![cfg(test)]

use std::time::Duration;

use acceptance::fixture::{unique, var};
use acceptance::git::{clone, git, push_first_commit};
use acceptance::hcl::{hcl, provider};
use acceptance::kube::{apply_flux_crds, jsonpath, kubectl};
use acceptance::plan::assert_plan_empty;
use acceptance::poll::wait_for;
use acceptance::registry::Registry;
use acceptance::terraform::Terraform;

fn deployment(namespace: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {namespace}\nspec:\n  selector:\n    matchLabels:\n      app: app\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n      containers:\n      - name: app\n        image: {image} # {{\"$imagepolicy\": \"{namespace}:app\"}}\n"
    )
}

#[test]
fn image_automation_commits_a_new_tag_that_flux_rolls_out() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&[
        "source-controller.yaml",
        "kustomize-controller.yaml",
        "image-reflector-controller.yaml",
        "image-automation-controller.yaml",
    ]);
    let registry = Registry::from_env();
    let ns = unique("images");
    kubectl(&["create", "namespace", &ns]);
    registry.create_secrets(&ns);
    let image = registry.repository(&format!("{ns}/app"));
    registry.push_image(&format!("{ns}/app"), "1.0.0");

    let repo = acceptance::fixture::env()
        .create_repo(&ns, true)
        .unwrap_or_else(|e| panic!("create repo: {e}"));
    push_first_commit(
        &repo.http,
        &[
            (
                "deploy/deployment.yaml",
                &deployment(&ns, &format!("{image}:1.0.0")),
            ),
            (
                "deploy/kustomization.yaml",
                "resources:\n- deployment.yaml\n",
            ),
        ],
    );
    let main = format!(
        r#"{header}
locals {{ ns = {ns} }}

resource "flux_source_git" "app" {{
  name        = "app"
  namespace   = local.ns
  delivery    = "cluster"
  url         = {url}
  interval    = "10s"
  secret_ref  = "git-auth"
  secret_data = {{ username = {user}, password = {password} }}
  ref         = {{ branch = "main" }}
}}
resource "flux_kustomization" "app" {{
  name       = "app"
  namespace  = local.ns
  delivery   = "cluster"
  path       = "./deploy"
  prune      = true
  interval   = "1m"
  source_ref = {{ kind = "GitRepository", name = flux_source_git.app.name }}
}}
resource "flux_image_repository" "app" {{
  name            = "app"
  namespace       = local.ns
  delivery        = "cluster"
  image           = {image}
  interval        = "10s"
  secret_ref      = "pull"
  cert_secret_ref = "registry-ca"
}}
resource "flux_image_policy" "app" {{
  name                 = "app"
  namespace            = local.ns
  delivery             = "cluster"
  image_repository_ref = {{ name = flux_image_repository.app.name }}
  policy               = {{ semver = {{ range = ">=1.0.0" }} }}
}}
resource "flux_image_update_automation" "app" {{
  name       = "app"
  namespace  = local.ns
  delivery   = "cluster"
  interval   = "10s"
  source_ref = {{ kind = "GitRepository", name = flux_source_git.app.name }}
  git = {{
    checkout = {{ ref = {{ branch = "main" }} }}
    commit   = {{ author = {{ name = "flux-bot", email = "bot@example.com" }} }}
    push     = {{ branch = "main" }}
  }}
  update = {{ path = "./deploy" }}
  depends_on = [flux_image_policy.app, flux_kustomization.app]
}}
"#,
        header = provider(None),
        ns = hcl(&ns),
        url = hcl(&repo.http),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
        image = hcl(&image),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("image-automation", &main);
    wd.apply().success();
    let policy_tag = || {
        jsonpath(
            "imagepolicies.image.toolkit.fluxcd.io",
            &ns,
            "app",
            "{.status.latestRef.tag}",
        )
    };
    assert_eq!(
        policy_tag().as_deref(),
        Some("1.0.0"),
        "apply waited for the policy"
    );
    let rolled_out = |tag: &str| {
        jsonpath(
            "deployment",
            &ns,
            "app",
            "{.spec.template.spec.containers[0].image}",
        )
        .is_some_and(|i| i == format!("{image}:{tag}"))
    };
    wait_for(Duration::from_secs(120), "Deployment app at 1.0.0", || {
        rolled_out("1.0.0").then_some(())
    });
    assert_plan_empty(&wd);

    registry.push_image(&format!("{ns}/app"), "1.1.0");
    wait_for(
        Duration::from_secs(120),
        "ImagePolicy app to choose 1.1.0",
        || (policy_tag()? == "1.1.0").then_some(()),
    );
    wait_for(
        Duration::from_secs(120),
        "the automation's commit of 1.1.0",
        || {
            let checkout = clone(&repo.http);
            let file =
                std::fs::read_to_string(checkout.path().join("deploy/deployment.yaml")).ok()?;
            file.contains(&format!("{image}:1.1.0")).then_some(())
        },
    );
    let checkout = clone(&repo.http);
    let author = git(checkout.path(), &["log", "-1", "--format=%an <%ae>"]);
    assert_eq!(author, "flux-bot <bot@example.com>");
    wait_for(Duration::from_secs(120), "Deployment app at 1.1.0", || {
        rolled_out("1.1.0").then_some(())
    });
    // The controllers' status and the automation's commits are not drift.
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn oci_source_fetches_a_flux_artifact_from_the_registry_and_applies_it() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "kustomize-controller.yaml"]);
    let registry = Registry::from_env();
    let ns = unique("oci");
    kubectl(&["create", "namespace", &ns]);
    registry.create_secrets(&ns);
    let artifact = format!("{ns}/manifests");
    let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write_configmap = |value: &str| {
        std::fs::write(
            content.path().join("configmap.yaml"),
            acceptance::kube::configmap(&ns, "from-oci", value),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    };
    write_configmap("v1");
    registry.push_artifact(&artifact, "1.0.0", content.path());

    let main = format!(
        r#"{header}
resource "flux_source_oci" "manifests" {{
  name            = "manifests"
  namespace       = {ns}
  delivery        = "cluster"
  url             = {url}
  interval        = "10s"
  ref             = {{ semver = ">=1.0.0" }}
  secret_ref      = "pull"
  cert_secret_ref = "registry-ca"
}}
resource "flux_kustomization" "manifests" {{
  name       = "manifests"
  namespace  = {ns}
  delivery   = "cluster"
  prune      = true
  interval   = "1m"
  source_ref = {{ kind = "OCIRepository", name = flux_source_oci.manifests.name }}
}}
"#,
        header = provider(None),
        ns = hcl(&ns),
        url = hcl(&format!("oci://{}", registry.repository(&artifact))),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("oci-source", &main);
    wd.apply().success();
    let value = || jsonpath("configmap", &ns, "from-oci", "{.data.value}");
    assert_eq!(
        value().as_deref(),
        Some("v1"),
        "apply waited for the Kustomization"
    );
    assert_plan_empty(&wd);

    // A newer tag within the semver range is picked up without Terraform.
    write_configmap("v2");
    registry.push_artifact(&artifact, "1.1.0", content.path());
    assert_eq!(registry.tags(&artifact), ["1.0.0", "1.1.0"]);
    wait_for(Duration::from_secs(120), "ConfigMap from-oci = v2", || {
        (value()? == "v2").then_some(())
    });
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn helm_release_installs_a_chart_from_an_oci_helm_repository() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "helm-controller.yaml"]);
    let registry = Registry::from_env();
    let ns = unique("helm-oci");
    kubectl(&["create", "namespace", &ns]);
    registry.create_secrets(&ns);
    let prefix = format!("{ns}/charts");
    registry.push_chart(&prefix, "plain", "0.1.0");

    let main = format!(
        r#"{header}
resource "flux_source_helm" "charts" {{
  name            = "charts"
  namespace       = {ns}
  delivery        = "cluster"
  type            = "oci"
  url             = {url}
  secret_ref      = "pull"
  cert_secret_ref = "registry-ca"
}}
resource "flux_helm_release" "plain" {{
  name      = "plain"
  namespace = {ns}
  delivery  = "cluster"
  interval  = "10s"
  chart = {{
    chart    = "plain"
    version  = ">=0.1.0"
    interval = "10s"
    source_ref = {{ kind = "HelmRepository", name = flux_source_helm.charts.name }}
  }}
  values = yamlencode({{ value = "from-oci" }})
}}
"#,
        header = provider(None),
        ns = hcl(&ns),
        url = hcl(&format!("oci://{}", registry.repository(&prefix))),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("helm-oci", &main);
    wd.apply().success();
    let chart_version = || {
        jsonpath(
            "helmrelease",
            &ns,
            "plain",
            "{.status.history[0].chartVersion}",
        )
    };
    assert_eq!(
        jsonpath("configmap", &ns, "plain-plain", "{.data.value}").as_deref(),
        Some("from-oci"),
        "apply waited for the release"
    );
    assert_eq!(chart_version().as_deref(), Some("0.1.0"));
    assert_plan_empty(&wd);

    // A new chart version within the range is upgraded to without Terraform.
    registry.push_chart(&prefix, "plain", "0.2.0");
    wait_for(
        Duration::from_secs(180),
        "HelmRelease plain at chart 0.2.0",
        || (chart_version()? == "0.2.0").then_some(()),
    );
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

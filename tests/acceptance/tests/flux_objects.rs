//! Flux object resources (`flux_source_git`, `flux_kustomization`, ...) against the
//! real environment: real Terraform, git servers, kube-apiserver and the Flux
//! controllers reconciling what the provider delivered.
//!
//! They share the first cluster's Flux CRDs with the bootstrap tests, so they take
//! turns with them (`cluster_turn`).
#![cfg(test)]

use std::time::Duration;

use acceptance::objects::{
    apply_flux_crds, clone, configmap, hcl, kubectl, push_files, try_kubectl, unique, var, wait_for,
};
use acceptance::terraform::{Terraform, Workdir};

fn repo(name: &str) -> acceptance::env::RepoUrls {
    let name = unique(name);
    acceptance::objects::env()
        .create_repo(&name, true)
        .unwrap_or_else(|e| panic!("create repo {name}: {e}"))
}

fn header(git_url: Option<&str>) -> String {
    let git = match git_url {
        Some(url) => format!(
            "  git = {{\n    url = {}\n    http = {{\n      username = {}\n      password = {}\n      allow_insecure_http = true\n    }}\n  }}\n",
            hcl(url),
            hcl(&var("FLUX_TEST_GIT_USERNAME")),
            hcl(&var("FLUX_TEST_GIT_PASSWORD")),
        ),
        None => String::new(),
    };
    format!(
        "terraform {{\n  required_providers {{\n    flux = {{ source = \"fluxcd/flux\" }}\n  }}\n}}\nprovider \"flux\" {{\n  kubernetes = {{ config_path = {} }}\n{git}}}\n",
        hcl(&var("KUBECONFIG"))
    )
}

/// A GitRepository of `app_url` with basic-auth credentials in `secret_data`, and a
/// Kustomization of its `./deploy`.
fn app_objects(
    namespace: &str,
    app_url: &str,
    extra_source: &str,
    extra_kustomization: &str,
) -> String {
    format!(
        r#"
resource "flux_source_git" "app" {{
  name        = "app"
  namespace   = {ns}
  url         = {url}
  interval    = "10s"
  secret_ref  = "app-auth"
  secret_data = {{ username = {user}, password = {password} }}
  ref         = {{ branch = "main" }}
{extra_source}
}}

resource "flux_kustomization" "app" {{
  name      = "app"
  namespace = {ns}
  path      = "./deploy"
  prune     = true
  interval  = "1m"
  source_ref = {{
    kind = "GitRepository"
    name = flux_source_git.app.name
  }}
{extra_kustomization}
}}
"#,
        ns = hcl(namespace),
        url = hcl(app_url),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
    )
}

fn assert_plan_empty(wd: &Workdir) {
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 0, "plan is not empty:\n{}", plan.all());
}

fn jsonpath(kind: &str, namespace: &str, name: &str, path: &str) -> Option<String> {
    try_kubectl(&[
        "-n",
        namespace,
        "get",
        kind,
        name,
        "-o",
        &format!("jsonpath={path}"),
    ])
    .ok()
}

fn wait_configmap(namespace: &str, name: &str, value: &str) {
    wait_for(
        Duration::from_secs(120),
        &format!("ConfigMap {namespace}/{name} = {value}"),
        || (jsonpath("configmap", namespace, name, "{.data.value}")? == value).then_some(()),
    );
}

#[test]
fn flux_objects_cluster_delivery_reconcile_suspend_drift_import() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "kustomize-controller.yaml"]);
    let ns = unique("objects-cluster");
    kubectl(&["create", "namespace", &ns]);
    let app = repo("objects-app");
    push_files(
        &app.http,
        &[("deploy/configmap.yaml", &configmap(&ns, "from-git", "one"))],
    );
    let tf = Terraform::latest();
    let main = format!("{}{}", header(None), app_objects(&ns, &app.http, "", ""));
    let wd = tf.workdir("objects-cluster", &main);
    wd.apply().success();
    // The real controllers fetched the repository and applied its ConfigMap.
    wait_configmap(&ns, "from-git", "one");
    let state = wd
        .run(&["state", "show", "flux_kustomization.app"])
        .success()
        .all();
    assert!(state.contains("ready") && state.contains("true"), "{state}");
    // The credentials went to a Secret, with the keys given.
    let keys = kubectl(&[
        "-n",
        &ns,
        "get",
        "secret",
        "app-auth",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(
        keys.contains("\"username\"") && keys.contains("\"password\""),
        "{keys}"
    );
    assert_plan_empty(&wd);

    // Drift: a change behind Terraform's back is planned and repaired.
    kubectl(&[
        "-n",
        &ns,
        "patch",
        "kustomization",
        "app",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"path":"./elsewhere"}}"#,
    ]);
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "drift not planned:\n{}", plan.all());
    assert!(plan.all().contains("./elsewhere"), "{}", plan.all());
    wd.apply().success();
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.spec.path}").as_deref(),
        Some("./deploy")
    );
    assert_plan_empty(&wd);

    // Suspend, then resume.
    wd.write_main(&format!(
        "{}{}",
        header(None),
        app_objects(&ns, &app.http, "", "  suspend = true")
    ));
    wd.apply().success();
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.spec.suspend}").as_deref(),
        Some("true")
    );
    assert_plan_empty(&wd);
    wd.write_main(&main);
    wd.apply().success();
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.spec.suspend}").as_deref(),
        Some("false")
    );

    // Import by namespace/name gives a state that plans no change.
    let uid = jsonpath("kustomization", &ns, "app", "{.metadata.uid}");
    wd.run(&["state", "rm", "flux_kustomization.app"]).success();
    wd.run(&["import", "flux_kustomization.app", &format!("{ns}/app")])
        .success();
    assert_plan_empty(&wd);
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.metadata.uid}"),
        uid
    );

    wd.destroy().success();
    assert!(jsonpath("kustomization", &ns, "app", "{.metadata.name}").is_none());
    assert!(jsonpath("gitrepository", &ns, "app", "{.metadata.name}").is_none());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

fn bootstrap(path: &str) -> String {
    format!(
        r#"
resource "flux_bootstrap_git" "this" {{
  path       = {path}
  interval   = "10s"
  components = ["source-controller", "kustomize-controller"]
}}
"#,
        path = hcl(path)
    )
}

/// Asks the root Kustomization to reconcile now and waits until it did.
fn reconcile_root() {
    let stamp = unique("now");
    kubectl(&[
        "-n",
        "flux-system",
        "annotate",
        "--overwrite",
        "kustomization",
        "flux-system",
        &format!("reconcile.fluxcd.io/requestedAt={stamp}"),
    ]);
    wait_for(
        Duration::from_secs(90),
        "the root Kustomization to reconcile",
        || {
            let handled = jsonpath(
                "kustomization",
                "flux-system",
                "flux-system",
                "{.status.lastHandledReconcileAt}",
            )?;
            let ready = jsonpath(
                "kustomization",
                "flux-system",
                "flux-system",
                "{.status.conditions[?(@.type==\"Ready\")].status}",
            )?;
            (handled == stamp && ready == "True").then_some(())
        },
    );
}

#[test]
fn flux_objects_git_delivery_reconciles_imports_and_moves_to_cluster_in_place() {
    let _turn = acceptance::env::cluster_turn();
    let fleet = repo("objects-fleet");
    let app = repo("objects-app-git");
    let cm = unique("from-git");
    push_files(
        &app.http,
        &[(
            "deploy/configmap.yaml",
            &configmap("flux-system", &cm, "two"),
        )],
    );
    let tf = Terraform::latest();
    let objects = |source_extra: &str| {
        app_objects(
            "flux-system",
            &app.http,
            &format!("  depends_on = [flux_bootstrap_git.this]\n{source_extra}"),
            "  wait = true\n  wait_timeout = \"3m\"",
        )
    };
    let main = format!(
        "{}{}{}",
        header(Some(&fleet.http)),
        bootstrap("clusters/objs"),
        objects("")
    );
    let wd = tf.workdir("objects-git", &main);
    wd.apply().success();
    // Committed next to the bootstrap, listed, and applied by the real controllers.
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("clusters/objs/flux-objects");
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        list.contains("- gitrepository-flux-system-app.yaml")
            && list.contains("- kustomization-flux-system-app.yaml"),
        "{list}"
    );
    let source_file =
        std::fs::read_to_string(dir.join("gitrepository-flux-system-app.yaml")).unwrap_or_default();
    assert!(source_file.contains("kind: GitRepository"), "{source_file}");
    // Secret material never reaches git.
    assert!(
        !source_file.contains(&var("FLUX_TEST_GIT_PASSWORD")),
        "{source_file}"
    );
    wait_configmap("flux-system", &cm, "two");
    assert_plan_empty(&wd);

    // Import of a git-delivered object by namespace/name@directory.
    wd.run(&["state", "rm", "flux_kustomization.app"]).success();
    wd.run(&[
        "import",
        "flux_kustomization.app",
        "flux-system/app@clusters/objs/flux-objects",
    ])
    .success();
    let plan = wd.plan_detailed();
    // `wait` is configured (true) while an import of a git object starts with false.
    assert!(plan.code != 1, "{}", plan.all());
    wd.apply().success();
    assert_plan_empty(&wd);

    // Moving the source to cluster delivery keeps the object (same uid), removes the
    // file, and the root Kustomization does not prune it afterwards.
    let uid = jsonpath("gitrepository", "flux-system", "app", "{.metadata.uid}");
    assert!(uid.as_deref().is_some_and(|u| !u.is_empty()));
    wd.write_main(&format!(
        "{}{}{}",
        header(Some(&fleet.http)),
        bootstrap("clusters/objs"),
        objects("  delivery = \"cluster\"")
    ));
    wd.apply().success();
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("clusters/objs/flux-objects");
    assert!(!dir.join("gitrepository-flux-system-app.yaml").exists());
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        !list.contains("gitrepository-flux-system-app.yaml"),
        "{list}"
    );
    reconcile_root();
    assert_eq!(
        jsonpath("gitrepository", "flux-system", "app", "{.metadata.uid}"),
        uid
    );
    assert_plan_empty(&wd);

    wd.destroy().success();
}

#[test]
fn flux_objects_helm_release_from_served_chart_repository_installs_configmap() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "helm-controller.yaml"]);
    let charts = acceptance::chart_repo::ChartRepo::start("plain", "0.1.0");
    let ns = unique("objects-helm");
    kubectl(&["create", "namespace", &ns]);
    let release = |value: &str| {
        format!(
            r#"
resource "flux_source_helm" "charts" {{
  name      = "charts"
  namespace = {ns}
  url       = {url}
  interval  = "1m"
}}

resource "flux_helm_release" "plain" {{
  name      = "plain"
  namespace = {ns}
  interval  = "1m"
  chart = {{
    chart   = "plain"
    version = ">=0.1.0 <1.0.0"
    source_ref = {{
      kind = "HelmRepository"
      name = flux_source_helm.charts.name
    }}
  }}
  values = yamlencode({{ value = {value} }})
}}
"#,
            ns = hcl(&ns),
            url = hcl(&charts.url),
            value = hcl(value),
        )
    };
    let tf = Terraform::latest();
    let wd = tf.workdir(
        "objects-helm",
        &format!("{}{}", header(None), release("first")),
    );
    wd.apply().success();
    // helm-controller installed the chart: its ConfigMap exists with the value.
    wait_configmap(&ns, "plain-plain", "first");
    assert_eq!(
        jsonpath(
            "helmrelease",
            &ns,
            "plain",
            "{.status.conditions[?(@.type==\"Ready\")].status}"
        )
        .as_deref(),
        Some("True")
    );
    assert_plan_empty(&wd);
    // A values change is an upgrade, waited for.
    wd.write_main(&format!("{}{}", header(None), release("second")));
    wd.apply().success();
    wait_configmap(&ns, "plain-plain", "second");
    assert_plan_empty(&wd);
    wd.destroy().success();
    assert!(jsonpath("helmrelease", &ns, "plain", "{.metadata.name}").is_none());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn flux_objects_many_git_objects_in_parallel_lose_no_file() {
    // No cluster: git delivery without wait only writes git.
    const N: usize = 60;
    let fleet = repo("objects-scale");
    let main = format!(
        r#"
terraform {{
  required_providers {{
    flux = {{ source = "fluxcd/flux" }}
  }}
}}
provider "flux" {{
  git = {{
    url  = {url}
    http = {{ username = {user}, password = {password}, allow_insecure_http = true }}
  }}
}}
resource "flux_kustomization" "app" {{
  count         = {N}
  name          = "app-${{count.index}}"
  git_directory = "clusters/scale/apps"
  path          = "./apps/${{count.index}}"
  prune         = true
  source_ref    = {{ kind = "GitRepository", name = "flux-system" }}
}}
"#,
        url = hcl(&fleet.http),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("objects-scale", &main);
    wd.apply().success();
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("clusters/scale/apps");
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    for i in 0..N {
        let file = format!("kustomization-flux-system-app-{i}.yaml");
        assert!(dir.join(&file).is_file(), "{file} is missing");
        assert!(
            list.contains(&format!("- {file}\n")),
            "{file} is not listed:\n{list}"
        );
    }
    // Batched: far fewer commits than objects.
    let commits = acceptance::objects::git(checkout.path(), &["rev-list", "--count", "HEAD"]);
    let commits: usize = commits.parse().unwrap_or(usize::MAX);
    assert!(commits < N / 2, "{commits} commits for {N} objects");
    assert_plan_empty(&wd);
    wd.destroy().success();
    let checkout = clone(&fleet.http);
    assert!(!checkout.path().join("clusters/scale/apps").exists());
}

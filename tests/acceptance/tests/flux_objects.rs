//! Flux object resources (`flux_source_git`, `flux_kustomization`, ...) against the
//! real environment: real Terraform, git servers, kube-apiserver and the Flux
//! controllers reconciling what the provider delivered.
//!
//! They share the first cluster's Flux CRDs with the bootstrap tests, so they take
//! turns with them (`cluster_turn`).
#![cfg(test)]

mod git_delivery;
mod notifications;

use std::time::Duration;

use acceptance::fixture::{repo, unique, var};
use acceptance::git::{clone, push_first_commit};
use acceptance::hcl::{git_http, hcl, provider as header, provider_with};
use acceptance::kube::{apply_flux_crds, configmap, jsonpath, kubectl};
use acceptance::plan::{assert_diagnostics_located, assert_plan_empty, assert_plan_shows};
use acceptance::poll::wait_for;
use acceptance::terraform::Terraform;

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

/// A drift of one object is planned in a few lines (under 40), counted from the
/// actions Terraform lists: the warning before them is about the tests' development
/// overrides, which users do not see.
fn assert_brief(plan: &str) {
    let lines = plan
        .lines()
        .skip_while(|l| !l.starts_with("Terraform will perform the following actions"))
        .count();
    assert!(lines > 0 && lines < 40, "plan of {lines} lines:\n{plan}");
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
    let app = repo("objects-app", true);
    push_first_commit(
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
    let ready = state.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "ready").then(|| value.trim().to_string())
    });
    assert_eq!(ready.as_deref(), Some("true"), "{state}");
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
    assert_brief(&assert_plan_shows(&wd, &["./elsewhere"]));
    wd.apply().success();
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.spec.path}").as_deref(),
        Some("./deploy")
    );
    assert_plan_empty(&wd);
    // Suspended by hand: planned back, as the configuration does not suspend it.
    kubectl(&[
        "-n",
        &ns,
        "patch",
        "kustomization",
        "app",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ]);
    assert_brief(&assert_plan_shows(&wd, &["suspend", "true -> false"]));
    wd.apply().success();
    assert_eq!(
        jsonpath("kustomization", &ns, "app", "{.spec.suspend}").as_deref(),
        Some("false")
    );
    assert_plan_empty(&wd);
    // Deleted by hand: planned as a create, and the controller reconciles it again.
    kubectl(&["-n", &ns, "delete", "kustomization", "app"]);
    assert_brief(&assert_plan_shows(
        &wd,
        &["flux_kustomization.app will be created"],
    ));
    wd.apply().success();
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
    // The Secret written from secret_data went with its resource.
    assert!(jsonpath("secret", &ns, "app-auth", "{.metadata.name}").is_none());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
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
    let fleet = repo("objects-scale", true);
    let main = format!(
        r#"{provider}
resource "flux_kustomization" "app" {{
  count         = {N}
  name          = "app-${{count.index}}"
  git_directory = "clusters/scale/apps"
  path          = "./apps/${{count.index}}"
  prune         = true
  source_ref    = {{ kind = "GitRepository", name = "flux-system" }}
}}
"#,
        provider = provider_with(None, Some(&git_http(&fleet.http))),
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
    let commits = acceptance::git::git(checkout.path(), &["rev-list", "--count", "HEAD"]);
    let commits: usize = commits.parse().unwrap_or(usize::MAX);
    assert!(commits < N / 2, "{commits} commits for {N} objects");
    assert_plan_empty(&wd);
    wd.destroy().success();
    let checkout = clone(&fleet.http);
    assert!(!checkout.path().join("clusters/scale/apps").exists());
}

#[test]
fn flux_objects_invalid_values_fail_at_plan_naming_the_attribute() {
    let main = format!(
        r#"{header}
resource "flux_kustomization" "bad" {{
  name       = "Bad_Name"
  interval   = "10 minutes"
  prune      = true
  source_ref = {{ kind = "Git", name = "x" }}
}}
resource "flux_image_policy" "bad" {{
  name                 = "p"
  delivery             = "cluster"
  image_repository_ref = {{ name = "app" }}
  policy = {{
    semver       = {{ range = "1.x" }}
    alphabetical = {{ order = "asc" }}
  }}
}}
resource "flux_source_bucket" "bad" {{
  name                 = "b"
  delivery             = "cluster"
  bucket_name          = "b"
  endpoint             = "minio:9000"
  service_account_name = "sa"
}}
resource "flux_receiver" "bad" {{
  name        = "r"
  delivery    = "cluster"
  type        = "github"
  secret_ref  = "token"
  resources   = [{{ kind = "GitRepository", name = "app", namespace = "*" }}]
}}
resource "flux_source_git" "bad" {{
  name        = "g"
  delivery    = "cluster"
  url         = "git@github.com:org/repo.git"
  secret_data = {{ token = "t" }}
  ref         = {{ semver = "latest" }}
}}
"#,
        header = header(None)
    );
    let tf = Terraform::latest();
    let text = tf.workdir("objects-invalid", &main).plan().failure().flat();
    assert_diagnostics_located(
        &text,
        &[
            (
                "\"Bad_Name\" must be an RFC 1123 subdomain",
                "name = \"Bad_Name\"",
            ),
            (
                "\"10 minutes\" is not a duration",
                "interval = \"10 minutes\"",
            ),
            (
                "\"Git\" must be one of GitRepository, OCIRepository, Bucket, ExternalArtifact",
                "source_ref = { kind = \"Git\", name = \"x\" }",
            ),
            (
                "policy: exactly one of semver, alphabetical and numerical must be set",
                "policy = {",
            ),
            (
                "service_account_name: is not allowed with provider generic",
                "service_account_name = \"sa\"",
            ),
            (
                "resources[0].namespace: * requires name *",
                "resources = [{ kind = \"GitRepository\"",
            ),
            (
                "\"git@github.com:org/repo.git\" must start with one of http://, https://, ssh://",
                "url = \"git@github.com:org/repo.git\"",
            ),
            (
                "\"latest\" is not a semver range",
                "ref = { semver = \"latest\" }",
            ),
            (
                "secret_data is written to the Secret named by secret_ref",
                "secret_data = { token = \"t\" }",
            ),
        ],
    );
}

#[test]
fn flux_objects_notification_and_image_kinds_deliver_to_cluster_and_git() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&[
        "source-controller.yaml",
        "notification-controller.yaml",
        "image-reflector-controller.yaml",
        "image-automation-controller.yaml",
    ]);
    let ns = unique("objects-kinds");
    kubectl(&["create", "namespace", &ns]);
    let fleet = repo("objects-kinds", true);
    let main = format!(
        r#"{header}
locals {{ ns = {ns} }}

resource "flux_alert_provider" "hook" {{
  name      = "hook"
  namespace = local.ns
  delivery  = "cluster"
  type      = "generic"
  address   = "http://127.0.0.1:9/hook"
}}
resource "flux_alert" "all" {{
  name          = "all"
  namespace     = local.ns
  delivery      = "cluster"
  provider_ref  = flux_alert_provider.hook.name
  event_sources = [{{ kind = "GitRepository", name = "*" }}]
}}
resource "flux_receiver" "hook" {{
  name        = "hook"
  namespace   = local.ns
  delivery    = "cluster"
  type        = "generic"
  secret_ref  = "receiver-token"
  secret_data = {{ token = "s3cr3t-token" }}
  resources   = [{{ kind = "GitRepository", name = "*" }}]
}}
resource "flux_image_repository" "app" {{
  name      = "app"
  namespace = local.ns
  delivery  = "cluster"
  wait      = false
  image     = "ghcr.io/org/app"
}}
resource "flux_image_policy" "app" {{
  name                 = "app"
  namespace            = local.ns
  delivery             = "cluster"
  wait                 = false
  image_repository_ref = {{ name = flux_image_repository.app.name }}
  policy               = {{ semver = {{ range = ">=1.0.0" }} }}
}}
resource "flux_image_update_automation" "fleet" {{
  name       = "fleet"
  namespace  = local.ns
  delivery   = "cluster"
  wait       = false
  source_ref = {{ name = "fleet" }}
  git = {{
    commit = {{ author = {{ email = "bot@example.com" }} }}
  }}
}}
resource "flux_source_oci" "manifests" {{
  name          = "manifests"
  namespace     = local.ns
  git_directory = "tenants/kinds"
  url           = "oci://registry.example.com/manifests"
  ref           = {{ tag = "v1" }}
}}
resource "flux_source_bucket" "artifacts" {{
  name          = "artifacts"
  namespace     = local.ns
  git_directory = "tenants/kinds"
  bucket_name   = "artifacts"
  endpoint      = "minio:9000"
  secret_ref    = "bucket-keys"
  secret_data   = {{ accesskey = "AKIA-bucket-key", secretkey = "bucket-secret-value" }}
}}
"#,
        header = header(Some(&fleet.http)),
        ns = hcl(&ns),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("objects-kinds", &main);
    wd.apply().success();
    for (kind, name) in [
        ("providers.notification.toolkit.fluxcd.io", "hook"),
        ("alerts.notification.toolkit.fluxcd.io", "all"),
        ("receivers.notification.toolkit.fluxcd.io", "hook"),
        ("imagerepositories.image.toolkit.fluxcd.io", "app"),
        ("imagepolicies.image.toolkit.fluxcd.io", "app"),
        ("imageupdateautomations.image.toolkit.fluxcd.io", "fleet"),
    ] {
        assert!(
            jsonpath(kind, &ns, name, "{.metadata.name}").as_deref() == Some(name),
            "{kind} {ns}/{name} missing"
        );
    }
    assert_eq!(
        jsonpath(
            "imagepolicies.image.toolkit.fluxcd.io",
            &ns,
            "app",
            "{.spec.policy.semver.range}"
        )
        .as_deref(),
        Some(">=1.0.0")
    );
    // Git delivery: files with the kinds' manifests, secrets only in the cluster.
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("tenants/kinds");
    let oci = std::fs::read_to_string(dir.join(format!("ocirepository-{ns}-manifests.yaml")))
        .unwrap_or_default();
    // As `flux create source oci --export` writes it: the provider Flux always
    // writes, the timeout left at its default left out.
    assert!(
        oci.contains("kind: OCIRepository")
            && oci.contains("tag: v1")
            && oci.contains("provider: generic")
            && !oci.contains("timeout:"),
        "{oci}"
    );
    let bucket = std::fs::read_to_string(dir.join(format!("bucket-{ns}-artifacts.yaml")))
        .unwrap_or_default();
    assert!(bucket.contains("bucketName: artifacts"), "{bucket}");
    assert!(!bucket.contains("bucket-secret-value"), "{bucket}");
    let keys = kubectl(&[
        "-n",
        &ns,
        "get",
        "secret",
        "bucket-keys",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(keys.contains("\"secretkey\""), "{keys}");
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        list.contains(&format!("- bucket-{ns}-artifacts.yaml")),
        "{list}"
    );
    assert_plan_empty(&wd);
    wd.destroy().success();
    assert!(jsonpath(
        "imagepolicies.image.toolkit.fluxcd.io",
        &ns,
        "app",
        "{.metadata.name}"
    )
    .is_none());
    assert!(!clone(&fleet.http).path().join("tenants/kinds").exists());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

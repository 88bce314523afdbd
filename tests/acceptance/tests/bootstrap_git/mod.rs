//! `flux_bootstrap_git` against the real environment: real Terraform, real git
//! servers, a real kube-apiserver and the Flux controllers. After every apply a
//! second plan must be empty.
//!
//! The bootstraps share the environment's first cluster, and an uninstall removes
//! Flux's CRDs cluster-wide, so these tests take turns (`serial`).
#![cfg(test)]

use std::path::Path;
use std::process::Command;
use std::sync::MutexGuard;

use acceptance::env::{Environment, RepoUrls};
use acceptance::terraform::{Terraform, Workdir};

fn env() -> &'static Environment {
    Environment::shared().unwrap_or_else(|e| panic!("test environment: {e}"))
}

fn serial() -> MutexGuard<'static, ()> {
    acceptance::env::cluster_turn()
}

fn var(name: &str) -> String {
    env()
        .get_var(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

/// A new repository; the name gets a per-run suffix since repositories outlive runs.
fn repo(name: &str, empty: bool) -> RepoUrls {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!("{name}-{}-{nanos}", std::process::id());
    env()
        .create_repo(&name, empty)
        .unwrap_or_else(|e| panic!("create repo {name}: {e}"))
}

fn hcl(text: &str) -> String {
    format!("{text:?}")
}

/// The provider block over HTTP basic auth (plain http, so allow_insecure_http).
fn provider_http(url: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    flux = {{ source = "fluxcd/flux" }}
  }}
}}
provider "flux" {{
  kubernetes = {{ config_path = {kubeconfig} }}
  git = {{
    url  = {url}
    http = {{
      username            = {user}
      password            = {password}
      allow_insecure_http = true
    }}
  }}
}}
"#,
        kubeconfig = hcl(&var("KUBECONFIG")),
        url = hcl(url),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
    )
}

/// The repository URL with the basic-auth credentials, for the git CLI.
fn authed(url: &str) -> String {
    url.replacen(
        "http://",
        &format!(
            "http://{}:{}@",
            var("FLUX_TEST_GIT_USERNAME"),
            var("FLUX_TEST_GIT_PASSWORD")
        ),
        1,
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh clone of `url` (http, with credentials).
fn clone(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            &authed(url),
            dir.path().to_str().unwrap_or("."),
        ],
    );
    dir
}

fn commit_subjects(url: &str) -> Vec<String> {
    let dir = clone(url);
    git(dir.path(), &["log", "--format=%s"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn kubectl(args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", var("KUBECONFIG"))
        .output()
        .unwrap_or_else(|e| panic!("kubectl {args:?}: {e}"));
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_plan_empty(wd: &Workdir) {
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 0, "second plan is not empty:\n{}", plan.all());
}

/// A resource block; under Terraform 1.0.3 every single nested attribute is set
/// (`timeouts`, and `kubernetes` / `git` when `body` has none), since 1.0.3 crashes
/// when one is omitted.
fn resource(tf: &Terraform, body: &str) -> String {
    let mut legacy = String::new();
    if tf.is_legacy() {
        legacy.push_str("  timeouts = { create = \"5m\", delete = \"3m\" }\n");
        if !body.contains("kubernetes =") {
            legacy.push_str(&format!(
                "  kubernetes = {{ config_path = {} }}\n",
                hcl(&var("KUBECONFIG"))
            ));
        }
        if !body.contains("git ") {
            legacy.push_str(
                "  git = { url = \"http://127.0.0.1:1/none.git\", http = { allow_insecure_http = true } }\n",
            );
        }
    }
    format!("resource \"flux_bootstrap_git\" \"this\" {{\n{body}\n{legacy}}}\n")
}

#[test]
fn bootstrap_git_http_create_plan_destroy_matches_reference_commits() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-http", false);
    let main = format!(
        "{}{}",
        provider_http(&urls.http),
        resource(
            &tf,
            r#"  path       = "clusters/http"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-http", &main);
    wd.apply().success();
    assert_plan_empty(&wd);
    let subjects = commit_subjects(&urls.http);
    assert_eq!(
        subjects[..2],
        [
            "Add Flux sync manifests".to_string(),
            "Add Flux v2.9.4 component manifests".to_string()
        ],
        "{subjects:?}"
    );
    let checkout = clone(&urls.http);
    for file in [
        "gotk-components.yaml",
        "gotk-sync.yaml",
        "kustomization.yaml",
    ] {
        assert!(
            checkout
                .path()
                .join("clusters/http/flux-system")
                .join(file)
                .is_file(),
            "{file} missing"
        );
    }
    let secret_keys = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(secret_keys.contains("\"username\"") && secret_keys.contains("\"password\""));
    wd.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "Uninstall Flux");
    let leftover = clone(&urls.http);
    assert!(!leftover.path().join("clusters/http/flux-system").exists());
}

#[test]
fn bootstrap_git_drift_in_git_and_cluster_is_planned_readably_and_repaired() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-drift", false);
    let main = format!(
        "{}{}",
        provider_http(&urls.http),
        resource(
            &tf,
            r#"  path       = "clusters/drift"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-drift", &main);
    wd.apply().success();
    // A file deleted in git, the root GitRepository deleted in the cluster, and the
    // credentials Secret changed behind Terraform's back.
    let checkout = clone(&urls.http);
    git(
        checkout.path(),
        &["rm", "-q", "clusters/drift/flux-system/kustomization.yaml"],
    );
    git(checkout.path(), &["commit", "-qm", "remove kustomization"]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
    kubectl(&[
        "-n",
        "flux-system",
        "delete",
        "gitrepository",
        "flux-system",
    ]);
    kubectl(&[
        "-n",
        "flux-system",
        "patch",
        "secret",
        "flux-system",
        "--type",
        "merge",
        "-p",
        r#"{"stringData":{"password":"stale"}}"#,
    ]);
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "drift not planned:\n{}", plan.all());
    let text = plan.all();
    assert!(
        text.contains("# drift: GitRepository flux-system/flux-system is missing"),
        "{text}"
    );
    assert!(text.contains("holds other credentials"), "{text}");
    assert!(
        text.contains("clusters/drift/flux-system/kustomization.yaml"),
        "{text}"
    );
    // Readable: the components file (thousands of lines) is not in the diff.
    assert!(
        text.lines().count() < 400,
        "plan too long: {} lines",
        text.lines().count()
    );
    wd.apply().success();
    assert_plan_empty(&wd);
    let password = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        "jsonpath={.data.password}",
    ]);
    assert_ne!(password.trim(), "c3RhbGU=", "the Secret was not repaired");
    wd.destroy().success();
}

#[test]
fn bootstrap_git_invalid_attributes_fail_at_plan_naming_the_attribute() {
    for tf in Terraform::matrix() {
        let main = format!(
            "{}{}",
            provider_http("http://127.0.0.1:1/none.git"),
            resource(
                &tf,
                r#"  namespace = "Not_A_Label"
  log_level = "verbose""#
            )
        );
        let text = tf
            .workdir("bootstrap-invalid", &main)
            .plan()
            .failure()
            .all();
        for attr in ["namespace", "log_level"] {
            assert!(
                text.contains(&format!("{attr}: invalid")),
                "{} does not name {attr}:\n{text}",
                tf.version
            );
        }
        let main = format!(
            "{}{}",
            provider_http("http://127.0.0.1:1/none.git"),
            resource(&tf, r#"  registry_credentials = "robot:pa:ss""#)
        );
        let text = tf
            .workdir("bootstrap-invalid", &main)
            .plan()
            .failure()
            .all();
        assert!(
            text.contains("registry_credentials requires image_pull_secret"),
            "{}:\n{text}",
            tf.version
        );
    }
}

#[test]
fn bootstrap_git_empty_repository_with_terraform_1_0_3_bootstraps() {
    let _turn = serial();
    let tf = Terraform::legacy();
    let urls = repo("bootstrap-empty", true);
    let main = format!(
        "{}{}",
        provider_http(&urls.http),
        resource(
            &tf,
            r#"  components = ["source-controller", "kustomize-controller"]
  kubernetes = { config_path = "KUBECONFIG_PATH" }
  git        = { url = "GIT_URL", http = { username = "USER", password = "PASSWORD", allow_insecure_http = true } }"#
        )
        .replace("KUBECONFIG_PATH", &var("KUBECONFIG"))
        .replace("GIT_URL", &urls.http)
        .replace("USER", &var("FLUX_TEST_GIT_USERNAME"))
        .replace("PASSWORD", &var("FLUX_TEST_GIT_PASSWORD"))
    );
    let wd = tf.workdir("bootstrap-empty", &main);
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

#[test]
fn bootstrap_git_ssh_with_pinned_known_hosts_bootstraps() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-ssh", false);
    let read = |name: &str| {
        std::fs::read_to_string(var(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    };
    let main = format!(
        r#"
terraform {{
  required_providers {{
    flux = {{ source = "fluxcd/flux" }}
  }}
}}
provider "flux" {{
  kubernetes = {{ config_path = {kubeconfig} }}
  git = {{
    url = {url}
    ssh = {{
      username    = {user}
      private_key = {key}
      known_hosts = {known_hosts}
    }}
  }}
}}
{resource}"#,
        kubeconfig = hcl(&var("KUBECONFIG")),
        url = hcl(&urls.ssh),
        user = hcl(&var("FLUX_TEST_SSH_USERNAME")),
        key = hcl(&read("FLUX_TEST_SSH_KEY_FILE")),
        known_hosts = hcl(&read("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")),
        resource = resource(
            &tf,
            r#"  path       = "clusters/ssh"
  components = ["source-controller", "kustomize-controller"]"#
        ),
    );
    let wd = tf.workdir("bootstrap-ssh", &main);
    wd.apply().success();
    assert_plan_empty(&wd);
    let keys = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(
        keys.contains("\"identity\"") && keys.contains("\"known_hosts\""),
        "{keys}"
    );
    wd.destroy().success();
}

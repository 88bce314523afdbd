//! Helpers of the `flux_bootstrap_git` acceptance tests: configuration snippets, the
//! git and kubectl CLIs against the environment, and polling.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::env::{Environment, RepoUrls};
use crate::terraform::{Terraform, Workdir};

/// The shared environment; a test fails when it cannot start.
pub fn env() -> &'static Environment {
    Environment::shared().unwrap_or_else(|e| panic!("test environment: {e}"))
}

/// One variable of the environment.
pub fn var(name: &str) -> String {
    env()
        .get_var(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

/// The content of the file a variable names.
pub fn read_var_file(name: &str) -> String {
    std::fs::read_to_string(var(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// A new repository; the name gets a per-run suffix since repositories outlive runs.
pub fn repo(name: &str, empty: bool) -> RepoUrls {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!("{name}-{}-{nanos}", std::process::id());
    env()
        .create_repo(&name, empty)
        .unwrap_or_else(|e| panic!("create repo {name}: {e}"))
}

/// A string as an HCL literal (JSON escaping is valid HCL for these values).
pub fn hcl(text: &str) -> String {
    format!("{text:?}")
}

/// The `terraform { required_providers }` block of the drop-in address.
pub fn required_providers() -> &'static str {
    "terraform {\n  required_providers {\n    flux = { source = \"fluxcd/flux\" }\n  }\n}\n"
}

/// The `git = { ... }` value for `url` over HTTP basic auth (plain http, so
/// allow_insecure_http).
pub fn git_http(url: &str) -> String {
    format!(
        "{{\n    url  = {url}\n    http = {{\n      username            = {user}\n      password            = {password}\n      allow_insecure_http = true\n    }}\n  }}",
        url = hcl(url),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
    )
}

/// The provider block over HTTP basic auth on the first cluster.
pub fn provider_http(url: &str) -> String {
    format!(
        "{}provider \"flux\" {{\n  kubernetes = {{ config_path = {kubeconfig} }}\n  git = {git}\n}}\n",
        required_providers(),
        kubeconfig = hcl(&var("KUBECONFIG")),
        git = git_http(url),
    )
}

/// A resource block; under Terraform 1.0.3 every single nested attribute is set
/// (`timeouts`, and `kubernetes` / `git` when `body` has none), since 1.0.3 crashes
/// when one is omitted.
pub fn resource(tf: &Terraform, body: &str) -> String {
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

/// The repository URL with the basic-auth credentials, for the git CLI.
pub fn authed(url: &str) -> String {
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

/// Runs the git CLI in `dir`; fails the test when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
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
pub fn clone(url: &str) -> tempfile::TempDir {
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

/// Commit subjects of the default branch, newest first.
pub fn commit_subjects(url: &str) -> Vec<String> {
    let dir = clone(url);
    git(dir.path(), &["log", "--format=%s"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Writes `files` (path → content) in a clone of `url`, commits them as a user would
/// and pushes. Returns the new commit id.
pub fn push_files(url: &str, message: &str, files: &[(&str, &str)]) -> String {
    let checkout = clone(url);
    for (path, content) in files {
        let file = checkout.path().join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&file, content).unwrap_or_else(|e| panic!("write {path}: {e}"));
        git(checkout.path(), &["add", path]);
    }
    git(checkout.path(), &["commit", "-qm", message]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
    git(checkout.path(), &["rev-parse", "HEAD"])
        .trim()
        .to_string()
}

/// Removes `paths` in a clone of `url`, commits as a user would and pushes.
pub fn remove_files(url: &str, message: &str, paths: &[&str]) {
    let checkout = clone(url);
    for path in paths {
        git(checkout.path(), &["rm", "-q", path]);
    }
    git(checkout.path(), &["commit", "-qm", message]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
}

/// A field of the root Kustomization (`flux-system/flux-system`) of the first cluster.
pub fn root_kustomization(jsonpath: &str) -> String {
    root_object("kustomization", jsonpath)
}

/// A field of the root GitRepository (`flux-system/flux-system`) of the first cluster.
pub fn root_git_repository(jsonpath: &str) -> String {
    root_object("gitrepository", jsonpath)
}

fn root_object(kind: &str, jsonpath: &str) -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        kind,
        "flux-system",
        "-o",
        &format!("jsonpath={jsonpath}"),
    ])
}

/// kubectl against the first cluster; fails the test when kubectl fails.
pub fn kubectl(args: &[&str]) -> String {
    kubectl_at(&var("KUBECONFIG"), args)
}

/// kubectl against the cluster of `kubeconfig`.
pub fn kubectl_at(kubeconfig: &str, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap_or_else(|e| panic!("kubectl {args:?}: {e}"));
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `kubectl get` finds the object (any failure counts as not found).
pub fn kube_object_exists(kubeconfig: &str, args: &[&str]) -> bool {
    Command::new("kubectl")
        .arg("get")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Asks source-controller to fetch the root GitRepository now (the reconcile
/// annotation, as `flux reconcile source git` sets it).
pub fn request_root_fetch() {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    kubectl(&[
        "-n",
        "flux-system",
        "annotate",
        "--overwrite",
        "gitrepository",
        "flux-system",
        &format!("reconcile.fluxcd.io/requestedAt={stamp}"),
    ]);
}

/// Polls `check` every 500 ms until it holds; fails the test with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Asserts that `terraform plan` shows no changes.
pub fn assert_plan_empty(wd: &Workdir) {
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 0, "second plan is not empty:\n{}", plan.report());
}

/// Asserts that `terraform plan` shows changes and names each of `expected`; returns
/// the plan's output.
pub fn assert_plan_shows(wd: &Workdir, expected: &[&str]) -> String {
    let plan = wd.plan_detailed();
    let text = plan.all();
    assert_eq!(plan.code, 2, "no changes planned:\n{text}");
    for fragment in expected {
        assert!(
            text.contains(fragment),
            "the plan does not show {fragment:?}:\n{text}"
        );
    }
    text
}

/// Runs `terraform destroy` in its work directory when dropped while the test panics,
/// so that a failed test leaves no Flux behind for the next one on the shared cluster.
pub struct DestroyOnPanic<'a>(pub &'a Workdir);

impl Drop for DestroyOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.destroy();
        }
    }
}

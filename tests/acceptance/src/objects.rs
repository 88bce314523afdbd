//! Helpers for the Flux object tests: kubectl against the environment's first
//! cluster, Flux CRDs from the manifests fixture, and git pushes and reads with
//! the git CLI.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::env::Environment;

/// The shared environment.
pub fn env() -> &'static Environment {
    Environment::shared().unwrap_or_else(|e| panic!("test environment: {e}"))
}

/// An exported variable of the environment.
pub fn var(name: &str) -> String {
    env()
        .get_var(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

/// A name no earlier run against the same (reused) environment has taken.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{:x}{nanos:08x}", std::process::id())
}

/// `kubectl ARGS` against the first cluster: stdout, or the failure's stderr.
pub fn try_kubectl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", var("KUBECONFIG"))
        .output()
        .unwrap_or_else(|e| panic!("kubectl {args:?}: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A field of an object by a kubectl JSONPath; `None` when the object is not there.
pub fn jsonpath(kind: &str, namespace: &str, name: &str, path: &str) -> Option<String> {
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

/// `kubectl ARGS`, which must succeed.
pub fn kubectl(args: &[&str]) -> String {
    try_kubectl(args).unwrap_or_else(|e| panic!("kubectl {args:?} failed: {e}"))
}

/// Polls `check` every 500 ms until it returns a value, for at most `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn fixture(name: &str) -> PathBuf {
    crate::terraform::workspace_root()
        .join("core/flux-manifests/v2.9.4")
        .join(name)
}

/// Applies the CustomResourceDefinitions of the built-in Flux manifests (`source-controller.yaml`,
/// ...) server-side and waits until they are Established; the environment starts the
/// controllers once their CRDs exist.
pub fn apply_flux_crds(files: &[&str]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut crds = String::new();
    for file in files {
        let text = std::fs::read_to_string(fixture(file))
            .unwrap_or_else(|e| panic!("read fixture {file}: {e}"));
        for doc in text.split("\n---") {
            if doc.contains("\nkind: CustomResourceDefinition") {
                crds.push_str("---\n");
                crds.push_str(doc.trim_start_matches('\n'));
                crds.push('\n');
            }
        }
    }
    let path = dir.path().join("crds.yaml");
    std::fs::write(&path, crds).unwrap_or_else(|e| panic!("{e}"));
    let path = path.to_string_lossy().into_owned();
    kubectl(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=flux-acceptance-objects",
        "-f",
        &path,
    ]);
    kubectl(&[
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "-f",
        &path,
    ]);
}

/// The URL with the environment's basic-auth credentials, for the git CLI.
pub fn authed(url: &str) -> String {
    url.replacen(
        "://",
        &format!(
            "://{}:{}@",
            var("FLUX_TEST_GIT_USERNAME"),
            var("FLUX_TEST_GIT_PASSWORD")
        ),
        1,
    )
}

/// Runs git in `dir`.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=acceptance",
            "-c",
            "user.email=acceptance@example.invalid",
        ])
        .args(["-c", "init.defaultBranch=main", "-c", "credential.helper="])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Pushes `files` (path, content) as one commit on `main` of an empty repository.
pub fn push_files(url: &str, files: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (path, content) in files {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&full, content).unwrap_or_else(|e| panic!("{e}"));
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "fixture"]);
    git(
        dir.path(),
        &["push", "-q", &authed(url), "HEAD:refs/heads/main"],
    );
}

/// A fresh clone of `main`.
pub fn clone(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().to_string_lossy().into_owned();
    git(dir.path(), &["clone", "-q", &authed(url), &target]);
    dir
}

/// A ConfigMap manifest.
pub fn configmap(namespace: &str, name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  value: {value:?}\n"
    )
}

/// The `terraform` and `provider "flux"` blocks for the environment's first cluster,
/// with a `git` block for `git_url` (basic auth over plain HTTP) when given.
pub fn provider_header(git_url: Option<&str>) -> String {
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

/// HCL string literal.
pub fn hcl(text: &str) -> String {
    format!("{text:?}")
}

//! Faults made real against one bootstrap each: the git server's port closed, a push
//! cut mid-pack or held (through [`FaultProxy`], in front of the real git server), the
//! API server's port closed the same way, Terraform interrupted, another writer pushing
//! during the apply, the branch rewritten or the bootstrap path deleted, the namespace
//! deleted by hand, the cluster recreated empty, the git credentials revoked. Each test
//! checks what the user sees, what is left behind, and that the next apply converges to
//! an empty plan; each also checks its row of `docs/guides/faults.md`, so the table
//! cannot drift from what the tests assert.
//!
//! [`FaultProxy`]: acceptance::fault_proxy::FaultProxy
#![expect(
    clippy::panic,
    reason = "a guide that cannot be read fails the calling test"
)]

mod api_server;
mod credentials;
mod git_server;
mod interrupted;
mod object_cluster;
mod object_git;
mod objects;
mod recreated;
mod rewritten;

use acceptance::fixture::var;
use acceptance::git::{clone, git};
use acceptance::hcl::{bootstrap_resource, git_http, provider_with};
use acceptance::kube::kubectl;
use acceptance::terraform::{workspace_root, Terraform, Workdir};

/// One row of the guide's table.
struct Row {
    fault: &'static str,
    user_sees: &'static str,
    left: &'static str,
    next_apply: &'static str,
}

impl Row {
    fn line(&self) -> String {
        format!(
            "| {} | {} | {} | {} |",
            self.fault, self.user_sees, self.left, self.next_apply
        )
    }
}

/// Fails unless the guide has exactly this row.
fn assert_documented(row: &Row) {
    let path = workspace_root().join("docs/guides/faults.md");
    let guide =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        guide.lines().any(|l| l == row.line()),
        "{} has no row\n{}",
        path.display(),
        row.line()
    );
}

/// A bootstrap of the two default controllers that matter here, into `url`.
fn config(tf: &Terraform, url: &str, path: &str) -> String {
    config_with(tf, &git_http(url), &var("KUBECONFIG"), path)
}

/// The same bootstrap with the provider's `git` value and kubeconfig given.
fn config_with(tf: &Terraform, git: &str, kubeconfig: &str, path: &str) -> String {
    format!(
        "{}{}",
        provider_with(Some(kubeconfig), Some(git)),
        bootstrap_resource(
            tf,
            &format!(
                "  path       = \"{path}\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n  timeouts   = {{ create = \"4m\", update = \"4m\" }}"
            )
        )
    )
}

/// The first cluster's API server URL.
fn api_server() -> String {
    kubectl(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.server}",
    ])
}

/// A copy of the environment's kubeconfig whose server is `server_to`.
fn kubeconfig_via(server_from: &str, server_to: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(var("KUBECONFIG"))
        .unwrap_or_else(|e| panic!("read KUBECONFIG: {e}"));
    assert!(
        text.contains(server_from),
        "no {server_from} in the kubeconfig"
    );
    let file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(file.path(), text.replace(server_from, server_to))
        .unwrap_or_else(|e| panic!("{e}"));
    file
}

/// Replaces the branch `main` of `url` by a one-commit history of its own (a
/// README), with a force-push, as someone rewriting the repository would.
fn force_push_unrelated_history(url: &str) {
    let checkout = clone(url);
    let dir = checkout.path();
    git(dir, &["checkout", "--orphan", "unrelated"]);
    git(dir, &["rm", "-r", "-q", "--cached", "."]);
    std::fs::write(dir.join("README.md"), "another history\n").unwrap_or_else(|e| panic!("{e}"));
    git(dir, &["add", "README.md"]);
    git(dir, &["commit", "-q", "-m", "unrelated history"]);
    git(dir, &["push", "-q", "--force", "origin", "unrelated:main"]);
}

/// Fails unless the plan creates the `flux_source_git.app` of the configuration.
fn assert_plans_the_object(wd: &Workdir) {
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    assert!(
        plan.all().contains("flux_source_git.app will be created"),
        "{}",
        plan.report()
    );
}

fn namespaces() -> String {
    kubectl(&["get", "namespaces", "-o", "name"])
}

/// On a failing test: destroys the bootstrap, and when a failed create left Flux
/// without state, imports it first, so that the next test finds a clean cluster.
struct CleanUp<'a>(&'a Workdir);

impl Drop for CleanUp<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let _ = self.0.destroy();
        if namespaces().lines().any(|n| n == "namespace/flux-system") {
            let _ = self
                .0
                .run(&["import", "flux_bootstrap_git.this", "flux-system"]);
            let _ = self.0.destroy();
        }
    }
}

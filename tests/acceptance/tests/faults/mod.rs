//! Faults made real against one bootstrap each: the git server's port closed or a push
//! cut mid-pack (through [`FaultProxy`], in front of the real git server), Terraform
//! interrupted, another writer pushing during the apply, the branch rewritten, the
//! namespace deleted by hand. Each test checks what the user sees, what is left behind,
//! and that the next apply converges to an empty plan; each also checks its row of
//! `docs/guides/faults.md`, so the table cannot drift from what the tests assert.
#![expect(
    clippy::panic,
    reason = "a guide that cannot be read fails the calling test"
)]

mod git_server;
mod interrupted;
mod objects;
mod rewritten;

use acceptance::hcl::{bootstrap_resource, provider};
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
    format!(
        "{}{}",
        provider(Some(url)),
        bootstrap_resource(
            tf,
            &format!(
                "  path       = \"{path}\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n  timeouts   = {{ create = \"4m\", update = \"4m\" }}"
            )
        )
    )
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

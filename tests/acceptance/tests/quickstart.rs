//! The README's first-ten-minutes flow, as a new user runs it: `examples/quickstart/run`
//! bootstraps Flux into the environment and shows it Ready with an empty second plan;
//! `--down` destroys it. Here it runs against the shared environment (the script
//! reuses an environment whose variables are set) on the shared cluster's turn, with
//! the provider build the other tests use: a rebuild here would swap the binary
//! under the tests running beside it (`cargo test --workspace` and `cargo build -p`
//! resolve features differently, so their builds differ).
#![cfg(test)]

use std::process::{Command, Output};

use acceptance::env::{cluster_turn, Environment};
use acceptance::terraform::excerpt;

fn quickstart(dir: &std::path::Path, args: &[&str]) -> Output {
    let env = Environment::shared().unwrap();
    Command::new(acceptance::terraform::workspace_root().join("examples/quickstart/run"))
        .args(args)
        .env("QUICKSTART_DIR", dir)
        .env_remove("TF_CLI_CONFIG_FILE")
        .env(
            "FLUX_TEST_PROVIDER_DIR",
            acceptance::terraform::provider_dir(),
        )
        .envs(env.vars())
        .output()
        .unwrap()
}

/// Runs `--down` when dropped while the test panics, so that a failure does not
/// leave its bootstrap for the next test on the cluster.
struct DownOnPanic<'a>(&'a std::path::Path);

impl Drop for DownOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = quickstart(self.0, &["--down"]);
        }
    }
}

#[test]
fn quickstart_bootstraps_flux_ready_with_an_empty_second_plan() {
    let _turn = cluster_turn();
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = DownOnPanic(dir.path());

    let up = quickstart(dir.path(), &[]);
    let out =
        String::from_utf8_lossy(&up.stdout).to_string() + &String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "quickstart failed:\n{}", excerpt(&out));
    assert!(
        out.contains("Apply complete! Resources: 1 added"),
        "{}",
        excerpt(&out)
    );
    let ready_rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("/flux-system") && l.contains(" True "))
        .collect();
    assert_eq!(
        ready_rows.len(),
        2,
        "GitRepository and Kustomization Ready:\n{}",
        excerpt(&out)
    );
    assert!(out.contains("No changes."), "{}", excerpt(&out));

    let down = quickstart(dir.path(), &["--down"]);
    let out =
        String::from_utf8_lossy(&down.stdout).to_string() + &String::from_utf8_lossy(&down.stderr);
    assert!(
        down.status.success(),
        "quickstart --down failed:\n{}",
        excerpt(&out)
    );
    assert!(
        out.contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        excerpt(&out)
    );
}

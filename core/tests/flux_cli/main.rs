//! Golden tests against the real Flux CLI: what this library renders must be what
//! `flux install --export` and `flux create ... --export` print for the same settings.
//!
//! The CLI is built by the setup (`tests/acceptance/env/build/go-servers.sh flux-cli`,
//! Flux's own module with the built-in manifests embedded, as Flux's release does). Its
//! output for every case is kept under `core/tests/flux_cli/golden/`, so the comparison
//! also runs where the CLI is not built; `live_cli_prints_the_golden_files` reruns the CLI
//! and requires the same bytes (CI always has the CLI). `FLUX_GOLDEN_UPDATE=1` rewrites
//! the golden files from the CLI.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

mod install;
mod objects;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One golden case: the CLI arguments and the file that holds their output.
pub struct Case {
    /// The file stem under `golden/<group>/`.
    pub name: &'static str,
    /// Arguments after `flux`.
    pub args: Vec<String>,
}

pub fn golden_dir(group: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flux_cli/golden")
        .join(group)
}

/// The golden output of a case.
pub fn golden(group: &str, name: &str) -> String {
    let path = golden_dir(group).join(format!("{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (FLUX_GOLDEN_UPDATE=1 with the Flux CLI built writes it)",
            path.display()
        )
    })
}

/// The Flux CLI built by the setup, when it is there.
fn flux_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FLUX_TEST_FLUX_CLI") {
        return Some(PathBuf::from(path));
    }
    let cache = std::env::var_os("FLUX_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/flux-provider-test")
        });
    let path = cache.join("go/bin/flux");
    path.is_file().then_some(path)
}

fn run_cli(cli: &Path, args: &[String]) -> String {
    // An empty HOME and no kubeconfig: `--export` must not need a cluster.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(cli)
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cli.display()));
    assert!(
        out.status.success(),
        "flux {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn live_cli_prints_the_golden_files() {
    let Some(cli) = flux_cli() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Flux CLI: CI runs tests/acceptance/env/setup, which builds it"
        );
        eprintln!("skipped: no Flux CLI (run tests/acceptance/env/setup)");
        return;
    };
    let update = std::env::var_os("FLUX_GOLDEN_UPDATE").is_some();
    let groups = [
        ("install", install::cases()),
        ("objects", objects::cli_cases()),
    ];
    let mut checked = 0;
    for (group, cases) in groups {
        std::fs::create_dir_all(golden_dir(group)).unwrap();
        for case in cases {
            let printed = run_cli(&cli, &case.args);
            let path = golden_dir(group).join(format!("{}.yaml", case.name));
            if update {
                std::fs::write(&path, &printed).unwrap();
            } else {
                assert_eq!(
                    printed,
                    golden(group, case.name),
                    "flux {:?} printed other bytes than {}",
                    case.args,
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 24, "only {checked} golden cases");
}

//! The release archives of `release/build` install the way a published provider
//! does: Terraform takes the zip from a packed filesystem mirror (no dev_overrides),
//! records the hash of our binary under its versioned name, and runs it.
#![cfg(test)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use acceptance::terraform::Terraform;

const VERSION: &str = "0.1.0";

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    flux = { source = "fluxcd/flux", version = "0.1.0" }
  }
}

provider "flux" {
  kubernetes = {
    host = "https://127.0.0.1:6443"
  }
  git = {
    url  = "https://127.0.0.1/org/repo.git"
    http = { username = "flux", password = "secret" }
  }
}

data "flux_sync" "this" {
  url         = "https://127.0.0.1/org/repo.git"
  target_path = "clusters/dev"
}
"#;

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
}

/// Runs `release/build` once per test run on the provider the tests use (the debug
/// build, so that the test does not pay for a release build); returns the output
/// directory, which the next run overwrites.
fn package_debug_build() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let binary = acceptance::terraform::provider_dir().join("terraform-provider-flux");
        let out = binary.with_file_name("release-test-dist");
        let _ = std::fs::remove_dir_all(&out);
        let run = Command::new(repository_root().join("release/build"))
            .args(["--version", VERSION, "--platforms", "linux_amd64", "--out"])
            .arg(&out)
            .arg("--binary")
            .arg(&binary)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "release/build: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        out
    })
}

/// Terraform's "h1:" package hash (Go's dirhash Hash1) of a package holding one file.
fn h1_of_single_file(file: &Path, name: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest as _, Sha256};
    let file_hash = Sha256::digest(std::fs::read(file).unwrap());
    let summary = format!("{}  {name}\n", hex(&file_hash));
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA256SUMS entry of `file`, read as the registry protocol reads it.
fn listed_sha256(sums: &str, file: &str) -> String {
    sums.lines()
        .find_map(|line| {
            let (hash, name) = line.split_once("  ")?;
            (name == file).then(|| hash.to_string())
        })
        .unwrap_or_else(|| panic!("{file} is not listed in SHA256SUMS:\n{sums}"))
}

#[test]
fn release_archive_layout_is_the_registry_layout() {
    let out = package_debug_build();
    let zip = format!("terraform-provider-flux_{VERSION}_linux_amd64.zip");
    let manifest = format!("terraform-provider-flux_{VERSION}_manifest.json");
    let sums =
        std::fs::read_to_string(out.join(format!("terraform-provider-flux_{VERSION}_SHA256SUMS")))
            .unwrap();
    assert_eq!(sums.lines().count(), 2, "{sums}");
    listed_sha256(&sums, &zip);
    listed_sha256(&sums, &manifest);

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(&manifest)).unwrap()).unwrap();
    assert_eq!(manifest["version"], 1);
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let listing = Command::new("unzip")
        .arg("-Z")
        .arg(out.join(&zip))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).to_string();
    let entries: Vec<&str> = listing.lines().filter(|l| l.starts_with('-')).collect();
    assert_eq!(entries.len(), 1, "{listing}");
    assert!(entries[0].starts_with("-rwxr-xr-x"), "{listing}");
    assert!(
        entries[0].ends_with(&format!(" terraform-provider-flux_v{VERSION}")),
        "{listing}"
    );
}

#[test]
fn release_zip_installs_from_a_packed_mirror_and_runs_our_binary() {
    let out = package_debug_build();
    let zip = format!("terraform-provider-flux_{VERSION}_linux_amd64.zip");
    let sums =
        std::fs::read_to_string(out.join(format!("terraform-provider-flux_{VERSION}_SHA256SUMS")))
            .unwrap();
    let listed = listed_sha256(&sums, &zip);
    use sha2::{Digest as _, Sha256};
    assert_eq!(
        listed,
        hex(&Sha256::digest(std::fs::read(out.join(&zip)).unwrap())),
        "SHA256SUMS does not match the archive"
    );

    for tf in Terraform::matrix() {
        let mirror = tempfile::tempdir().unwrap();
        let dir = mirror.path().join(tf.registry_host()).join("fluxcd/flux");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(out.join(&zip), dir.join(&zip)).unwrap();

        let mut wd = tf.workdir("release-mirror", MAIN_TF);
        wd.install_from_mirror(mirror.path());

        let init = wd.run(&["init"]);
        assert_eq!(
            init.code,
            0,
            "Terraform {} init:\n{}",
            tf.version,
            init.all()
        );
        // From a mirror Terraform records the "h1:" hash of what it unpacked: it must
        // be the hash of our binary under the versioned name, nothing else in the zip.
        let lock = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).unwrap();
        let expected = h1_of_single_file(
            &acceptance::terraform::provider_dir().join("terraform-provider-flux"),
            &format!("terraform-provider-flux_v{VERSION}"),
        );
        assert!(
            lock.contains(&format!("\"{expected}\"")),
            "Terraform {}: lock file without {expected}:\n{lock}",
            tf.version
        );
        assert!(
            lock.contains(&format!("version     = \"{VERSION}\"")),
            "{lock}"
        );

        let plan = wd.plan();
        assert_eq!(
            plan.code,
            0,
            "Terraform {} plan:\n{}",
            tf.version,
            plan.all()
        );
        assert!(
            !plan.all().contains("development overrides"),
            "{}",
            plan.all()
        );
    }
}

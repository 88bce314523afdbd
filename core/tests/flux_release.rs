//! The built-in Flux release manifests (`core/flux-manifests/<version>/`): every
//! controller image at the tag Flux's own module pins, the checksum list intact, and
//! the files equal to what `core/flux-manifests/generate` makes from the modules.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flux_core::manifests::{parse_documents, BaseManifests};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn release_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("flux-manifests");
    let version = std::fs::read_to_string(root.join("VERSION")).unwrap();
    root.join(version.trim())
}

/// `<controller>` → `<tag>`, read from flux2's `manifests/bases/*/kustomization.yaml`
/// (copied verbatim into `pins/` by the generator), whose resources are the
/// controllers' release asset URLs.
fn pinned_tags() -> BTreeMap<String, String> {
    let mut pins = BTreeMap::new();
    for entry in std::fs::read_dir(release_dir().join("pins")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let kustomization: Value = serde_norway::from_str(&text).unwrap();
        for resource in kustomization["resources"].as_array().unwrap() {
            let url = resource.as_str().unwrap();
            let Some(rest) = url.strip_prefix("https://github.com/fluxcd/") else {
                continue;
            };
            // <controller>/releases/download/<tag>/<asset>
            let parts: Vec<&str> = rest.split('/').collect();
            assert_eq!(parts[1..3], ["releases", "download"], "{url}");
            pins.insert(parts[0].to_string(), parts[3].to_string());
        }
    }
    pins
}

#[test]
fn every_controller_image_carries_the_tag_flux_pins() {
    let pins = pinned_tags();
    assert_eq!(
        pins.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "helm-controller",
            "image-automation-controller",
            "image-reflector-controller",
            "kustomize-controller",
            "notification-controller",
            "source-controller",
            "source-watcher",
        ]
    );
    for (controller, tag) in &pins {
        let text = std::fs::read_to_string(release_dir().join(format!("{controller}.yaml")))
            .unwrap_or_else(|e| panic!("{controller}.yaml: {e}"));
        let images: Vec<String> = parse_documents(&text)
            .unwrap()
            .iter()
            .filter(|o| o["kind"] == "Deployment")
            .flat_map(|d| {
                d["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["image"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(images, [format!("fluxcd/{controller}:{tag}")]);
    }
}

/// The files themselves are compared with the embedded set by
/// `manifests::base_manifests_from_dir_equals_embedded`.
#[test]
fn embedded_version_is_the_release_directory() {
    let dir = release_dir();
    assert_eq!(
        BaseManifests::embedded_version(),
        dir.file_name().unwrap().to_string_lossy()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("VERSION")).unwrap().trim(),
        BaseManifests::embedded_version()
    );
}

#[test]
fn checksum_list_matches_every_file() {
    let dir = release_dir();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(hex(&Sha256::digest(&bytes)), sum, "{name}");
        checked += 1;
    }
    // 9 manifests, VERSION and 7 pinned bases.
    assert_eq!(checked, 17);
}

/// The setup regenerates the manifests from the modules (`go-servers.sh
/// flux-manifests`); they must be the committed ones byte for byte.
#[test]
fn committed_manifests_equal_a_regeneration_from_the_modules() {
    let dir = release_dir();
    let cache = std::env::var_os("FLUX_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/flux-provider-test")
        });
    let regenerated = cache
        .join("go/bin/flux-manifests")
        .join(dir.file_name().unwrap());
    if !regenerated.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing: CI runs tests/acceptance/env/setup, which regenerates it",
            regenerated.display()
        );
        eprintln!(
            "skipped: no regeneration at {} (run tests/acceptance/env/setup)",
            regenerated.display()
        );
        return;
    }
    let committed = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let fresh = std::fs::read_to_string(regenerated.join("SHA256SUMS")).unwrap();
    assert_eq!(
        fresh, committed,
        "core/flux-manifests differs from a regeneration: run core/flux-manifests/generate"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

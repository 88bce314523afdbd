//! Embeds Flux's per-component base manifests into the library.
//!
//! The manifests are the built-in Flux version's, kept in this crate under
//! `flux-manifests/<version>/` (the version is named by `flux-manifests/VERSION`) and made by
//! `flux-manifests/generate`. `FLUX_MANIFESTS_DIR` points the build at another directory of
//! the same files instead. The embedded Flux version is read from a `VERSION` file in the
//! directory when there is one, else it is the directory's own name (`v2.9.4`).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const FILES: [&str; 9] = [
    "source-controller.yaml",
    "kustomize-controller.yaml",
    "helm-controller.yaml",
    "notification-controller.yaml",
    "image-reflector-controller.yaml",
    "image-automation-controller.yaml",
    "source-watcher.yaml",
    "rbac.yaml",
    "policies.yaml",
];

fn main() {
    if let Err(message) = run() {
        // Cargo shows a failing build script's stderr to the user.
        #[expect(clippy::print_stderr, reason = "the build script's only error channel")]
        {
            eprintln!("error: {message}");
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=FLUX_MANIFESTS_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = manifests_dir()?;
    println!("cargo:rerun-if-changed={}", dir.display());
    let version = embedded_version(&dir)?;
    let mut code = String::new();
    let _ = writeln!(code, "/// Flux version of the embedded base manifests.");
    let _ = writeln!(code, "pub const EMBEDDED_VERSION: &str = {version:?};");
    let _ = writeln!(
        code,
        "pub(crate) const EMBEDDED_FILES: &[(&str, &str)] = &["
    );
    for name in FILES {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(format!(
                "{} is missing from the Flux manifests directory {}",
                name,
                dir.display()
            ));
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let absolute = fs::canonicalize(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    fs::write(out.join("embedded_manifests.rs"), code).map_err(|e| format!("write: {e}"))
}

fn manifests_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("FLUX_MANIFESTS_DIR") {
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            return Err(format!(
                "FLUX_MANIFESTS_DIR={} is not a directory",
                dir.display()
            ));
        }
        return Ok(dir);
    }
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let root = crate_dir.join("flux-manifests");
    let pointer = root.join("VERSION");
    println!("cargo:rerun-if-changed={}", pointer.display());
    let version = fs::read_to_string(&pointer)
        .map_err(|e| format!("{}: {e} (the built-in Flux version)", pointer.display()))?;
    let dir = root.join(version.trim());
    if dir.is_dir() {
        return Ok(dir);
    }
    Err(format!(
        "no Flux manifests at {}: run core/flux-manifests/generate, or set FLUX_MANIFESTS_DIR to \
         a directory holding the per-component files of Flux's manifests.tar.gz",
        dir.display()
    ))
}

fn embedded_version(dir: &Path) -> Result<String, String> {
    let version_file = dir.join("VERSION");
    let version = if version_file.is_file() {
        println!("cargo:rerun-if-changed={}", version_file.display());
        fs::read_to_string(&version_file)
            .map_err(|e| format!("{}: {e}", version_file.display()))?
            .trim()
            .to_string()
    } else {
        let canonical = fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let looks_like_version = version.starts_with('v')
        && version[1..].split('.').count() >= 3
        && version[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit());
    if !looks_like_version {
        return Err(format!(
            "cannot tell the Flux version of {}: name the directory after it (v2.9.4) or put it \
             in a VERSION file there",
            dir.display()
        ));
    }
    Ok(version)
}

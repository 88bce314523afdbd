//! Every example under `examples/` (the registry pages show them) passes
//! `terraform validate` with this provider: each directory is one module, with the
//! provider's `required_providers` added where the snippet leaves it out.
#![cfg(test)]

use acceptance::terraform::{workspace_root, Terraform};

const REQUIRED_PROVIDERS: &str =
    "terraform {\n  required_providers {\n    flux = { source = \"fluxcd/flux\" }\n  }\n}\n";

fn example_dirs() -> Vec<std::path::PathBuf> {
    let examples = workspace_root().join("examples");
    let mut dirs = Vec::new();
    for group in ["resources", "data-sources"] {
        for entry in std::fs::read_dir(examples.join(group)).unwrap() {
            dirs.push(entry.unwrap().path());
        }
    }
    for single in ["provider", "quickstart", "bootstrap-local"] {
        dirs.push(examples.join(single));
    }
    dirs.sort();
    dirs
}

#[test]
fn examples_every_directory_validates() {
    let tf = Terraform::latest();
    let dirs = example_dirs();
    assert!(dirs.len() >= 18, "{dirs:?}");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let wd = tf.workdir(&format!("example-{name}"), "");
        std::fs::remove_file(wd.path().join("main.tf")).unwrap();
        let mut sources = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
                std::fs::copy(&path, wd.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        assert!(!sources.is_empty(), "no .tf file in {}", dir.display());
        if !sources.contains("required_providers") {
            std::fs::write(wd.path().join("versions.tf"), REQUIRED_PROVIDERS).unwrap();
        }
        let out = wd.validate();
        if out.code != 0 {
            failures.push(format!("{}:\n{}", dir.display(), out.all()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

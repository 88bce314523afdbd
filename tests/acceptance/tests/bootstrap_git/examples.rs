//! The resource's examples are valid configurations for both CLIs' current one.

use acceptance::terraform::{workspace_root, Terraform};

/// Every `.tf` file of `examples/resources/flux_bootstrap_git` passes
/// `terraform validate` together (they form one module).
#[test]
fn bootstrap_git_examples_validate() {
    let tf = Terraform::latest();
    let dir = workspace_root().join("examples/resources/flux_bootstrap_git");
    let wd = tf.workdir("bootstrap-examples", "");
    let mut copied = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, wd.path().join(path.file_name().unwrap())).unwrap();
            copied += 1;
        }
    }
    assert!(copied >= 2, "no examples in {}", dir.display());
    std::fs::remove_file(wd.path().join("main.tf")).unwrap();
    let out = wd.validate();
    assert_eq!(out.code, 0, "{}", out.all());
}

//! The examples: the resource's snippets validate, the local stack applies against
//! the environment.

use acceptance::fixture::{repo, var};
use acceptance::git::commit_subjects;
use acceptance::hcl::hcl;
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::terraform::{workspace_root, Terraform};

use super::serial;

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

/// `examples/bootstrap-local` bootstraps the environment's cluster as its comment says,
/// plans empty afterwards and destroys cleanly.
#[test]
fn bootstrap_git_local_example_applies_against_the_environment() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-example", false);
    let main =
        std::fs::read_to_string(workspace_root().join("examples/bootstrap-local/main.tf")).unwrap();
    let wd = tf.workdir("bootstrap-example", &main);
    std::fs::write(
        wd.path().join("terraform.tfvars"),
        format!(
            "kubeconfig     = {}\nrepository_url = {}\ngit_username   = {}\ngit_password   = {}\n",
            hcl(&var("KUBECONFIG")),
            hcl(&urls.http),
            hcl(&var("FLUX_TEST_GIT_USERNAME")),
            hcl(&var("FLUX_TEST_GIT_PASSWORD")),
        ),
    )
    .unwrap();
    let _cleanup = DestroyOnPanic(&wd);
    let out = wd.apply().success();
    assert!(
        out.stdout
            .contains("clusters/local/flux-system/gotk-sync.yaml"),
        "{}",
        out.stdout
    );
    assert_plan_empty(&wd);
    wd.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "Uninstall Flux");
}

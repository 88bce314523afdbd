//! Commit signing with an SSH key (`git.ssh_signing_key`), beside GPG.

use acceptance::fixture::{read_var_file, repo, var};
use acceptance::git::{clone, git};
use acceptance::hcl::{bootstrap_resource, git_http, hcl, required_providers};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::terraform::Terraform;

use super::serial;

fn provider(git_settings: &str) -> String {
    format!(
        "{}provider \"flux\" {{\n  kubernetes = {{ config_path = {} }}\n  git = {}\n}}\n",
        required_providers(),
        hcl(&var("KUBECONFIG")),
        git_settings
    )
}

/// Every commit of the bootstrap carries an SSH signature git verifies against the
/// signing key's public half.
#[test]
fn bootstrap_git_ssh_signing_key_signs_every_commit() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-signed", false);
    let settings = git_http(&urls.http).replacen(
        "{\n",
        &format!(
            "{{\n    author_email    = \"flux@example.com\"\n    ssh_signing_key = {}\n",
            hcl(&read_var_file("FLUX_TEST_SSH_KEY_FILE"))
        ),
        1,
    );
    let main = format!(
        "{}{}",
        provider(&settings),
        bootstrap_resource(
            &tf,
            "  path       = \"clusters/signed\"\n  components = [\"source-controller\", \"kustomize-controller\"]"
        )
    );
    let wd = tf.workdir("bootstrap-signed", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    let checkout = clone(&urls.http);
    let public = std::fs::read_to_string(format!("{}.pub", var("FLUX_TEST_SSH_KEY_FILE"))).unwrap();
    let allowed = checkout.path().join(".git/allowed_signers");
    std::fs::write(&allowed, format!("flux@example.com {public}")).unwrap();
    let allowed = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let status = git(
        checkout.path(),
        &["-c", &allowed, "log", "-2", "--format=%G? %s"],
    );
    assert_eq!(
        status, "G Add Flux sync manifests\nG Add Flux v2.9.4 component manifests",
        "{status}"
    );
    wd.destroy().success();
    let checkout = clone(&urls.http);
    git(checkout.path(), &["-c", &allowed, "verify-commit", "HEAD"]);
}

/// SSH and GPG signing are exclusive, and a key that does not parse is reported at
/// plan time without echoing it (it appears only in Terraform's own source snippets).
#[test]
fn bootstrap_git_ssh_signing_key_invalid_or_with_gpg_fails_at_plan() {
    let tf = Terraform::latest();
    let settings = git_http("http://127.0.0.1:1/none.git").replacen(
        "{\n",
        "{\n    gpg_key_ring    = \"/nonexistent/ring.asc\"\n    ssh_signing_key = \"not-a-key-SECRETVALUE\"\n",
        1,
    );
    let main = format!(
        "{}{}",
        provider(&settings),
        bootstrap_resource(&tf, "  path = \"x\"")
    );
    let out = tf
        .workdir("bootstrap-signing-invalid", &main)
        .plan()
        .failure();
    let text = out.flat();
    assert!(text.contains("Conflicting Commit Signing"), "{text}");
    assert!(text.contains("Invalid SSH Signing Key"), "{text}");
    let snippets = text
        .matches("ssh_signing_key = \"not-a-key-SECRETVALUE\"")
        .count();
    assert_eq!(
        text.matches("SECRETVALUE").count(),
        snippets,
        "the key was echoed: {text}"
    );
}

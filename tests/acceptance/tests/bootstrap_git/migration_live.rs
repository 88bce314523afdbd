//! Switching from the reference provider, live: the reference provider
//! (fluxcd/terraform-provider-flux v1.8.5) bootstraps, then the same `main.tf` and the
//! state it wrote are handed to this provider (only the provider binary changes): the
//! plan must be empty, and this provider's destroy must uninstall.
//!
//! Needs the reference binary in `FLUX_TEST_REFERENCE_PROVIDER_DIR`, built from source
//! snapshots by `tests/acceptance/env/build/reference-provider-from-source` (the Go
//! module proxy refuses two of its dependencies). CI cannot fetch those sources, so
//! without the variable the tests print why and pass without running.

use std::path::PathBuf;
use std::time::Duration;

use acceptance::fixture::{read_var_file, repo, var};
use acceptance::hcl::{hcl, provider, required_providers};
use acceptance::kube::{kubectl, object_exists, root_git_repository};
use acceptance::plan::DestroyOnPanic;
use acceptance::poll::wait_until;
use acceptance::terraform::{provider_dir, Terraform};

use super::serial;

const DIR_VAR: &str = "FLUX_TEST_REFERENCE_PROVIDER_DIR";

/// The reference provider's directory, or `None` after printing why the test skips.
fn reference_dir(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os(DIR_VAR).map(PathBuf::from) else {
        eprintln!(
            "{test}: skipped: {DIR_VAR} is not set. The reference provider builds only from \
             source snapshots CI cannot fetch (tests/acceptance/env/build/reference-provider-from-source)."
        );
        return None;
    };
    assert!(
        dir.join("terraform-provider-flux").is_file(),
        "{DIR_VAR}={} holds no terraform-provider-flux",
        dir.display()
    );
    Some(dir)
}

/// The resource as a user of the reference writes it offline: the Flux version the
/// reference binary embeds (this project's built-in one), from its embedded manifests.
fn resource_block(path: &str) -> String {
    let version = include_str!("../../../../core/flux-manifests/VERSION").trim();
    format!(
        "resource \"flux_bootstrap_git\" \"this\" {{\n  path               = {}\n  version            = {}\n  embedded_manifests = true\n}}\n",
        hcl(path),
        hcl(version)
    )
}

/// Waits until no Flux CRD of an earlier uninstall is left terminating: the reference's
/// install times out on one (`timeout waiting for: [CustomResourceDefinition/… status:
/// 'Terminating']`), and one can take minutes to go when the apiserver's CRD finalizer
/// meets "could not list instances: storage is (re)initializing" and backs off.
fn wait_for_terminating_flux_crds() {
    wait_until(
        Duration::from_secs(600),
        "Flux CRDs of an earlier uninstall to be gone",
        || {
            kubectl(&[
                "get",
                "crd",
                "-o",
                "jsonpath={range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name}{\"\\n\"}{end}",
            ])
            .lines()
            .all(|name| !name.ends_with(".toolkit.fluxcd.io"))
        },
    );
}

/// Bootstraps `main` with the reference provider into the (non-empty) repository it
/// names, switches the work directory to this provider, and checks that the plan is
/// empty and that the destroy uninstalls. `check_bootstrap` runs after the
/// reference's apply.
fn migrate(test: &str, reference: &std::path::Path, main: &str, check_bootstrap: impl Fn()) {
    let tf = Terraform::latest();
    let wd = tf.workdir(test, main);
    wd.use_provider_dir(reference);
    let _cleanup = DestroyOnPanic(&wd);
    wait_for_terminating_flux_crds();
    let applied = wd.apply();
    assert_eq!(
        applied.code,
        0,
        "the reference provider's bootstrap failed:\n{}",
        applied.all()
    );
    // Terraform names the overridden provider's directory in its warning.
    assert!(
        applied.flat().contains(&reference.display().to_string()),
        "the apply did not run the reference provider:\n{}",
        applied.all()
    );
    assert!(
        object_exists(&var("KUBECONFIG"), &["namespace", "flux-system"]),
        "the reference's apply left no flux-system namespace"
    );
    check_bootstrap();
    let reference_plan = wd.plan_detailed();
    assert_eq!(
        reference_plan.code,
        0,
        "the reference provider's own second plan is not empty:\n{}",
        reference_plan.all()
    );

    // The switch: only the provider binary changes.
    wd.use_provider_under_test();
    let plan = wd.plan_detailed();
    assert_eq!(
        plan.code,
        0,
        "the plan after switching from the reference provider is not empty:\n{}",
        plan.all()
    );
    assert!(
        plan.flat().contains(&provider_dir().display().to_string()),
        "the plan did not run this provider:\n{}",
        plan.all()
    );

    wd.destroy().success();
    assert!(
        !object_exists(&var("KUBECONFIG"), &["namespace", "flux-system"]),
        "flux-system is still there after this provider's destroy"
    );
}

#[test]
fn bootstrap_git_http_bootstrapped_by_the_reference_plans_no_change_and_destroys() {
    let test = "bootstrap_git_http_bootstrapped_by_the_reference";
    let Some(reference) = reference_dir(test) else {
        return;
    };
    let _turn = serial();
    // The reference cannot bootstrap an empty repository (TPF #365): one with a branch.
    let urls = repo("reference-http", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        resource_block("clusters/reference-http")
    );
    migrate("reference-http", &reference, &main, || {});
}

/// Over SSH, with a URL without user: `git.ssh.username` is the user the reference
/// puts in the URL Flux clones. No known_hosts (the reference has no such setting):
/// both scan the host key.
#[test]
fn bootstrap_git_ssh_bootstrapped_by_the_reference_plans_no_change_and_destroys() {
    let test = "bootstrap_git_ssh_bootstrapped_by_the_reference";
    let Some(reference) = reference_dir(test) else {
        return;
    };
    let _turn = serial();
    let urls = repo("reference-ssh", false);
    let user = var("FLUX_TEST_SSH_USERNAME");
    let url = urls.ssh.replacen(&format!("ssh://{user}@"), "ssh://", 1);
    assert_ne!(url, urls.ssh, "the environment's ssh URL has no user");
    let main = format!(
        r#"{required}provider "flux" {{
  kubernetes = {{ config_path = {kubeconfig} }}
  git = {{
    url = {url}
    ssh = {{
      username    = {user}
      private_key = {key}
    }}
  }}
}}
{resource}"#,
        required = required_providers(),
        kubeconfig = hcl(&var("KUBECONFIG")),
        url = hcl(&url),
        user = hcl(&user),
        key = hcl(&read_var_file("FLUX_TEST_SSH_KEY_FILE")),
        resource = resource_block("clusters/reference-ssh"),
    );
    migrate("reference-ssh", &reference, &main, || {
        assert_eq!(
            root_git_repository("{.spec.url}"),
            urls.ssh,
            "the reference put another URL in the GitRepository"
        );
    });
}

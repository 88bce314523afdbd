//! `flux_bootstrap_git` against the real environment: real Terraform, real git
//! servers, a real kube-apiserver and the Flux controllers. After every apply a
//! second plan must be empty.
//!
//! The bootstraps share the environment's first cluster, and an uninstall removes
//! Flux's CRDs cluster-wide, so these tests take turns (`serial`).
#![cfg(test)]

use std::sync::MutexGuard;

use acceptance::fixture::{read_var_file, repo, var};
use acceptance::git::{clone, commit_subjects, remove_files};
use acceptance::hcl::{bootstrap_resource, hcl, provider, required_providers};
use acceptance::kube::{kubectl, object_exists, root_git_repository, root_kustomization};
use acceptance::plan::{assert_plan_empty, assert_plan_shows, DestroyOnPanic};
use acceptance::terraform::Terraform;

mod cluster;
mod components;
mod credentials;
mod drift;
mod examples;
mod kustomization;
mod lifecycle;
mod migration;
mod migration_live;
mod refs;
mod signing;

fn serial() -> MutexGuard<'static, ()> {
    acceptance::env::cluster_turn()
}

#[test]
fn bootstrap_git_http_create_plan_destroy_matches_reference_commits() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-http", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/http"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-http", &main);
    let _cleanup = DestroyOnPanic(&wd);
    // Readable: what each file will hold in a few lines, not its content.
    let plan = wd.run(&["plan"]).success().stdout;
    let lines = plan.lines().count();
    assert!(lines < 100, "create plan of {lines} lines:\n{plan}");
    assert!(
        plan.lines()
            .any(|l| l.contains("+ repository_files ") && l.ends_with("= (known after apply)")),
        "{plan}"
    );
    assert!(plan.contains("Flux v2.9.4"), "{plan}");
    wd.apply().success();
    assert_plan_empty(&wd);
    let subjects = commit_subjects(&urls.http);
    assert_eq!(
        subjects[..2],
        [
            "Add Flux sync manifests".to_string(),
            "Add Flux v2.9.4 component manifests".to_string()
        ],
        "{subjects:?}"
    );
    let checkout = clone(&urls.http);
    for file in [
        "gotk-components.yaml",
        "gotk-sync.yaml",
        "kustomization.yaml",
    ] {
        assert!(
            checkout
                .path()
                .join("clusters/http/flux-system")
                .join(file)
                .is_file(),
            "{file} missing"
        );
    }
    let secret_keys = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        "jsonpath={.data}",
    ]);
    assert!(secret_keys.contains("\"username\"") && secret_keys.contains("\"password\""));
    wd.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "Uninstall Flux");
    let leftover = clone(&urls.http);
    assert!(!leftover.path().join("clusters/http/flux-system").exists());
}

/// The same provider under OpenTofu: a bootstrap, an empty second plan, a file
/// deleted in git planned as drift and put back, and a destroy that uninstalls.
#[test]
fn bootstrap_git_under_opentofu_bootstraps_repairs_drift_and_destroys() {
    let _turn = serial();
    let tf = Terraform::tofu();
    let urls = repo("bootstrap-tofu", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/tofu"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-tofu", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(
        root_kustomization("{.status.conditions[?(@.type==\"Ready\")].status}"),
        "True",
        "the root Kustomization is not Ready"
    );

    remove_files(
        &urls.http,
        "remove sync",
        &["clusters/tofu/flux-system/gotk-sync.yaml"],
    );
    assert_plan_shows(&wd, &["clusters/tofu/flux-system/gotk-sync.yaml"]);
    wd.apply().success();
    assert!(clone(&urls.http)
        .path()
        .join("clusters/tofu/flux-system/gotk-sync.yaml")
        .is_file());
    assert_plan_empty(&wd);

    wd.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "Uninstall Flux");
    assert!(
        !object_exists(&var("KUBECONFIG"), &["namespace", "flux-system"]),
        "flux-system is still there"
    );
}

#[test]
fn bootstrap_git_drift_in_git_and_cluster_is_planned_readably_and_repaired() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-drift", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/drift"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-drift", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    // A file deleted in git, the root GitRepository deleted in the cluster, and the
    // credentials Secret changed behind Terraform's back.
    remove_files(
        &urls.http,
        "remove kustomization",
        &["clusters/drift/flux-system/kustomization.yaml"],
    );
    kubectl(&[
        "-n",
        "flux-system",
        "delete",
        "gitrepository",
        "flux-system",
    ]);
    kubectl(&[
        "-n",
        "flux-system",
        "patch",
        "secret",
        "flux-system",
        "--type",
        "merge",
        "-p",
        r#"{"stringData":{"password":"stale"}}"#,
    ]);
    let text = assert_plan_shows(
        &wd,
        &[
            "GitRepository flux-system/flux-system is missing",
            "holds other credentials",
            "clusters/drift/flux-system/kustomization.yaml",
        ],
    );
    // Readable: a line per finding and a digest per file, never a file's content.
    assert!(
        text.lines().count() < 40,
        "plan too long: {} lines",
        text.lines().count()
    );
    wd.apply().success();
    assert_plan_empty(&wd);
    let password = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        "jsonpath={.data.password}",
    ]);
    assert_ne!(password.trim(), "c3RhbGU=", "the Secret was not repaired");
    wd.destroy().success();
}

/// A controller image changed by hand (same registry, another tag) is planned in a
/// line or two and repaired by one apply.
#[test]
fn bootstrap_git_controller_image_changed_by_hand_is_planned_and_repaired() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-image", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/image"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-image", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    let image = || {
        kubectl(&[
            "-n",
            "flux-system",
            "get",
            "deployment",
            "kustomize-controller",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
    };
    let committed = image();
    assert!(
        committed.starts_with("ghcr.io/fluxcd/kustomize-controller:v"),
        "{committed}"
    );
    kubectl(&[
        "-n",
        "flux-system",
        "set",
        "image",
        "deployment/kustomize-controller",
        "manager=ghcr.io/fluxcd/kustomize-controller:v0.0.1",
    ]);
    let text = assert_plan_shows(
        &wd,
        &[&format!(
            "Deployment flux-system/kustomize-controller runs image ghcr.io/fluxcd/kustomize-controller:v0.0.1, expected {committed}"
        )],
    );
    assert!(
        text.lines().count() < 40,
        "plan too long: {} lines\n{text}",
        text.lines().count()
    );
    wd.apply().success();
    assert_eq!(image(), committed);
    assert_plan_empty(&wd);
    wd.destroy().success();
}

/// A root Kustomization suspended by hand (an incident freeze) is a warning on every
/// plan and never a planned change, so plan and apply keep converging; once resumed,
/// the warning is gone.
#[test]
fn bootstrap_git_suspended_root_is_a_warning_and_plans_converge() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-suspend", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/suspend"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-suspend", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    let suspend = |value: bool| {
        kubectl(&[
            "-n",
            "flux-system",
            "patch",
            "kustomization",
            "flux-system",
            "--type",
            "merge",
            "-p",
            &format!(r#"{{"spec":{{"suspend":{value}}}}}"#),
        ])
    };
    suspend(true);
    let plan = wd.plan_detailed();
    assert_eq!(
        plan.code,
        0,
        "a suspension planned a change:\n{}",
        plan.all()
    );
    let text = plan.flat();
    assert!(
        text.contains("Kustomization flux-system/flux-system is suspended")
            && text.contains("flux resume kustomization flux-system -n flux-system"),
        "{text}"
    );
    // Nothing to apply, and the suspension stays.
    wd.apply().success();
    assert_eq!(root_kustomization("{.spec.suspend}"), "true");
    suspend(false);
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.flat().contains("is suspended"), "{}", plan.all());
    wd.destroy().success();
}

#[test]
fn bootstrap_git_invalid_attributes_fail_at_plan_naming_the_attribute() {
    for tf in Terraform::matrix() {
        let main = format!(
            "{}{}",
            provider(Some("http://127.0.0.1:1/none.git")),
            bootstrap_resource(
                &tf,
                r#"  namespace = "Not_A_Label"
  log_level = "verbose""#
            )
        );
        let text = tf
            .workdir("bootstrap-invalid", &main)
            .plan()
            .failure()
            .all();
        for attr in ["namespace", "log_level"] {
            assert!(
                text.contains(&format!("{attr}: invalid")),
                "{} does not name {attr}:\n{text}",
                tf.version
            );
        }
        let main = format!(
            "{}{}",
            provider(Some("http://127.0.0.1:1/none.git")),
            bootstrap_resource(&tf, r#"  registry_credentials = "robot:pa:ss""#)
        );
        let text = tf
            .workdir("bootstrap-invalid", &main)
            .plan()
            .failure()
            .all();
        assert!(
            text.contains("registry_credentials requires image_pull_secret"),
            "{}:\n{text}",
            tf.version
        );
    }
}

#[test]
fn bootstrap_git_empty_repository_with_terraform_1_0_3_bootstraps() {
    let _turn = serial();
    let tf = Terraform::legacy();
    let urls = repo("bootstrap-empty", true);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  components = ["source-controller", "kustomize-controller"]
  kubernetes = { config_path = "KUBECONFIG_PATH" }
  git        = { url = "GIT_URL", http = { username = "USER", password = "PASSWORD", allow_insecure_http = true } }"#
        )
        .replace("KUBECONFIG_PATH", &var("KUBECONFIG"))
        .replace("GIT_URL", &urls.http)
        .replace("USER", &var("FLUX_TEST_GIT_USERNAME"))
        .replace("PASSWORD", &var("FLUX_TEST_GIT_PASSWORD"))
    );
    let wd = tf.workdir("bootstrap-empty", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

/// SSH with a pinned known_hosts (TPF #547); the Secret has `identity.pub` as Flux
/// writes it; a rotated key (here one with a passphrase) reaches the Secret (TPF #596).
/// The URL has no user: `ssh.username` goes into the URL Flux clones, as the reference
/// puts it there.
#[test]
fn bootstrap_git_ssh_with_pinned_known_hosts_bootstraps_and_rotates_the_key() {
    let _turn = serial();
    let tf = Terraform::latest();
    let mut urls = repo("bootstrap-ssh", false);
    let user = var("FLUX_TEST_SSH_USERNAME");
    let with_user = urls.ssh.clone();
    urls.ssh = urls.ssh.replacen(&format!("ssh://{user}@"), "ssh://", 1);
    assert_ne!(urls.ssh, with_user, "the environment's ssh URL has no user");
    let main = |key_var: &str, passphrase: Option<String>| {
        format!(
            r#"{required}provider "flux" {{
  kubernetes = {{ config_path = {kubeconfig} }}
  git = {{
    url = {url}
    ssh = {{
      username    = {user}
      private_key = {key}
      known_hosts = {known_hosts}
      password    = {password}
    }}
  }}
}}
{resource}"#,
            required = required_providers(),
            kubeconfig = hcl(&var("KUBECONFIG")),
            url = hcl(&urls.ssh),
            user = hcl(&var("FLUX_TEST_SSH_USERNAME")),
            key = hcl(&read_var_file(key_var)),
            known_hosts = hcl(&read_var_file("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")),
            password = passphrase.as_deref().map_or("null".to_string(), hcl),
            resource = bootstrap_resource(
                &tf,
                r#"  path       = "clusters/ssh"
  components = ["source-controller", "kustomize-controller"]"#
            ),
        )
    };
    let secret_value = |key: &str| {
        kubectl(&[
            "-n",
            "flux-system",
            "get",
            "secret",
            "flux-system",
            "-o",
            &format!(
                "go-template={{{{with index .data \"{key}\"}}}}{{{{base64decode .}}}}{{{{end}}}}"
            ),
        ])
    };
    let public_key = |key_var: &str| {
        let text = std::fs::read_to_string(format!("{}.pub", var(key_var))).unwrap();
        let mut parts = text.split_whitespace();
        format!("{} {}\n", parts.next().unwrap(), parts.next().unwrap())
    };
    let wd = tf.workdir("bootstrap-ssh", &main("FLUX_TEST_SSH_KEY_FILE", None));
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(
        root_git_repository("{.spec.url}"),
        urls.ssh.replacen("ssh://", &format!("ssh://{user}@"), 1)
    );
    assert_eq!(
        secret_value("identity"),
        read_var_file("FLUX_TEST_SSH_KEY_FILE")
    );
    assert_eq!(
        secret_value("identity.pub"),
        public_key("FLUX_TEST_SSH_KEY_FILE")
    );
    assert!(!secret_value("known_hosts").is_empty());
    assert_eq!(secret_value("password"), "");

    // Rotation: another key (with a passphrase) in the provider's settings only.
    wd.write_main(&main(
        "FLUX_TEST_SSH_KEY_WITH_PASSPHRASE_FILE",
        Some(var("FLUX_TEST_SSH_KEY_PASSPHRASE")),
    ));
    assert_plan_shows(&wd, &["holds other credentials"]);
    // Applied at TF_LOG=trace: neither key nor passphrase is in the provider's logs.
    let rotated = wd
        .run_with_env(&["apply", "-auto-approve"], &[("TF_LOG", "trace")])
        .success()
        .all();
    let provider_lines: Vec<&str> = rotated
        .lines()
        .filter(|l| l.contains("terraform-provider-flux"))
        .collect();
    assert!(
        provider_lines
            .iter()
            .any(|l| l.contains("tf_rpc=ApplyResourceChange")),
        "no provider trace logs"
    );
    let key = read_var_file("FLUX_TEST_SSH_KEY_WITH_PASSPHRASE_FILE");
    let key_body = key.lines().nth(1).unwrap();
    let passphrase = var("FLUX_TEST_SSH_KEY_PASSPHRASE");
    for line in &provider_lines {
        assert!(
            !line.contains(key_body) && !line.contains(&passphrase),
            "the provider logged a secret: {line}"
        );
    }
    assert_plan_empty(&wd);
    assert_eq!(
        secret_value("identity"),
        read_var_file("FLUX_TEST_SSH_KEY_WITH_PASSPHRASE_FILE")
    );
    assert_eq!(
        secret_value("identity.pub"),
        public_key("FLUX_TEST_SSH_KEY_WITH_PASSPHRASE_FILE")
    );
    assert_eq!(
        secret_value("password"),
        var("FLUX_TEST_SSH_KEY_PASSPHRASE")
    );
    wd.destroy().success();
}

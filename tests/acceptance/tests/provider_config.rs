//! The provider configuration under the real Terraform CLIs: what validates and plans,
//! and where each invalid configuration is reported. These tests need only the
//! Terraform CLIs and the built provider, no servers: nothing is contacted at plan.

use acceptance::terraform::{Cli, Output, Terraform};

/// A provider block with both connection attributes, as Terraform 1.0.3 needs them.
fn provider_block(git: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    flux = {{ source = "fluxcd/flux" }}
  }}
}}

provider "flux" {{
  kubernetes = {{
    host  = "https://127.0.0.1:6443"
    token = "kube-token-do-not-log"
  }}
  git = {git}
}}

data "flux_sync" "this" {{
  url         = "https://127.0.0.1/org/repo.git"
  target_path = "clusters/dev"
}}

output "sync_path" {{
  value = data.flux_sync.this.path
}}
"#
    )
}

const HTTPS_GIT: &str = r#"{
    url  = "https://127.0.0.1/org/repo.git"
    http = {
      username = "flux"
      password = "git-password-do-not-log"
    }
  }"#;

/// The configuration line the CLI points at: Terraform 1.15 resolves an attribute path
/// down to the nested attribute's own line; Terraform 1.0 and OpenTofu 1.12 (as
/// observed here) only to the provider block.
fn pointed<'a>(tf: &Terraform, nested_line: &'a str) -> &'a str {
    if tf.is_legacy() || tf.cli == Cli::OpenTofu {
        r#"provider "flux" {"#
    } else {
        nested_line
    }
}

fn on_every_cli(test: &str, main_tf: &str, check: impl Fn(&Terraform, Output)) {
    for tf in Terraform::matrix() {
        let wd = tf.workdir(test, main_tf);
        check(&tf, wd.plan());
    }
}

/// Asserts a failed plan shows `summary` and points at the configuration line that
/// holds `line_fragment`.
fn assert_located(out: &Output, summary: &str, line_fragment: &str) {
    let text = out.all();
    assert_ne!(out.code, 0, "plan should fail:\n{text}");
    assert!(
        text.contains(&format!("Error: {summary}")),
        "missing {summary:?}:\n{text}"
    );
    let pointed = text.lines().any(|l| {
        l.trim_start()
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
            && l.contains(line_fragment)
    });
    assert!(
        pointed,
        "the error does not point at {line_fragment:?}:\n{text}"
    );
}

#[test]
fn provider_config_valid_https_plans_on_every_cli() {
    on_every_cli("valid", &provider_block(HTTPS_GIT), |tf, out| {
        let text = out.all();
        assert_eq!(out.code, 0, "Terraform {}:\n{text}", tf.version);
        assert!(
            text.contains(r#"sync_path = "clusters/dev/flux-system/gotk-sync.yaml""#),
            "Terraform {}: the data source was not read at plan:\n{text}",
            tf.version
        );
    });
}

#[test]
fn provider_config_valid_ssh_validates_on_every_cli() {
    let git = r#"{
    url = "ssh://git@127.0.0.1:2222/org/repo.git"
    ssh = {
      username    = "git"
      private_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----"
    }
  }"#;
    for tf in Terraform::matrix() {
        let wd = tf.workdir("valid-ssh", &provider_block(git));
        let out = wd.validate();
        assert_eq!(out.code, 0, "Terraform {}:\n{}", tf.version, out.all());
    }
}

#[test]
fn provider_config_ssh_url_with_http_block_fails_at_git_http() {
    let git = r#"{
    url  = "ssh://git@127.0.0.1:2222/org/repo.git"
    ssh  = { private_key = "k" }
    http = { username = "u" }
  }"#;
    on_every_cli("ssh-http", &provider_block(git), |tf, out| {
        assert_located(
            &out,
            "Conflicting Git Authentication",
            pointed(tf, r#"http = { username = "u" }"#),
        );
        assert!(
            out.flat().contains("uses ssh, so git.http cannot be used"),
            "{}",
            out.all()
        );
    });
}

#[test]
fn provider_config_https_url_with_ssh_block_fails_at_git_ssh() {
    let git = r#"{
    url  = "https://127.0.0.1/org/repo.git"
    ssh  = { private_key = "k" }
    http = { username = "u", password = "p" }
  }"#;
    on_every_cli("https-ssh", &provider_block(git), |tf, out| {
        assert_located(
            &out,
            "Conflicting Git Authentication",
            pointed(tf, r#"ssh  = { private_key = "k" }"#),
        );
        assert!(
            out.flat().contains("so git.ssh cannot be used"),
            "{}",
            out.all()
        );
    });
}

#[test]
fn provider_config_plain_http_without_allow_insecure_fails() {
    let git = r#"{
    url  = "http://127.0.0.1/org/repo.git"
    http = { username = "u", password = "p" }
  }"#;
    on_every_cli("insecure", &provider_block(git), |tf, out| {
        assert_located(
            &out,
            "Insecure Git URL",
            pointed(tf, r#"http = { username = "u", password = "p" }"#),
        );
        assert!(
            out.flat().contains("allow_insecure_http = true"),
            "{}",
            out.all()
        );
    });
    let allowed = r#"{
    url  = "http://127.0.0.1/org/repo.git"
    http = { username = "u", password = "p", allow_insecure_http = true }
  }"#;
    on_every_cli("insecure-allowed", &provider_block(allowed), |tf, out| {
        assert_eq!(out.code, 0, "Terraform {}:\n{}", tf.version, out.all());
    });
}

#[test]
fn provider_config_unsupported_scheme_and_bad_pem_fail() {
    let git = r#"{
    url = "ftp://127.0.0.1/org/repo.git"
  }"#;
    on_every_cli("ftp", &provider_block(git), |tf, out| {
        assert_located(
            &out,
            "Unsupported Git URL Scheme",
            pointed(tf, r#"url = "ftp://"#),
        );
    });
    let tf = Terraform::latest();
    let main_tf = provider_block(HTTPS_GIT).replace(
        r#"token = "kube-token-do-not-log""#,
        r#"token = "t"
    client_certificate = "not a certificate""#,
    );
    let out = tf.workdir("pem", &main_tf).plan();
    assert_located(
        &out,
        "Invalid PEM Value",
        r#"client_certificate = "not a certificate""#,
    );
}

/// A cluster created in the same apply: the provider's connection values are unknown
/// at plan time, and the plan must still succeed (TPF #694, #558). Needs
/// `terraform_data`, which Terraform 1.0 lacks, so it runs on 1.15 only.
#[test]
fn provider_config_unknown_values_still_plan() {
    let main_tf = provider_block(HTTPS_GIT)
        .replace(
            r#"host  = "https://127.0.0.1:6443""#,
            r#"host  = "https://${terraform_data.cluster.id}:6443""#,
        )
        .replace(
            r#"password = "git-password-do-not-log""#,
            r#"password = terraform_data.cluster.id"#,
        )
        + "\nresource \"terraform_data\" \"cluster\" {}\n";
    let tf = Terraform::latest();
    let out = tf.workdir("unknown", &main_tf).plan();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.all().contains("terraform_data.cluster will be created"),
        "{}",
        out.all()
    );
}

/// Secrets never reach logs, even at TF_LOG=trace.
#[test]
fn provider_config_secrets_stay_out_of_trace_logs() {
    for tf in Terraform::matrix() {
        let mut wd = tf.workdir("trace", &provider_block(HTTPS_GIT));
        wd.env("TF_LOG", "trace");
        let out = wd.plan();
        assert_eq!(out.code, 0, "{}", out.all());
        let text = out.all();
        assert!(
            text.contains("tf_rpc=ConfigureProvider"),
            "provider logs missing:\n{}",
            &text[..text.len().min(4000)]
        );
        for secret in ["kube-token-do-not-log", "git-password-do-not-log"] {
            let leaked: Vec<&str> = text
                .lines()
                .filter(|l| l.contains(secret) && l.contains("terraform-provider-flux"))
                .collect();
            assert!(
                leaked.is_empty(),
                "Terraform {}: the provider logged a secret:\n{leaked:#?}",
                tf.version
            );
        }
    }
}

/// Serving without TLS (`TF_DISABLE_PLUGIN_TLS=1`), the mode debuggers use.
#[test]
fn provider_config_plaintext_transport_plans() {
    let tf = Terraform::latest();
    let mut wd = tf.workdir("plaintext", &provider_block(HTTPS_GIT));
    wd.env("TF_DISABLE_PLUGIN_TLS", "1");
    let out = wd.plan();
    assert_eq!(out.code, 0, "{}", out.all());
}

/// The provider installs from a filesystem mirror with `terraform init`, as a
/// released provider does (no dev_overrides).
#[test]
fn provider_installs_from_a_filesystem_mirror() {
    let provider = acceptance::terraform::provider_dir().join("terraform-provider-flux");
    for tf in Terraform::matrix() {
        let mirror = tempfile::tempdir().unwrap();
        let platform = mirror
            .path()
            .join(tf.registry_host())
            .join("fluxcd/flux/0.1.0/linux_amd64");
        std::fs::create_dir_all(&platform).unwrap();
        std::fs::copy(&provider, platform.join("terraform-provider-flux_v0.1.0")).unwrap();
        let main_tf = provider_block(HTTPS_GIT).replace(
            r#"flux = { source = "fluxcd/flux" }"#,
            r#"flux = { source = "fluxcd/flux", version = "0.1.0" }"#,
        );
        let mut wd = tf.workdir("mirror", &main_tf);
        wd.install_from_mirror(mirror.path());
        let init = wd.run(&["init"]);
        assert_eq!(
            init.code,
            0,
            "Terraform {} init:\n{}",
            tf.version,
            init.all()
        );
        assert!(wd.path().join(".terraform.lock.hcl").exists());
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

/// Debug serving: the provider runs in the foreground and prints a
/// `TF_REATTACH_PROVIDERS` value; Terraform attaches to that process instead of
/// starting its own.
#[test]
fn provider_debug_mode_serves_terraform_through_reattach() {
    use std::io::BufRead as _;
    let provider = acceptance::terraform::provider_dir().join("terraform-provider-flux");
    let mut child = std::process::Command::new(&provider)
        .arg("--debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reattach = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.trim()
                .strip_prefix("TF_REATTACH_PROVIDERS='")
                .and_then(|v| v.strip_suffix('\''))
                .map(str::to_string)
        });
    let Some(reattach) = reattach else {
        let _ = child.kill();
        panic!("the provider printed no TF_REATTACH_PROVIDERS line");
    };
    let tf = Terraform::latest();
    let mut wd = tf.workdir("reattach", &provider_block(HTTPS_GIT));
    wd.env("TF_REATTACH_PROVIDERS", &reattach);
    let first = wd.plan();
    // The same process serves a second command: debug mode ignores Shutdown.
    let second = wd.plan();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(first.all().contains("sync_path"), "{}", first.all());
}

//! Terraform configuration snippets for the environment: literals, the provider
//! block and the `flux_bootstrap_git` resource.

use crate::fixture::var;
use crate::terraform::Terraform;

/// A string as an HCL literal (JSON escaping is valid HCL for these values).
pub fn hcl(text: &str) -> String {
    format!("{text:?}")
}

/// The `terraform { required_providers }` block of the drop-in address.
pub fn required_providers() -> &'static str {
    "terraform {\n  required_providers {\n    flux = { source = \"fluxcd/flux\" }\n  }\n}\n"
}

/// The `git = { ... }` value for `url` over HTTP basic auth (plain http, so
/// allow_insecure_http).
pub fn git_http(url: &str) -> String {
    git_http_as(
        url,
        &var("FLUX_TEST_GIT_USERNAME"),
        &var("FLUX_TEST_GIT_PASSWORD"),
    )
}

/// [`git_http`] as another user of the git server.
pub fn git_http_as(url: &str, username: &str, password: &str) -> String {
    format!(
        "{{\n    url  = {url}\n    http = {{\n      username            = {user}\n      password            = {password}\n      allow_insecure_http = true\n    }}\n  }}",
        url = hcl(url),
        user = hcl(username),
        password = hcl(password),
    )
}

/// The `terraform` and `provider "flux"` blocks with the given `kubernetes` config
/// path and `git` value (from [`git_http`]), each left out when `None`.
pub fn provider_with(kubeconfig: Option<&str>, git: Option<&str>) -> String {
    let kubernetes = kubeconfig
        .map(|path| format!("  kubernetes = {{ config_path = {} }}\n", hcl(path)))
        .unwrap_or_default();
    let git = git
        .map(|git| format!("  git = {git}\n"))
        .unwrap_or_default();
    format!(
        "{}provider \"flux\" {{\n{kubernetes}{git}}}\n",
        required_providers()
    )
}

/// The `terraform` and `provider "flux"` blocks for the first cluster, with a `git`
/// block for `git_url` over HTTP basic auth when given.
pub fn provider(git_url: Option<&str>) -> String {
    let git = git_url.map(git_http);
    provider_with(Some(&var("KUBECONFIG")), git.as_deref())
}

/// A `git` value for configurations that must set one (Terraform 1.0.3 crashes when a
/// single nested attribute is left out) but never reach a git server.
pub const UNUSED_GIT: &str =
    r#"{ url = "http://127.0.0.1:1/none.git", http = { allow_insecure_http = true } }"#;

/// A `flux_bootstrap_git` resource block; under Terraform 1.0.3 every single nested
/// attribute is set (`timeouts`, and `kubernetes` / `git` when `body` has none),
/// since 1.0.3 crashes when one is omitted.
pub fn bootstrap_resource(tf: &Terraform, body: &str) -> String {
    let mut legacy = String::new();
    if tf.is_legacy() {
        legacy.push_str("  timeouts = { create = \"5m\", delete = \"3m\" }\n");
        if !body.contains("kubernetes =") {
            legacy.push_str(&format!(
                "  kubernetes = {{ config_path = {} }}\n",
                hcl(&var("KUBECONFIG"))
            ));
        }
        if !body.contains("git ") {
            legacy.push_str(&format!("  git = {UNUSED_GIT}\n"));
        }
    }
    format!("resource \"flux_bootstrap_git\" \"this\" {{\n{body}\n{legacy}}}\n")
}

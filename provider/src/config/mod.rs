//! The provider block: `kubernetes = { ... }` and `git = { ... }`, as the reference
//! provider has them, with every credential sensitive.

pub mod git;
pub mod kubernetes;

use tfplug::{Diagnostics, ObjectAccess, Schema, Value};

use crate::git_cache::GitCache;

pub use git::GitModel;
pub use kubernetes::KubernetesModel;

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(vec![
        kubernetes::attribute("How to reach the Kubernetes cluster. Resources may override it with their own `kubernetes` attribute."),
        git::attribute("The git repository Flux is bootstrapped into. Resources may override it with their own `git` attribute."),
    ])
    .description("Bootstraps Flux into Kubernetes clusters from git, and manages Flux sources, Kustomizations and HelmReleases.")
}

/// Checks the provider block. Unknown values (a cluster created in the same apply)
/// are accepted and checked again at apply.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let root = ObjectAccess::root(config);
    kubernetes::validate(config.attr("kubernetes"), &root.object("kubernetes"), diags);
    git::validate(config.attr("git"), &root.object("git"), diags);
}

/// A connection setting as configured: absent, not known until apply, or known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Setting<T> {
    /// Not configured.
    #[default]
    Unset,
    /// Depends on values known only after apply.
    Deferred,
    /// Known.
    Known(T),
}

impl<T> Setting<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            Setting::Known(v) => Some(v),
            _ => None,
        }
    }
}

/// What the provider hands every resource: the provider-level connection settings.
/// Nothing is dialled here; resources connect when an operation needs it.
#[derive(Clone, Debug, Default)]
pub struct ProviderData {
    /// The Terraform version, for logs.
    pub terraform_version: String,
    /// The provider's `kubernetes` setting.
    pub kubernetes: Setting<KubernetesModel>,
    /// The provider's `git` setting.
    pub git: Setting<GitModel>,
    /// The provider's git repository cache, shared by every resource writing git.
    pub git_cache: GitCache,
}

/// Builds the provider data. Unknown parts become [`Setting::Deferred`] rather than
/// errors, so a plan can run before the cluster or repository exists.
pub fn configure(
    config: &Value,
    terraform_version: &str,
    diags: &mut Diagnostics,
) -> Option<ProviderData> {
    let root = ObjectAccess::root(config);
    let env = |k: &str| std::env::var(k).ok();
    let kubernetes = read_setting(
        config.attr("kubernetes"),
        || KubernetesModel::from_value(&root.object("kubernetes"), env),
        diags,
    );
    // Without a kubernetes block the reference still honours KUBE_CONFIG_PATH(S).
    let kubernetes = match kubernetes {
        Setting::Unset
            if env("KUBE_CONFIG_PATH").is_some() || env("KUBE_CONFIG_PATHS").is_some() =>
        {
            match KubernetesModel::from_value(&ObjectAccess::root(&Value::Null), env) {
                Ok(m) => Setting::Known(m),
                Err(d) => {
                    diags.push(d);
                    Setting::Unset
                }
            }
        }
        other => other,
    };
    let git = read_setting(
        config.attr("git"),
        || GitModel::from_value(&root.object("git")),
        diags,
    );
    if diags.has_errors() {
        return None;
    }
    tracing::debug!(
        kubernetes = setting_state(&kubernetes),
        git = setting_state(&git),
        "provider configured"
    );
    Some(ProviderData {
        terraform_version: terraform_version.to_string(),
        kubernetes,
        git,
        git_cache: GitCache::default(),
    })
}

fn read_setting<T>(
    value: &Value,
    read: impl FnOnce() -> Result<T, tfplug::Diagnostic>,
    diags: &mut Diagnostics,
) -> Setting<T> {
    if value.is_null() {
        Setting::Unset
    } else if !value.is_wholly_known() {
        Setting::Deferred
    } else {
        match read() {
            Ok(v) => Setting::Known(v),
            Err(d) => {
                diags.push(d);
                Setting::Unset
            }
        }
    }
}

fn setting_state<T>(s: &Setting<T>) -> &'static str {
    match s {
        Setting::Unset => "unset",
        Setting::Deferred => "deferred",
        Setting::Known(_) => "known",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_connection_values_defer_instead_of_failing() {
        let config = Value::object([
            (
                "kubernetes",
                Value::object([("host", Value::unknown()), ("token", Value::unknown())]),
            ),
            ("git", Value::object([("url", "https://h/r.git".into())])),
        ]);
        let mut diags = Diagnostics::new();
        let data = configure(&config, "1.15.5", &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(data.kubernetes, Setting::Deferred);
        assert_eq!(data.git.known().map(|g| g.branch.as_str()), Some("main"));
    }

    #[test]
    fn schema_marks_every_credential_sensitive() {
        let s = schema();
        let sensitive: Vec<String> = collect_sensitive(&s.block.attributes, "");
        for expected in [
            "kubernetes.password",
            "kubernetes.client_key",
            "kubernetes.token",
            "git.gpg_passphrase",
            "git.ssh_signing_key",
            "git.ssh_signing_passphrase",
            "git.ssh.password",
            "git.ssh.private_key",
            "git.http.password",
            "git.http.bearer_token",
        ] {
            assert!(
                sensitive.iter().any(|p| p == expected),
                "{expected} must be sensitive"
            );
        }
    }

    fn collect_sensitive(attrs: &[tfplug::Attribute], prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for a in attrs {
            let name = format!("{prefix}{}", a.name);
            if a.sensitive {
                out.push(name.clone());
            }
            if let Some((_, nested)) = a.nested_attributes() {
                out.extend(collect_sensitive(nested, &format!("{name}.")));
            }
        }
        out
    }
}

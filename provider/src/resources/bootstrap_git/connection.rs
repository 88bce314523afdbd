//! The connection settings an operation uses: the resource's own `kubernetes` / `git`
//! attributes when set, else the provider's; converted into core's specs.

use std::path::PathBuf;

use flux_core::cluster::{ConnectionSpec, ExecSpec, GitCredentials};
use flux_core::git::{Auth, Author, HostKeyPolicy, KnownHosts, Remote, Signing, SshAuth};
use flux_core::Sensitive;
use tfplug::{AttributePath, Diagnostic, ObjectAccess, Value};

use crate::config::{GitModel, KubernetesModel, ProviderData, Setting};

/// The `kubernetes` setting in effect for a resource value (configuration, plan or
/// state): its own attribute when set, else the provider's.
pub fn effective_kubernetes(
    resource: &Value,
    data: &ProviderData,
) -> Result<Setting<KubernetesModel>, Diagnostic> {
    let own = resource.attr("kubernetes");
    if own.is_null() {
        return Ok(data.kubernetes.clone());
    }
    if !own.is_wholly_known() {
        return Ok(Setting::Deferred);
    }
    let env = |k: &str| std::env::var(k).ok();
    let obj = ObjectAccess::new(own, AttributePath::attr("kubernetes"));
    KubernetesModel::from_value(&obj, env).map(Setting::Known)
}

/// The `git` setting in effect for a resource value.
pub fn effective_git(
    resource: &Value,
    data: &ProviderData,
) -> Result<Setting<GitModel>, Diagnostic> {
    let own = resource.attr("git");
    if own.is_null() {
        return Ok(data.git.clone());
    }
    if !own.is_wholly_known() {
        return Ok(Setting::Deferred);
    }
    let obj = ObjectAccess::new(own, AttributePath::attr("git"));
    GitModel::from_value(&obj).map(Setting::Known)
}

/// The error of an operation that needs a connection the configuration lacks.
pub fn missing_configuration(what: &str) -> Diagnostic {
    Diagnostic::error(
        "Missing configuration",
        format!(
            "Git and Kubernetes configuration not found: set `{what}` on the provider or on the resource."
        ),
    )
}

/// Requires a known setting at apply time.
pub fn require<T: Clone>(setting: Setting<T>, what: &str) -> Result<T, Diagnostic> {
    match setting {
        Setting::Known(v) => Ok(v),
        Setting::Unset => Err(missing_configuration(what).at(AttributePath::attr(what))),
        Setting::Deferred => Err(Diagnostic::error(
            "Connection Settings Not Known",
            format!("The `{what}` settings depend on values that are not known yet."),
        )),
    }
}

/// The cluster connection for a `kubernetes` setting.
pub fn connection_spec(model: &KubernetesModel) -> ConnectionSpec {
    ConnectionSpec {
        host: model.host.clone(),
        username: model.username.clone(),
        password: model.password.clone(),
        insecure: model.insecure,
        client_certificate: model.client_certificate.clone(),
        client_key: model.client_key.clone(),
        cluster_ca_certificate: model.cluster_ca_certificate.clone(),
        config_path: model.config_path.as_ref().map(PathBuf::from),
        config_paths: model.config_paths.iter().map(PathBuf::from).collect(),
        config_context: model.config_context.clone(),
        config_context_auth_info: model.config_context_auth_info.clone(),
        config_context_cluster: model.config_context_cluster.clone(),
        token: model.token.clone(),
        proxy_url: model.proxy_url.clone(),
        exec: model.exec.as_ref().map(|e| ExecSpec {
            api_version: e.api_version.clone(),
            command: e.command.clone(),
            env: e
                .env
                .iter()
                .map(|(k, v)| (k.clone(), Sensitive::new(v.clone())))
                .collect(),
            args: e.args.clone(),
        }),
    }
}

/// Everything a git write needs, from one `git` setting.
#[derive(Clone, Debug)]
pub struct GitTarget {
    /// The remote, with the credentials of the provider's own client.
    pub remote: Remote,
    /// The URL written into the GitRepository (no userinfo for http).
    pub sync_url: String,
    /// Commit author and committer.
    pub author: Author,
    /// `commit_message_appendix`.
    pub appendix: Option<String>,
    /// Path of the GPG key ring, read when a commit is signed.
    pub gpg_key_ring: Option<String>,
    /// GPG key id.
    pub gpg_key_id: Option<String>,
    /// GPG passphrase.
    pub gpg_passphrase: Option<Sensitive<String>>,
    /// SSH signing key and its passphrase.
    pub ssh_signing: Option<(Sensitive<String>, Option<Sensitive<String>>)>,
}

impl GitTarget {
    /// Builds the target; checks nothing that needs IO.
    pub fn new(model: &GitModel) -> Result<Self, Diagnostic> {
        let mut sync_url = model.url.clone();
        let auth = if let Some(ssh) = &model.ssh {
            let private_key = ssh.private_key.clone().ok_or_else(|| {
                Diagnostic::error(
                    "Missing SSH Private Key",
                    "An ssh:// git URL needs git.ssh.private_key to authenticate.",
                )
                .at(AttributePath::attr("git")
                    .at_attr("ssh")
                    .at_attr("private_key"))
            })?;
            let host_keys = match &ssh.known_hosts {
                Some(text) => HostKeyPolicy::KnownHosts(KnownHosts::parse(text).map_err(|e| {
                    Diagnostic::from_error("Invalid known_hosts", &e).at(AttributePath::attr("git")
                        .at_attr("ssh")
                        .at_attr("known_hosts"))
                })?),
                // Trust on first use, as the reference does: the key is scanned once
                // per operation and then pinned for it (see `pin_host_key`).
                None => HostKeyPolicy::AcceptAny,
            };
            Auth::Ssh(SshAuth {
                username: ssh.username.clone().filter(|u| !u.is_empty()),
                private_key,
                passphrase: ssh.password.clone(),
                host_keys,
            })
        } else if let Some(http) = &model.http {
            sync_url = strip_userinfo(&model.url);
            if let Some(token) = &http.bearer_token {
                Auth::Bearer(token.clone())
            } else if http.username.is_some() || http.password.is_some() {
                Auth::Basic {
                    username: http.username.clone().unwrap_or_else(|| "git".to_string()),
                    password: http
                        .password
                        .clone()
                        .unwrap_or_else(|| Sensitive::new(String::new())),
                }
            } else {
                Auth::None
            }
        } else {
            Auth::None
        };
        let http = model.http.as_ref();
        Ok(Self {
            remote: Remote {
                url: sync_url.clone(),
                branch: model.branch.clone(),
                auth,
                ca_pem: http.and_then(|h| h.certificate_authority.clone()),
                allow_insecure_http: http.is_some_and(|h| h.allow_insecure_http),
            },
            sync_url,
            author: Author {
                name: model.author_name.clone(),
                email: model.author_email.clone(),
            },
            appendix: model
                .commit_message_appendix
                .clone()
                .filter(|a| !a.is_empty()),
            gpg_key_ring: model.gpg_key_ring.clone(),
            gpg_key_id: model.gpg_key_id.clone(),
            gpg_passphrase: model.gpg_passphrase.clone(),
            ssh_signing: model
                .ssh_signing_key
                .clone()
                .map(|key| (key, model.ssh_signing_passphrase.clone())),
        })
    }

    /// The branch.
    pub fn branch(&self) -> &str {
        &self.remote.branch
    }

    /// Scans and pins the SSH host key when none is pinned. Blocking.
    pub fn pin_host_key(&mut self) -> Result<(), flux_core::git::GitError> {
        if let Auth::Ssh(ssh) = &self.remote.auth {
            if ssh.host_keys == HostKeyPolicy::AcceptAny {
                let scanned = flux_core::git::scan_host_key(&self.remote)?;
                if let Auth::Ssh(ssh) = &mut self.remote.auth {
                    ssh.host_keys = HostKeyPolicy::KnownHosts(scanned);
                }
            }
        }
        Ok(())
    }

    /// Whether the SSH host key is pinned (always true for http).
    pub fn host_key_pinned(&self) -> bool {
        match &self.remote.auth {
            Auth::Ssh(ssh) => ssh.host_keys != HostKeyPolicy::AcceptAny,
            _ => true,
        }
    }

    /// The commit signature, reading the key ring file. Blocking.
    pub fn signing(&self) -> Result<Option<Signing>, Diagnostic> {
        if let Some((private_key, passphrase)) = &self.ssh_signing {
            return Ok(Some(Signing::Ssh {
                private_key: private_key.clone(),
                passphrase: passphrase.clone(),
            }));
        }
        let Some(path) = &self.gpg_key_ring else {
            return Ok(None);
        };
        let key_ring = std::fs::read(path).map_err(|e| {
            Diagnostic::from_error("Unreadable GPG Key Ring", &e)
                .at(AttributePath::attr("git").at_attr("gpg_key_ring"))
        })?;
        Ok(Some(Signing::Gpg {
            key_ring: Sensitive::new(key_ring),
            key_id: self.gpg_key_id.clone(),
            passphrase: self.gpg_passphrase.clone(),
        }))
    }

    /// The credentials written to the git Secret (the host key must be pinned first
    /// for ssh, so that `known_hosts` is filled).
    pub fn credentials(&self) -> GitCredentials {
        match &self.remote.auth {
            Auth::Ssh(ssh) => GitCredentials::Ssh {
                identity: ssh.private_key.clone(),
                identity_pub: flux_core::cluster::find_public_key_line(&ssh.private_key)
                    .unwrap_or_default(),
                known_hosts: match &ssh.host_keys {
                    HostKeyPolicy::KnownHosts(k) => k.as_text().to_string(),
                    HostKeyPolicy::AcceptAny => String::new(),
                },
                password: ssh.passphrase.clone(),
            },
            Auth::Basic { username, password } => GitCredentials::Http {
                username: Some(username.clone()),
                password: Some(password.clone()),
                bearer_token: None,
                ca_certificate: self.remote.ca_pem.clone(),
            },
            Auth::Bearer(token) => GitCredentials::Http {
                username: None,
                password: None,
                bearer_token: Some(token.clone()),
                ca_certificate: self.remote.ca_pem.clone(),
            },
            Auth::None => GitCredentials::Http {
                username: None,
                password: None,
                bearer_token: None,
                ca_certificate: self.remote.ca_pem.clone(),
            },
        }
    }
}

/// The URL without user and password.
fn strip_userinfo(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            // Both setters only fail for URLs that cannot carry userinfo.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_userinfo_removes_credentials_only() {
        assert_eq!(
            strip_userinfo("https://user:pw@git.example.com/org/repo.git"),
            "https://git.example.com/org/repo.git"
        );
        assert_eq!(
            strip_userinfo("https://git.example.com/org/repo.git"),
            "https://git.example.com/org/repo.git"
        );
    }
}

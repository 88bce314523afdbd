//! The provider's connection settings as core's: the cluster connection and the git
//! remote with its credentials, host key policy and commit signing. Shared by every
//! resource, so that a setting means the same to a bootstrap and to a Flux object.

use std::path::PathBuf;

use flux_core::cluster::{Cluster, ConnectionSpec, ExecSpec, GitCredentials};
use flux_core::git::{Auth, Author, HostKeyPolicy, KnownHosts, Remote, Signing, SshAuth};
use flux_core::objects::GitDestination;
use flux_core::Sensitive;
use tfplug::{AttributePath, Diagnostic};

use crate::config::{GitModel, KubernetesModel};

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
    /// The configured `http.username`: the Secret gets no `username` without one, as
    /// with the reference, although the provider's own client logs in as `git`.
    secret_username: Option<String>,
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
            let (url, user) = ssh_login(&model.url, ssh.username.as_deref());
            sync_url = url;
            Auth::Ssh(SshAuth {
                username: user,
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
            secret_username: http
                .and_then(|h| h.username.clone())
                .filter(|u| !u.is_empty()),
        })
    }

    /// Whether the settings give the Secret anything to hold. Without credentials an
    /// existing Secret is kept as it is (as `flux bootstrap` and the reference do), so
    /// one created by hand or by another tool survives.
    pub fn configures_credentials(&self) -> bool {
        !matches!(self.remote.auth, Auth::None) || self.remote.ca_pem.is_some()
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
            Auth::Basic { password, .. } => GitCredentials::Http {
                username: self.secret_username.clone(),
                password: Some(password.clone()).filter(|p| !p.expose().is_empty()),
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

/// The cluster of a `kubernetes` setting (dialled on first use).
pub fn cluster(model: &KubernetesModel) -> Result<Cluster, Diagnostic> {
    Cluster::new(connection_spec(model))
        .map_err(|e| Diagnostic::from_error("Invalid Kubernetes Settings", &e))
}

/// Where Flux objects are committed for a `git` setting. Blocking: it pins the SSH
/// host key on first use when no known_hosts is configured, and reads a GPG key ring.
pub fn git_destination(model: &GitModel) -> Result<GitDestination, Diagnostic> {
    let mut target = GitTarget::new(model)?;
    target
        .pin_host_key()
        .map_err(|e| Diagnostic::from_error("SSH Host Key Scan Failed", &e))?;
    let signing = target.signing()?;
    Ok(GitDestination {
        remote: target.remote,
        author: target.author,
        message_appendix: target.appendix,
        signing,
    })
}

/// The URL Flux clones and the user the provider logs in as, for an ssh URL.
///
/// As with the reference, `ssh.username` replaces the URL's user, except that the
/// default-looking `git` leaves a user written in the URL alone. Unlike the reference,
/// no username keeps the URL's user instead of removing it (TPF #609).
fn ssh_login(raw: &str, configured: Option<&str>) -> (String, Option<String>) {
    let Ok(mut url) = url::Url::parse(raw) else {
        return (raw.to_string(), configured.map(str::to_string));
    };
    let in_url = Some(url.username().to_string()).filter(|u| !u.is_empty());
    let user = match configured.filter(|u| !u.is_empty()) {
        Some("git") if in_url.is_some() => in_url,
        Some(user) => Some(user.to_string()),
        None => in_url,
    };
    if let Some(user) = &user {
        if url.username() != user && url.set_username(user).is_ok() {
            return (url.to_string(), Some(user.clone()));
        }
    }
    (raw.to_string(), user)
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
    use crate::config::git::{HttpModel, SshModel};

    fn git_model(url: &str) -> GitModel {
        GitModel {
            url: url.into(),
            branch: "main".into(),
            author_name: "Flux".into(),
            author_email: "flux@example.com".into(),
            gpg_key_ring: None,
            gpg_passphrase: None,
            gpg_key_id: None,
            ssh_signing_key: None,
            ssh_signing_passphrase: None,
            commit_message_appendix: Some(String::new()),
            ssh: None,
            http: None,
        }
    }

    fn ssh_model(known_hosts: Option<&str>) -> SshModel {
        SshModel {
            username: Some("git".into()),
            password: None,
            private_key: Some(Sensitive::new("-----BEGIN OPENSSH PRIVATE KEY-----".into())),
            hostkey_algos: Vec::new(),
            known_hosts: known_hosts.map(str::to_string),
        }
    }

    #[test]
    fn git_destination_signs_with_the_ssh_signing_key_and_pinned_host_keys() {
        let mut model = git_model("ssh://git@127.0.0.1:22/repo.git");
        model.ssh = Some(ssh_model(Some(
            "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        )));
        model.ssh_signing_key = Some(Sensitive::new("signing key".into()));
        let destination = git_destination(&model).unwrap();
        assert!(
            matches!(&destination.signing, Some(Signing::Ssh { private_key, .. }) if private_key.expose() == "signing key"),
            "{:?}",
            destination.signing
        );
        // An empty appendix is no appendix.
        assert_eq!(destination.message_appendix, None);
        let Auth::Ssh(ssh) = &destination.remote.auth else {
            panic!("ssh auth expected: {:?}", destination.remote.auth);
        };
        assert_ne!(ssh.host_keys, HostKeyPolicy::AcceptAny);
    }

    #[test]
    fn git_target_bad_known_hosts_and_missing_key_are_located() {
        let mut model = git_model("ssh://git@127.0.0.1:22/repo.git");
        model.ssh = Some(ssh_model(Some("not a known_hosts line")));
        let err = GitTarget::new(&model).err().unwrap();
        assert_eq!(
            err.path.as_ref().map(ToString::to_string),
            Some("git.ssh.known_hosts".to_string())
        );
        let mut ssh = ssh_model(None);
        ssh.private_key = None;
        model.ssh = Some(ssh);
        let err = GitTarget::new(&model).err().unwrap();
        assert_eq!(
            err.path.as_ref().map(ToString::to_string),
            Some("git.ssh.private_key".to_string())
        );
    }

    #[test]
    fn git_target_http_url_loses_userinfo_and_keeps_basic_auth() {
        let mut model = git_model("https://me:pw@git.example.com/repo.git");
        model.http = Some(HttpModel {
            username: Some("me".into()),
            password: Some(Sensitive::new("pw".into())),
            bearer_token: None,
            allow_insecure_http: false,
            certificate_authority: None,
        });
        let target = GitTarget::new(&model).unwrap();
        assert_eq!(target.sync_url, "https://git.example.com/repo.git");
        assert_eq!(target.remote.url, target.sync_url);
        assert!(matches!(&target.remote.auth, Auth::Basic { username, .. } if username == "me"));
    }

    #[test]
    fn ssh_login_puts_the_username_into_the_url_as_the_reference_does() {
        let cases = [
            (
                "ssh://host/repo.git",
                Some("git"),
                "ssh://git@host/repo.git",
            ),
            (
                "ssh://alice@host/repo.git",
                Some("git"),
                "ssh://alice@host/repo.git",
            ),
            (
                "ssh://alice@host/repo.git",
                Some("bob"),
                "ssh://bob@host/repo.git",
            ),
            (
                "ssh://alice@host:2222/repo.git",
                None,
                "ssh://alice@host:2222/repo.git",
            ),
            ("ssh://host/repo.git", Some(""), "ssh://host/repo.git"),
        ];
        for (url, user, want) in cases {
            let (sync, login) = ssh_login(url, user);
            assert_eq!(sync, want, "{url} with {user:?}");
            let want_user = url::Url::parse(want).unwrap().username().to_string();
            assert_eq!(login.unwrap_or_default(), want_user, "{url} with {user:?}");
        }
        let mut model = git_model("ssh://127.0.0.1:22/repo.git");
        model.ssh = Some(ssh_model(None));
        let target = GitTarget::new(&model).unwrap();
        assert_eq!(target.sync_url, "ssh://git@127.0.0.1:22/repo.git");
    }

    fn http_model(username: Option<&str>, password: Option<&str>) -> HttpModel {
        HttpModel {
            username: username.map(str::to_string),
            password: password.map(|p| Sensitive::new(p.to_string())),
            bearer_token: None,
            allow_insecure_http: false,
            certificate_authority: None,
        }
    }

    #[test]
    fn git_target_password_without_username_writes_no_username_to_the_secret() {
        let mut model = git_model("https://git.example.com/repo.git");
        model.http = Some(http_model(None, Some("token")));
        let target = GitTarget::new(&model).unwrap();
        // The provider's own client still needs a user name for basic auth.
        assert!(matches!(&target.remote.auth, Auth::Basic { username, .. } if username == "git"));
        let data = flux_core::cluster::git_secret_data(&target.credentials());
        let keys: Vec<&str> = data.keys().collect();
        assert_eq!(keys, ["password"]);
        model.http = Some(http_model(Some("me"), Some("token")));
        let data =
            flux_core::cluster::git_secret_data(&GitTarget::new(&model).unwrap().credentials());
        assert_eq!(data.keys().collect::<Vec<_>>(), ["password", "username"]);
    }

    #[test]
    fn git_target_without_credentials_or_ca_configures_none() {
        let mut model = git_model("https://git.example.com/repo.git");
        model.http = Some(http_model(None, None));
        assert!(!GitTarget::new(&model).unwrap().configures_credentials());
        model.http = Some(HttpModel {
            certificate_authority: Some("-----BEGIN CERTIFICATE-----".into()),
            ..http_model(None, None)
        });
        assert!(GitTarget::new(&model).unwrap().configures_credentials());
        model.http = Some(http_model(Some("me"), None));
        assert!(GitTarget::new(&model).unwrap().configures_credentials());
    }

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

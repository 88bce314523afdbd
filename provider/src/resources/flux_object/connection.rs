//! The provider's connections as core's: the cluster and the git destination.
//! (bootstrap_git has the same conversions privately; these object resources
//! only use the provider-level settings.)

use std::path::PathBuf;

use flux_core::cluster::{Cluster, ConnectionSpec, ExecSpec};
use flux_core::git::{Auth, Author, HostKeyPolicy, KnownHosts, Remote, Signing, SshAuth};
use flux_core::objects::GitDestination;
use flux_core::Sensitive;
use tfplug::{AttributePath, Diagnostic};

use crate::config::{GitModel, KubernetesModel, ProviderData, Setting};

fn missing(what: &str) -> Diagnostic {
    Diagnostic::error(
        "Missing Configuration",
        format!("This operation needs the provider's `{what}` configuration."),
    )
}

fn known<'a, T>(setting: &'a Setting<T>, what: &str) -> Result<&'a T, Diagnostic> {
    match setting {
        Setting::Known(v) => Ok(v),
        Setting::Unset => Err(missing(what)),
        Setting::Deferred => Err(Diagnostic::error(
            "Connection Settings Not Known",
            format!("The provider's `{what}` settings depend on values that are not known yet."),
        )),
    }
}

fn connection_spec(model: &KubernetesModel) -> ConnectionSpec {
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

/// The cluster of the provider's `kubernetes` setting (dialled on first use).
pub fn cluster(data: &ProviderData) -> Result<Cluster, Diagnostic> {
    let model = known(&data.kubernetes, "kubernetes")?;
    Cluster::new(connection_spec(model))
        .map_err(|e| Diagnostic::from_error("Invalid Kubernetes Settings", &e))
}

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

fn remote(model: &GitModel) -> Result<Remote, Diagnostic> {
    let mut url = model.url.clone();
    let auth = if let Some(ssh) = &model.ssh {
        let private_key = ssh.private_key.clone().ok_or_else(|| {
            Diagnostic::error(
                "Missing SSH Private Key",
                "An ssh:// git URL needs git.ssh.private_key to authenticate.",
            )
        })?;
        let host_keys = match &ssh.known_hosts {
            Some(text) => HostKeyPolicy::KnownHosts(
                KnownHosts::parse(text)
                    .map_err(|e| Diagnostic::from_error("Invalid known_hosts", &e))?,
            ),
            None => HostKeyPolicy::AcceptAny,
        };
        Auth::Ssh(SshAuth {
            username: ssh.username.clone().filter(|u| !u.is_empty()),
            private_key,
            passphrase: ssh.password.clone(),
            host_keys,
        })
    } else if let Some(http) = &model.http {
        url = strip_userinfo(&model.url);
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
    Ok(Remote {
        url,
        branch: model.branch.clone(),
        auth,
        ca_pem: http.and_then(|h| h.certificate_authority.clone()),
        allow_insecure_http: http.is_some_and(|h| h.allow_insecure_http),
    })
}

/// The git destination of the provider's `git` setting. Blocking: it may scan an
/// SSH host key (when no known_hosts is configured) and read a GPG key ring.
pub fn git_destination(data: &ProviderData) -> Result<GitDestination, Diagnostic> {
    let model = known(&data.git, "git")?;
    let mut remote = remote(model)?;
    if let Auth::Ssh(ssh) = &remote.auth {
        if ssh.host_keys == HostKeyPolicy::AcceptAny {
            let scanned = flux_core::git::scan_host_key(&remote)
                .map_err(|e| Diagnostic::from_error("SSH Host Key Scan Failed", &e))?;
            if let Auth::Ssh(ssh) = &mut remote.auth {
                ssh.host_keys = HostKeyPolicy::KnownHosts(scanned);
            }
        }
    }
    let signing = match &model.gpg_key_ring {
        Some(path) => {
            let key_ring = std::fs::read(path).map_err(|e| {
                Diagnostic::from_error("Unreadable GPG Key Ring", &e)
                    .at(AttributePath::attr("git").at_attr("gpg_key_ring"))
            })?;
            Some(Signing::Gpg {
                key_ring: Sensitive::new(key_ring),
                key_id: model.gpg_key_id.clone(),
                passphrase: model.gpg_passphrase.clone(),
            })
        }
        None => None,
    };
    Ok(GitDestination {
        remote,
        author: Author {
            name: model.author_name.clone(),
            email: model.author_email.clone(),
        },
        message_appendix: model
            .commit_message_appendix
            .clone()
            .filter(|a| !a.is_empty()),
        signing,
    })
}

//! Turns a [`ConnectionSpec`] (how to reach the Kubernetes API server) into a `kube::Config`.
//!
//! Loading follows the usual rules of tools given explicit settings: kubeconfig files are read only when a path names
//! them (never the home-directory default), several files merge with "first one wins", and the
//! static settings override whatever the selected context gave. With nothing configured at
//! all the in-cluster configuration is used. Nothing here dials the API server.

use std::path::PathBuf;

use base64::Engine as _;
use kube::config::{
    AuthInfo, Cluster as KubeCluster, Context, ExecConfig, ExecInteractiveMode, KubeConfigOptions,
    Kubeconfig, KubeconfigError, NamedAuthInfo, NamedCluster, NamedContext,
};

use super::kubeconfig;
use crate::Sensitive;

/// How to reach the API server: kubeconfig files, the entries to pick from them and static
/// settings that override what those entries give, unvalidated until
/// [`ConnectionSpec::validate`] accepts them.
///
/// The env fallbacks `KUBE_CONFIG_PATH` / `KUBE_CONFIG_PATHS` are not read here: the caller
/// passes them to [`ConnectionSpec::with_path_fallbacks`] so that core stays free of ambient
/// environment reads. The one exception is `~` expansion in paths, which reads `HOME`.
#[derive(Clone, Debug, Default)]
pub struct ConnectionSpec {
    /// API server URL; a host without scheme gets `https://` when TLS settings are present.
    pub host: Option<String>,
    /// Basic-auth user name.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<Sensitive<String>>,
    /// Skip TLS verification of the API server.
    pub insecure: Option<bool>,
    /// Client certificate, PEM.
    pub client_certificate: Option<String>,
    /// Client private key, PEM.
    pub client_key: Option<Sensitive<String>>,
    /// CA bundle that signs the API server certificate, PEM.
    pub cluster_ca_certificate: Option<String>,
    /// One kubeconfig file; takes priority over `config_paths`.
    pub config_path: Option<PathBuf>,
    /// Several kubeconfig files, merged in order (the first one to set a value wins).
    pub config_paths: Vec<PathBuf>,
    /// Context to use from the kubeconfig files.
    pub config_context: Option<String>,
    /// User entry to use instead of the context's.
    pub config_context_auth_info: Option<String>,
    /// Cluster entry to use instead of the context's.
    pub config_context_cluster: Option<String>,
    /// Bearer token.
    pub token: Option<Sensitive<String>>,
    /// HTTP(S) or SOCKS5 proxy for the API server connection.
    pub proxy_url: Option<String>,
    /// Exec credential plugin.
    pub exec: Option<ExecSpec>,
}

/// A client-go exec credential plugin.
#[derive(Clone, Debug, Default)]
pub struct ExecSpec {
    /// `client.authentication.k8s.io/v1` or `v1beta1`.
    pub api_version: String,
    /// The program to run.
    pub command: String,
    /// Extra environment for the program (may hold secrets, so never logged).
    pub env: Vec<(String, Sensitive<String>)>,
    /// Program arguments.
    pub args: Vec<String>,
}

/// A connection setting that cannot be used, or a kubeconfig that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// A connection setting has an unusable value.
    #[error("invalid cluster connection setting {setting}: {reason}")]
    Invalid {
        /// The setting, as [`ConnectionSpec`] names it (`client_key`, `exec.command`).
        setting: &'static str,
        /// What is wrong with it (never the value itself).
        reason: String,
    },
    /// A kubeconfig file could not be read or parsed.
    #[error("failed to read kubeconfig {path}")]
    ReadKubeconfig {
        /// The file.
        path: PathBuf,
        /// What kube reported.
        #[source]
        source: KubeconfigError,
    },
    /// Two kubeconfig files could not be merged.
    #[error("failed to merge kubeconfig {path} into the files before it")]
    MergeKubeconfig {
        /// The file being merged.
        path: PathBuf,
        /// What kube reported.
        #[source]
        source: KubeconfigError,
    },
    /// A context, cluster or user named by the configuration does not exist.
    #[error("{setting} names {name:?}, which is not in the kubeconfig")]
    UnknownEntry {
        /// The setting that named it.
        setting: &'static str,
        /// The missing entry.
        name: String,
    },
    /// No server URL was found in the configuration.
    #[error("no API server: set a host or a kubeconfig whose cluster has a server")]
    MissingHost,
    /// kube rejected the assembled configuration (bad PEM, bad URL, ...).
    #[error("failed to build the kubernetes client configuration")]
    Build {
        /// What kube reported.
        #[source]
        source: KubeconfigError,
    },
    /// Nothing was configured and the in-cluster configuration is unavailable.
    #[error("no kubernetes configuration given and not running in a cluster")]
    InCluster {
        /// What kube reported.
        #[source]
        source: kube::config::InClusterError,
    },
    /// The client could not be created from the configuration (TLS material, proxy).
    #[error("failed to create the kubernetes client")]
    Client {
        /// What kube reported.
        #[source]
        source: kube::Error,
    },
}

impl ConnectionSpec {
    /// Fills `config_path` / `config_paths` from the values of `KUBE_CONFIG_PATH` and
    /// `KUBE_CONFIG_PATHS` (given by the caller) when the settings leave them unset, as the
    /// common Kubernetes tools do. `KUBE_CONFIG_PATHS` is split on the platform's path-list separator.
    pub fn with_path_fallbacks(
        mut self,
        kube_config_path: Option<&str>,
        kube_config_paths: Option<&str>,
    ) -> Self {
        if self.config_path.is_none() {
            self.config_path = kube_config_path
                .filter(|p| !p.is_empty())
                .map(PathBuf::from);
        }
        if self.config_paths.is_empty() {
            if let Some(paths) = kube_config_paths {
                self.config_paths = std::env::split_paths(paths)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect();
            }
        }
        self
    }

    /// Checks every static setting without touching the file system or the network.
    pub fn validate(&self) -> Result<(), ConnectionError> {
        if let Some(host) = &self.host {
            let url = self.host_url(host);
            url.parse::<http::Uri>()
                .map_err(|e| invalid("host", format!("not a URL: {e}")))?;
        }
        if let Some(ca) = &self.cluster_ca_certificate {
            check_pem("cluster_ca_certificate", ca, "CERTIFICATE")?;
        }
        match (&self.client_certificate, &self.client_key) {
            (Some(cert), Some(key)) => {
                check_pem("client_certificate", cert, "CERTIFICATE")?;
                check_pem("client_key", key.expose(), "PRIVATE KEY")?;
            }
            (Some(_), None) => {
                return Err(invalid("client_key", "required with client_certificate"));
            }
            (None, Some(_)) => {
                return Err(invalid("client_certificate", "required with client_key"));
            }
            (None, None) => {}
        }
        if let Some(proxy) = &self.proxy_url {
            let uri = proxy
                .parse::<http::Uri>()
                .map_err(|e| invalid("proxy_url", format!("not a URL: {e}")))?;
            match uri.scheme_str() {
                Some("http" | "https" | "socks5" | "socks5h") => {}
                _ => {
                    return Err(invalid(
                        "proxy_url",
                        "scheme must be http, https, socks5 or socks5h",
                    ))
                }
            }
        }
        if let Some(exec) = &self.exec {
            if exec.api_version.trim().is_empty() {
                return Err(invalid("exec.api_version", "must not be empty"));
            }
            if exec.command.trim().is_empty() {
                return Err(invalid("exec.command", "must not be empty"));
            }
        }
        if self
            .config_path
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(invalid("config_path", "must not be empty"));
        }
        Ok(())
    }

    /// The kubeconfig files in use: `config_path` if set, else `config_paths`.
    fn kubeconfig_paths(&self) -> Vec<PathBuf> {
        match &self.config_path {
            Some(path) => vec![kubeconfig::expand_home(path)],
            None => self
                .config_paths
                .iter()
                .map(|p| kubeconfig::expand_home(p))
                .collect(),
        }
    }

    fn has_static_fields(&self) -> bool {
        self.host.is_some()
            || self.username.is_some()
            || self.password.is_some()
            || self.insecure.is_some()
            || self.client_certificate.is_some()
            || self.client_key.is_some()
            || self.cluster_ca_certificate.is_some()
            || self.token.is_some()
            || self.proxy_url.is_some()
            || self.exec.is_some()
    }

    /// client-go's default-scheme rule for a host given without one.
    fn host_url(&self, host: &str) -> String {
        if host.contains("://") {
            return host.to_owned();
        }
        let tls = self.cluster_ca_certificate.is_some()
            || self.client_certificate.is_some()
            || self.insecure == Some(true);
        if tls {
            format!("https://{host}")
        } else {
            format!("http://{host}")
        }
    }

    /// Loads the files (if any), applies the static overrides and builds the kube config.
    /// Reads files but never dials the server.
    pub async fn load_config(&self) -> Result<kube::Config, ConnectionError> {
        self.validate()?;
        let paths = self.kubeconfig_paths();
        if paths.is_empty() && !self.has_static_fields() {
            return kube::Config::incluster()
                .map_err(|source| ConnectionError::InCluster { source });
        }
        let (mut cluster, mut user, namespace) = if paths.is_empty() {
            (KubeCluster::default(), AuthInfo::default(), None)
        } else {
            let merged = kubeconfig::read_merged(&paths)?;
            kubeconfig::select_entries(self, merged)?
        };
        self.override_cluster(&mut cluster);
        self.override_user(&mut user);
        if cluster.server.as_deref().is_none_or(str::is_empty) {
            return Err(ConnectionError::MissingHost);
        }
        let name = String::from("flux");
        let kubeconfig = Kubeconfig {
            clusters: vec![NamedCluster {
                name: name.clone(),
                cluster: Some(cluster),
                ..NamedCluster::default()
            }],
            auth_infos: vec![NamedAuthInfo {
                name: name.clone(),
                auth_info: Some(user),
                ..NamedAuthInfo::default()
            }],
            contexts: vec![NamedContext {
                name: name.clone(),
                context: Some(Context {
                    cluster: name.clone(),
                    user: Some(name.clone()),
                    namespace,
                    ..Context::default()
                }),
                ..NamedContext::default()
            }],
            current_context: Some(name),
            ..Kubeconfig::default()
        };
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|source| ConnectionError::Build { source })
    }

    fn override_cluster(&self, cluster: &mut KubeCluster) {
        if let Some(host) = &self.host {
            cluster.server = Some(self.host_url(host));
        }
        if let Some(insecure) = self.insecure {
            cluster.insecure_skip_tls_verify = Some(insecure);
        }
        if let Some(ca) = &self.cluster_ca_certificate {
            cluster.certificate_authority = None;
            cluster.certificate_authority_data = Some(encode(ca));
        }
        if let Some(proxy) = &self.proxy_url {
            cluster.proxy_url = Some(proxy.clone());
        }
    }

    fn override_user(&self, user: &mut AuthInfo) {
        if let Some(cert) = &self.client_certificate {
            user.client_certificate = None;
            user.client_certificate_data = Some(encode(cert));
        }
        if let Some(key) = &self.client_key {
            user.client_key = None;
            user.client_key_data = Some(encode(key.expose()).into());
        }
        if let Some(token) = &self.token {
            user.token_file = None;
            user.token = Some(token.expose().clone().into());
        }
        if let Some(username) = &self.username {
            user.username = Some(username.clone());
        }
        if let Some(password) = &self.password {
            user.password = Some(password.expose().clone().into());
        }
        if let Some(exec) = &self.exec {
            user.exec = Some(ExecConfig {
                api_version: Some(exec.api_version.clone()),
                command: Some(exec.command.clone()),
                args: Some(exec.args.clone()),
                env: Some(
                    exec.env
                        .iter()
                        .map(|(name, value)| {
                            [
                                (String::from("name"), name.clone()),
                                (String::from("value"), value.expose().clone()),
                            ]
                            .into_iter()
                            .collect()
                        })
                        .collect(),
                ),
                drop_env: None,
                install_hint: None,
                interactive_mode: Some(ExecInteractiveMode::IfAvailable),
                provide_cluster_info: false,
                cluster: None,
                other: Default::default(),
            });
        }
    }
}

fn invalid(setting: &'static str, reason: impl Into<String>) -> ConnectionError {
    ConnectionError::Invalid {
        setting,
        reason: reason.into(),
    }
}

fn check_pem(setting: &'static str, text: &str, label: &str) -> Result<(), ConnectionError> {
    let has_block = text.lines().any(|line| {
        line.starts_with("-----BEGIN ") && line.trim_end().ends_with(&format!("{label}-----"))
    });
    if has_block {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("expected a PEM block ending in {label}"),
        ))
    }
}

fn encode(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn host_without_scheme_and_ca_gets_https() {
        let spec = ConnectionSpec {
            cluster_ca_certificate: Some(CERT.into()),
            ..ConnectionSpec::default()
        };
        assert_eq!(spec.host_url("127.0.0.1:6443"), "https://127.0.0.1:6443");
        assert_eq!(ConnectionSpec::default().host_url("h:80"), "http://h:80");
        assert_eq!(spec.host_url("http://h:80"), "http://h:80");
    }

    #[test]
    fn validate_client_certificate_without_key_names_client_key() {
        let spec = ConnectionSpec {
            client_certificate: Some(CERT.into()),
            ..ConnectionSpec::default()
        };
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("setting client_key"), "{err}");
    }

    #[test]
    fn validate_bad_ca_names_setting_without_value() {
        let spec = ConnectionSpec {
            cluster_ca_certificate: Some("not-a-pem-secret".into()),
            ..ConnectionSpec::default()
        };
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("cluster_ca_certificate"), "{err}");
        assert!(!err.contains("not-a-pem-secret"), "{err}");
    }

    #[test]
    fn validate_accepts_ec_key_and_rejects_empty_exec_command() {
        let spec = ConnectionSpec {
            client_certificate: Some(CERT.into()),
            client_key: Some(Sensitive::new(KEY.into())),
            ..ConnectionSpec::default()
        };
        assert!(spec.validate().is_ok());
        let spec = ConnectionSpec {
            exec: Some(ExecSpec {
                api_version: "client.authentication.k8s.io/v1".into(),
                ..ExecSpec::default()
            }),
            ..ConnectionSpec::default()
        };
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("exec.command"), "{err}");
    }

    #[test]
    fn validate_proxy_with_unknown_scheme_names_proxy_url() {
        let spec = ConnectionSpec {
            proxy_url: Some("ftp://proxy:21".into()),
            ..ConnectionSpec::default()
        };
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("proxy_url"), "{err}");
    }

    #[test]
    fn path_fallbacks_fill_only_unset_paths() {
        let spec = ConnectionSpec::default().with_path_fallbacks(Some("/a"), Some("/b:/c"));
        assert_eq!(spec.config_path, Some(PathBuf::from("/a")));
        assert_eq!(
            spec.config_paths,
            vec![PathBuf::from("/b"), PathBuf::from("/c")]
        );
        let spec = ConnectionSpec {
            config_path: Some("/x".into()),
            ..ConnectionSpec::default()
        }
        .with_path_fallbacks(Some("/a"), None);
        assert_eq!(spec.config_path, Some(PathBuf::from("/x")));
    }

    #[tokio::test]
    async fn load_config_missing_file_names_path() {
        let spec = ConnectionSpec {
            config_path: Some("/nonexistent/kubeconfig".into()),
            ..ConnectionSpec::default()
        };
        let err = spec.load_config().await.unwrap_err().to_string();
        assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
    }

    #[tokio::test]
    async fn load_config_token_overrides_file_user_and_keeps_cluster() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u, namespace: ns1}\n- name: b\n  context: {cluster: d, user: u}\nclusters:\n- name: c\n  cluster: {server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: true}\n- name: d\n  cluster: {server: 'https://10.0.0.2:6443'}\nusers:\n- name: u\n  user: {username: alice, token: old}\n",
        )
        .unwrap();
        let spec = ConnectionSpec {
            config_path: Some(path.clone()),
            token: Some(Sensitive::new("new-token".into())),
            ..ConnectionSpec::default()
        };
        let config = spec.load_config().await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert_eq!(config.default_namespace, "ns1");
        assert!(config.accept_invalid_certs);
        assert_eq!(config.auth_info.username.as_deref(), Some("alice"));
        let user = serde_json::to_value(&config.auth_info).unwrap();
        assert_eq!(user["token"], "new-token");

        let spec = ConnectionSpec {
            config_path: Some(path.clone()),
            config_context: Some("b".into()),
            ..ConnectionSpec::default()
        };
        let config = spec.load_config().await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://10.0.0.2:6443/");

        let spec = ConnectionSpec {
            config_path: Some(path),
            config_context: Some("missing".into()),
            ..ConnectionSpec::default()
        };
        let err = spec.load_config().await.unwrap_err().to_string();
        assert!(
            err.contains("config_context") && err.contains("missing"),
            "{err}"
        );
    }
}

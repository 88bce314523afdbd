//! The `kubernetes = { ... }` attribute: how to reach the cluster. The same schema
//! serves the provider block and the per-resource override.

use std::collections::BTreeMap;

use flux_core::Sensitive;
use tfplug::{Attribute, Diagnostic, Diagnostics, ObjectAccess, Type, Value};

/// The schema of `kubernetes = { ... }`; every credential is sensitive.
pub fn attribute(description: &str) -> Attribute {
    Attribute::single_nested(
        "kubernetes",
        vec![
            Attribute::string("host")
                .optional()
                .description("Address of the Kubernetes API server. Without a scheme, `https://` is used when a CA, a client certificate or `insecure` is set, `http://` otherwise."),
            Attribute::string("username")
                .optional()
                .description("User name for HTTP basic authentication to the API server."),
            Attribute::string("password")
                .optional()
                .sensitive()
                .description("Password for HTTP basic authentication to the API server."),
            Attribute::bool("insecure")
                .optional()
                .description("Skip verification of the API server's TLS certificate."),
            Attribute::string("client_certificate")
                .optional()
                .description("PEM client certificate for TLS authentication."),
            Attribute::string("client_key")
                .optional()
                .sensitive()
                .description("PEM private key of `client_certificate`."),
            Attribute::string("cluster_ca_certificate")
                .optional()
                .description("PEM root certificates the API server's certificate must chain to."),
            Attribute::set("config_paths", Type::String)
                .optional()
                .description("kubeconfig files to merge (the first file to set a value wins). Defaults to `KUBE_CONFIG_PATHS`."),
            Attribute::string("config_path")
                .optional()
                .description("A kubeconfig file; takes priority over `config_paths`. Defaults to `KUBE_CONFIG_PATH`."),
            Attribute::string("config_context")
                .optional()
                .description("kubeconfig context to use instead of its current context."),
            Attribute::string("config_context_auth_info")
                .optional()
                .description("kubeconfig user to use instead of the context's."),
            Attribute::string("config_context_cluster")
                .optional()
                .description("kubeconfig cluster to use instead of the context's."),
            Attribute::string("token")
                .optional()
                .sensitive()
                .description("Bearer token for the API server."),
            Attribute::string("proxy_url")
                .optional()
                .description("URL of a proxy for requests to the API server."),
            Attribute::single_nested(
                "exec",
                vec![
                    Attribute::string("api_version")
                        .required()
                        .description("API version of the ExecCredential the plugin returns."),
                    Attribute::string("command")
                        .required()
                        .description("The credential plugin to run."),
                    Attribute::map("env", Type::String)
                        .optional()
                        .description("Environment variables for the plugin."),
                    Attribute::list("args", Type::String)
                        .optional()
                        .description("Arguments of the plugin."),
                ],
            )
            .optional()
            .description("A client-go credential plugin that returns a token or a client certificate."),
        ],
    )
    .optional()
    .description(description)
}

/// A credential plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecModel {
    /// ExecCredential API version.
    pub api_version: String,
    /// The command.
    pub command: String,
    /// Its environment.
    pub env: BTreeMap<String, String>,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The `kubernetes` attribute's values, with the `KUBE_CONFIG_PATH(S)` fallbacks
/// applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubernetesModel {
    /// API server address.
    pub host: Option<String>,
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<Sensitive<String>>,
    /// Skip TLS verification.
    pub insecure: Option<bool>,
    /// PEM client certificate.
    pub client_certificate: Option<String>,
    /// PEM client key.
    pub client_key: Option<Sensitive<String>>,
    /// PEM CA bundle.
    pub cluster_ca_certificate: Option<String>,
    /// kubeconfig files to merge.
    pub config_paths: Vec<String>,
    /// One kubeconfig file.
    pub config_path: Option<String>,
    /// Context override.
    pub config_context: Option<String>,
    /// User override.
    pub config_context_auth_info: Option<String>,
    /// Cluster override.
    pub config_context_cluster: Option<String>,
    /// Bearer token.
    pub token: Option<Sensitive<String>>,
    /// Proxy URL.
    pub proxy_url: Option<String>,
    /// Credential plugin.
    pub exec: Option<ExecModel>,
}

impl KubernetesModel {
    /// Reads a wholly known `kubernetes` object. `env` is the process environment,
    /// passed in so that tests control it.
    pub fn from_value(
        obj: &ObjectAccess<'_>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Diagnostic> {
        let secret = |name: &str| -> Result<Option<Sensitive<String>>, Diagnostic> {
            Ok(obj.get::<Option<String>>(name)?.map(Sensitive::new))
        };
        let exec = if obj.is_null("exec") {
            None
        } else {
            let e = obj.object("exec");
            Some(ExecModel {
                api_version: e.get("api_version")?,
                command: e.get("command")?,
                env: e
                    .get::<Option<BTreeMap<String, String>>>("env")?
                    .unwrap_or_default(),
                args: e.get::<Option<Vec<String>>>("args")?.unwrap_or_default(),
            })
        };
        let config_path = obj
            .get::<Option<String>>("config_path")?
            .or_else(|| env("KUBE_CONFIG_PATH").filter(|v| !v.is_empty()));
        let config_paths = match obj.get::<Option<Vec<String>>>("config_paths")? {
            Some(paths) => paths,
            None => env("KUBE_CONFIG_PATHS")
                .map(|v| {
                    std::env::split_paths(&v)
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(Self {
            host: obj.get("host")?,
            username: obj.get("username")?,
            password: secret("password")?,
            insecure: obj.get("insecure")?,
            client_certificate: obj.get("client_certificate")?,
            client_key: secret("client_key")?,
            cluster_ca_certificate: obj.get("cluster_ca_certificate")?,
            config_paths,
            config_path,
            config_context: obj.get("config_context")?,
            config_context_auth_info: obj.get("config_context_auth_info")?,
            config_context_cluster: obj.get("config_context_cluster")?,
            token: secret("token")?,
            proxy_url: obj.get("proxy_url")?,
            exec,
        })
    }
}

/// Checks what can be checked before the cluster exists: URL forms and PEM shapes.
pub fn validate(value: &Value, obj: &ObjectAccess<'_>, diags: &mut Diagnostics) {
    if value.is_null() || value.is_unknown() {
        return;
    }
    if let Some(host) = value.attr("host").as_str() {
        if host.contains("://") && url::Url::parse(host).is_err() {
            diags.attribute_error(
                obj.path_of("host"),
                "Invalid Kubernetes Host",
                format!("{host:?} is not a valid URL."),
            );
        }
    }
    if let Some(proxy) = value.attr("proxy_url").as_str() {
        if url::Url::parse(proxy).is_err() {
            diags.attribute_error(
                obj.path_of("proxy_url"),
                "Invalid Proxy URL",
                format!("{proxy:?} is not a valid URL."),
            );
        }
    }
    for (name, marker) in [
        ("client_certificate", "CERTIFICATE"),
        ("cluster_ca_certificate", "CERTIFICATE"),
        ("client_key", "PRIVATE KEY"),
    ] {
        if let Some(pem) = value.attr(name).as_str() {
            if !(pem.contains("-----BEGIN") && pem.contains(marker)) {
                diags.attribute_error(
                    obj.path_of(name),
                    "Invalid PEM Value",
                    format!("{name} must be PEM text containing a {marker} block (-----BEGIN ...-----)."),
                );
            }
        }
    }
    let cert = !value.attr("client_certificate").is_null();
    let key = !value.attr("client_key").is_null();
    if cert != key
        && !value.attr("client_certificate").is_unknown()
        && !value.attr("client_key").is_unknown()
    {
        let missing = if cert {
            "client_key"
        } else {
            "client_certificate"
        };
        diags.attribute_error(
            obj.path_of(missing),
            "Incomplete Client Certificate",
            "client_certificate and client_key must be set together.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplug::AttributePath;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn k8s(entries: Vec<(&str, Value)>) -> Value {
        Value::object(entries)
    }

    #[test]
    fn model_reads_every_form_and_hides_secrets() {
        let v = k8s(vec![
            ("host", "https://127.0.0.1:6443".into()),
            ("token", "t0ken".into()),
            ("config_paths", Value::set(["/a".into()])),
            (
                "exec",
                Value::object([
                    ("api_version", "client.authentication.k8s.io/v1".into()),
                    ("command", "aws".into()),
                    ("env", Value::object([("A", Value::from("1"))])),
                    ("args", Value::list(["eks".into()])),
                ]),
            ),
        ]);
        let m = KubernetesModel::from_value(&ObjectAccess::root(&v), no_env).unwrap();
        assert_eq!(m.host.as_deref(), Some("https://127.0.0.1:6443"));
        assert_eq!(m.token.as_ref().map(|t| t.expose().as_str()), Some("t0ken"));
        assert!(!format!("{m:?}").contains("t0ken"));
        assert_eq!(m.exec.unwrap().args, vec!["eks"]);
        assert_eq!(m.config_paths, vec!["/a"]);
    }

    #[test]
    fn config_path_falls_back_to_environment() {
        let v = k8s(vec![]);
        let env = |k: &str| match k {
            "KUBE_CONFIG_PATH" => Some("/from/env".to_string()),
            "KUBE_CONFIG_PATHS" => Some("/one:/two".to_string()),
            _ => None,
        };
        let m = KubernetesModel::from_value(&ObjectAccess::root(&v), env).unwrap();
        assert_eq!(m.config_path.as_deref(), Some("/from/env"));
        assert_eq!(m.config_paths, vec!["/one", "/two"]);
        let v = k8s(vec![("config_path", "/explicit".into())]);
        let m = KubernetesModel::from_value(&ObjectAccess::root(&v), env).unwrap();
        assert_eq!(m.config_path.as_deref(), Some("/explicit"));
    }

    #[test]
    fn validate_locates_bad_pem_and_half_client_certificates() {
        let v = k8s(vec![("client_certificate", "not pem".into())]);
        let obj = ObjectAccess::new(&v, AttributePath::attr("kubernetes"));
        let mut diags = Diagnostics::new();
        validate(&v, &obj, &mut diags);
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(
            paths,
            vec!["kubernetes.client_certificate", "kubernetes.client_key"]
        );
    }
}

//! The Secrets bootstrap writes: the git credentials Secret and the image pull Secret.
//! A Secret is rewritten whenever its content differs, so a rotated credential reaches the
//! cluster (TPF #596, #566). Callers that disable secret creation simply do not call
//! [`Cluster::ensure_secret`].

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{Cluster, ClusterError, ObjectRef, FIELD_MANAGER};
use crate::Sensitive;

/// Credentials for the git credentials Secret, by transport.
#[derive(Clone, Debug)]
pub enum GitCredentials {
    /// HTTP(S): basic auth, bearer token and/or a CA bundle.
    Http {
        /// Basic-auth user.
        username: Option<String>,
        /// Basic-auth password.
        password: Option<Sensitive<String>>,
        /// Bearer token (key `bearerToken`).
        bearer_token: Option<Sensitive<String>>,
        /// CA bundle, PEM (key `ca.crt`).
        ca_certificate: Option<String>,
    },
    /// SSH: private key, public key, known hosts and an optional key passphrase.
    Ssh {
        /// Private key, PEM (key `identity`).
        identity: Sensitive<String>,
        /// The authorized_keys line of the public key (key `identity.pub`).
        identity_pub: String,
        /// known_hosts lines for the git host (key `known_hosts`).
        known_hosts: String,
        /// Passphrase of the private key (key `password`).
        password: Option<Sensitive<String>>,
    },
}

/// The content of a Secret: key to value, values redacted in `Debug`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretData {
    entries: BTreeMap<String, Sensitive<Vec<u8>>>,
}

impl SecretData {
    /// Adds or replaces one entry.
    pub fn insert(&mut self, key: &str, value: impl Into<Vec<u8>>) {
        self.entries
            .insert(key.to_owned(), Sensitive::new(value.into()));
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// One value.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries.get(key).map(|v| v.expose().as_slice())
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A digest of keys and values (`sha256:<hex>`), safe to show to a user: it changes
    /// whenever the content does and reveals nothing else.
    pub fn fingerprint(&self) -> String {
        fingerprint(
            self.entries
                .iter()
                .map(|(k, v)| (k.as_str(), v.expose().as_slice())),
        )
    }

    fn to_base64_map(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::String(base64::engine::general_purpose::STANDARD.encode(v.expose())),
                )
            })
            .collect()
    }
}

fn fingerprint<'a>(entries: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in entries {
        // Lengths first, so that no two different maps hash the same bytes.
        hasher.update((key.len() as u64).to_be_bytes());
        hasher.update(key.as_bytes());
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The type of a Secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretType {
    /// `Opaque`, as the git credentials Secret.
    Opaque,
    /// `kubernetes.io/dockerconfigjson`, as the image pull Secret.
    DockerConfigJson,
}

impl SecretType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "Opaque",
            Self::DockerConfigJson => "kubernetes.io/dockerconfigjson",
        }
    }
}

/// A Secret to create or bring up to date.
#[derive(Clone, Debug)]
pub struct SecretSpec {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Type.
    pub secret_type: SecretType,
    /// The exact content wanted: other keys are removed.
    pub data: SecretData,
    /// Labels to set.
    pub labels: BTreeMap<String, String>,
}

/// What [`Cluster::ensure_secret`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretOutcome {
    /// The Secret did not exist and was created.
    Created,
    /// The Secret existed with other content and was rewritten.
    Updated,
    /// The Secret already had this content.
    Unchanged,
}

/// The git credentials Secret's data, with the keys the reference writes.
pub fn git_secret_data(credentials: &GitCredentials) -> SecretData {
    let mut data = SecretData::default();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            data.insert(key, value.as_bytes());
        }
    };
    match credentials {
        GitCredentials::Http {
            username,
            password,
            bearer_token,
            ca_certificate,
        } => {
            put("username", username.as_deref());
            put("password", password.as_ref().map(|p| p.expose().as_str()));
            put(
                "bearerToken",
                bearer_token.as_ref().map(|t| t.expose().as_str()),
            );
            put("ca.crt", ca_certificate.as_deref());
        }
        GitCredentials::Ssh {
            identity,
            identity_pub,
            known_hosts,
            password,
        } => {
            put("identity", Some(identity.expose()));
            put("identity.pub", Some(identity_pub));
            put("known_hosts", Some(known_hosts.trim_end()));
            put("password", password.as_ref().map(|p| p.expose().as_str()));
        }
    }
    data
}

/// The authorized_keys line (`<algorithm> <base64>` and a newline, as Flux writes
/// `identity.pub`) of an OpenSSH-format private key. The public half of an OpenSSH key
/// file is stored unencrypted, so no passphrase is needed. `None` for other formats
/// (PEM/PKCS#8) or an unreadable key: `identity.pub` is informational, source-controller
/// authenticates with `identity` alone.
pub fn find_public_key_line(private_key: &Sensitive<String>) -> Option<String> {
    let key = ssh_key::PrivateKey::from_openssh(private_key.expose()).ok()?;
    let line = key.public_key().to_openssh().ok()?;
    // Without the comment, which may name a user or host.
    let mut parts = line.split_whitespace();
    let algorithm = parts.next()?;
    let data = parts.next()?;
    Some(format!("{algorithm} {data}\n"))
}

/// The image pull Secret's data: `.dockerconfigjson` with one registry entry.
pub fn image_pull_secret_data(
    registry: &str,
    username: &str,
    password: &Sensitive<String>,
) -> Result<SecretData, ClusterError> {
    if registry.trim().is_empty() {
        return Err(ClusterError::Invalid {
            field: "registry",
            reason: "must not be empty".into(),
        });
    }
    if username.is_empty() || username.contains(':') {
        return Err(ClusterError::Invalid {
            field: "registry_credentials",
            reason: "the user name must be non-empty and contain no ':'".into(),
        });
    }
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{username}:{}", password.expose()));
    let config = json!({"auths": {registry: {
        "username": username,
        "password": password.expose(),
        "auth": auth,
    }}});
    let mut data = SecretData::default();
    data.insert(".dockerconfigjson", config.to_string());
    Ok(data)
}

impl Cluster {
    /// Creates the Secret, or rewrites it when its type or content differs (keys not in
    /// `spec.data` are removed). Nothing is written when it already matches.
    #[tracing::instrument(skip_all, fields(namespace = %spec.namespace, name = %spec.name))]
    pub async fn ensure_secret(&self, spec: &SecretSpec) -> Result<SecretOutcome, ClusterError> {
        let object = ObjectRef::new("v1", "Secret", Some(&spec.namespace), &spec.name);
        let request_error = |action| {
            let object = object.clone();
            move |source| ClusterError::Request {
                action,
                object,
                source: Box::new(source),
            }
        };
        let api: kube::Api<Secret> = kube::Api::namespaced(self.client().await?, &spec.namespace);
        let live = api
            .get_opt(&spec.name)
            .await
            .map_err(request_error("read"))?;
        let desired = spec.data.to_base64_map();
        let labels: Map<String, Value> = spec
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let apply_body = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
            "type": spec.secret_type.as_str(),
            "data": desired,
        });
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        let Some(live) = live else {
            api.patch(&spec.name, &apply, &Patch::Apply(&apply_body))
                .await
                .map_err(request_error("create"))?;
            tracing::info!("secret created");
            return Ok(SecretOutcome::Created);
        };
        let live_type = live.type_.as_deref().unwrap_or("Opaque");
        let live_data: BTreeMap<&str, &[u8]> = live
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.0.as_slice()))
            .collect();
        let wanted_data: BTreeMap<&str, &[u8]> = spec
            .data
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose().as_slice()))
            .collect();
        let labels_match = spec
            .labels
            .iter()
            .all(|(k, v)| live.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v));
        if live_type == spec.secret_type.as_str() && live_data == wanted_data && labels_match {
            return Ok(SecretOutcome::Unchanged);
        }
        if live_type != spec.secret_type.as_str() {
            // The type is immutable: replace the Secret.
            api.delete(&spec.name, &DeleteParams::background())
                .await
                .map_err(request_error("delete"))?;
            api.patch(&spec.name, &apply, &Patch::Apply(&apply_body))
                .await
                .map_err(request_error("create"))?;
        } else {
            // A merge patch can drop keys another manager owns; server-side apply could not.
            let mut data = desired;
            for key in live_data.keys() {
                if !wanted_data.contains_key(key) {
                    data.insert((*key).to_owned(), Value::Null);
                }
            }
            let patch = json!({"metadata": {"labels": labels}, "data": data});
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            };
            api.patch(&spec.name, &params, &Patch::Merge(&patch))
                .await
                .map_err(request_error("update"))?;
        }
        tracing::info!("secret updated");
        Ok(SecretOutcome::Updated)
    }

    /// The fingerprint of a live Secret's content (see [`SecretData::fingerprint`]), or
    /// `None` when it does not exist.
    pub async fn find_secret_fingerprint(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        let api: kube::Api<Secret> = kube::Api::namespaced(self.client().await?, namespace);
        let live = api
            .get_opt(name)
            .await
            .map_err(|source| ClusterError::Request {
                action: "read",
                object: ObjectRef::new("v1", "Secret", Some(namespace), name),
                source: Box::new(source),
            })?;
        Ok(live.map(|secret| {
            let data = secret.data.unwrap_or_default();
            fingerprint(data.iter().map(|(k, v)| (k.as_str(), v.0.as_slice())))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throw-away ed25519 key generated for this test only (comment `someone@host`).
    const TEST_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACB2GW93cdgh8deZWHSvFdAUkEmaWQVWRQJi6T/4xfLF0AAAAJBrGJ0Vaxid\nFQAAAAtzc2gtZWQyNTUxOQAAACB2GW93cdgh8deZWHSvFdAUkEmaWQVWRQJi6T/4xfLF0A\nAAAEAAruALWWn7peU0TIDzXt9a8ijkPJNJRo6OQx/gXRc9lHYZb3dx2CHx15lYdK8V0BSQ\nSZpZBVZFAmLpP/jF8sXQAAAADHNvbWVvbmVAaG9zdAE=\n-----END OPENSSH PRIVATE KEY-----\n";

    #[test]
    fn find_public_key_line_openssh_key_gives_authorized_keys_line_without_comment() {
        let line = find_public_key_line(&Sensitive::new(TEST_KEY.to_string()));
        assert_eq!(
            line.as_deref(),
            Some("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYZb3dx2CHx15lYdK8V0BSQSZpZBVZFAmLpP/jF8sXQ\n")
        );
        assert_eq!(
            find_public_key_line(&Sensitive::new("-----BEGIN PRIVATE KEY-----\n".into())),
            None
        );
    }

    #[test]
    fn git_secret_data_http_writes_reference_keys_and_skips_empty() {
        let data = git_secret_data(&GitCredentials::Http {
            username: Some("git".into()),
            password: Some(Sensitive::new("pw".into())),
            bearer_token: None,
            ca_certificate: Some("-----BEGIN CERTIFICATE-----\n".into()),
        });
        assert_eq!(
            data.keys().collect::<Vec<_>>(),
            vec!["ca.crt", "password", "username"]
        );
        assert_eq!(data.get("password"), Some(&b"pw"[..]));
        let data = git_secret_data(&GitCredentials::Http {
            username: None,
            password: None,
            bearer_token: Some(Sensitive::new("tok".into())),
            ca_certificate: None,
        });
        assert_eq!(data.keys().collect::<Vec<_>>(), vec!["bearerToken"]);
    }

    #[test]
    fn git_secret_data_ssh_writes_identity_keys_and_trims_known_hosts() {
        let data = git_secret_data(&GitCredentials::Ssh {
            identity: Sensitive::new("-----BEGIN PRIVATE KEY-----".into()),
            identity_pub: "ssh-ed25519 AAAA".into(),
            known_hosts: "[127.0.0.1]:2222 ssh-ed25519 AAAA\n\n".into(),
            password: None,
        });
        assert_eq!(
            data.keys().collect::<Vec<_>>(),
            vec!["identity", "identity.pub", "known_hosts"]
        );
        assert_eq!(
            data.get("known_hosts"),
            Some(&b"[127.0.0.1]:2222 ssh-ed25519 AAAA"[..])
        );
    }

    #[test]
    fn secret_data_debug_hides_values() {
        let mut data = SecretData::default();
        data.insert("password", "hunter2");
        let text = format!("{data:?}");
        assert!(
            !text.contains("hunter2") && text.contains("password"),
            "{text}"
        );
    }

    #[test]
    fn fingerprint_changes_with_any_value_and_not_with_insert_order() {
        let mut a = SecretData::default();
        a.insert("username", "git");
        a.insert("password", "one");
        let mut b = SecretData::default();
        b.insert("password", "one");
        b.insert("username", "git");
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.insert("password", "two");
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert!(a.fingerprint().starts_with("sha256:"));
        assert!(!a.fingerprint().contains("one"));
    }

    #[test]
    fn image_pull_secret_data_has_auths_entry_with_basic_auth() {
        let data = image_pull_secret_data("ghcr.io", "bot", &Sensitive::new("p:w".into())).unwrap();
        let config: Value = serde_json::from_slice(data.get(".dockerconfigjson").unwrap()).unwrap();
        let entry = &config["auths"]["ghcr.io"];
        assert_eq!(entry["username"], "bot");
        assert_eq!(entry["password"], "p:w");
        let auth = base64::engine::general_purpose::STANDARD
            .decode(entry["auth"].as_str().unwrap())
            .unwrap();
        assert_eq!(auth, b"bot:p:w");
    }

    #[test]
    fn image_pull_secret_data_empty_registry_names_field() {
        let err = image_pull_secret_data(" ", "bot", &Sensitive::new("x".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("registry"), "{err}");
    }
}

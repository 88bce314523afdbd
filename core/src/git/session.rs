//! One network operation's callbacks: capped credentials, host-key and CA checks,
//! per-ref push status; and the mapping of its failure to a [`GitError`].

use std::cell::RefCell;

use git2::{CertificateCheckStatus, Cred, CredentialType, ErrorClass, ErrorCode, RemoteCallbacks};

use super::known_hosts::{key_type_of_blob, HostKeyMatch, KnownHosts};
use super::remote::{Auth, HostKeyPolicy, ParsedUrl, Remote};
use super::GitError;

/// State of one fetch or push; callbacks record here why they refused.
pub(crate) struct Session<'r> {
    remote: &'r Remote,
    parsed: ParsedUrl,
    headers: Vec<String>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    username_sent: bool,
    secret_sent: bool,
    auth_failure: Option<String>,
    host_key_failure: Option<GitError>,
    certificate_failure: Option<String>,
    presented_host_key: Option<Vec<u8>>,
    ref_status: Vec<(String, Option<String>)>,
}

impl<'r> Session<'r> {
    pub(crate) fn new(remote: &'r Remote, parsed: ParsedUrl) -> Self {
        let headers = match &remote.auth {
            Auth::Bearer(token) => vec![format!("Authorization: Bearer {}", token.expose())],
            _ => Vec::new(),
        };
        Self {
            remote,
            parsed,
            headers,
            state: RefCell::default(),
        }
    }

    /// The URL handed to libgit2: without userinfo for http(s).
    pub(crate) fn url(&self) -> &str {
        &self.parsed.redacted
    }

    /// Extra HTTP headers (the bearer token).
    pub(crate) fn headers(&self) -> Vec<&str> {
        self.headers.iter().map(String::as_str).collect()
    }

    /// Per-ref statuses the server sent for the last push: `(ref, Some(reason))`
    /// for a refused update.
    pub(crate) fn take_ref_status(&self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut self.state.borrow_mut().ref_status)
    }

    /// The host key the server presented, when the policy accepted any.
    pub(crate) fn presented_host_key(&self) -> Option<Vec<u8>> {
        self.state.borrow().presented_host_key.clone()
    }

    pub(crate) fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|_url, _user_from_url, allowed| self.credentials(allowed));
        callbacks.certificate_check(|cert, host| self.certificate_check(cert, host));
        callbacks.push_update_reference(|name, status| {
            self.state
                .borrow_mut()
                .ref_status
                .push((name.to_string(), status.map(str::to_string)));
            Ok(())
        });
        callbacks
    }

    /// Answers each kind of credential once: libgit2 asks again after a refusal,
    /// and a second answer would only repeat the same wrong secret.
    fn credentials(&self, allowed: CredentialType) -> Result<Cred, git2::Error> {
        let mut state = self.state.borrow_mut();
        let refuse = |state: &mut State, reason: &str| {
            state.auth_failure = Some(reason.to_string());
            Err(git2::Error::from_str(reason))
        };
        match &self.remote.auth {
            Auth::Ssh(ssh) => {
                let user = self.remote.ssh_user(&self.parsed);
                if allowed.contains(CredentialType::USERNAME) && !state.username_sent {
                    state.username_sent = true;
                    return Cred::username(&user);
                }
                if !allowed.contains(CredentialType::SSH_KEY) {
                    return refuse(&mut state, "the server offers no public-key authentication");
                }
                if state.secret_sent {
                    return refuse(
                        &mut state,
                        &format!("the server rejected the ssh key for user {user}"),
                    );
                }
                state.secret_sent = true;
                Cred::ssh_key_from_memory(
                    &user,
                    None,
                    ssh.private_key.expose(),
                    ssh.passphrase.as_ref().map(|p| p.expose().as_str()),
                )
                .or_else(|_| refuse(&mut state, "cannot load the ssh private key"))
            }
            Auth::Basic { username, password } => {
                if !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
                    return refuse(&mut state, "the server offers no basic authentication");
                }
                if state.secret_sent {
                    return refuse(&mut state, "the server rejected the username or password");
                }
                state.secret_sent = true;
                Cred::userpass_plaintext(username, password.expose())
            }
            Auth::Bearer(_) => refuse(&mut state, "the server rejected the bearer token"),
            Auth::None => refuse(&mut state, "the server requires credentials"),
        }
    }

    fn certificate_check(
        &self,
        cert: &git2::cert::Cert<'_>,
        host: &str,
    ) -> Result<CertificateCheckStatus, git2::Error> {
        if let Some(hostkey) = cert.as_hostkey() {
            return self.check_host_key(hostkey.hostkey().unwrap_or_default());
        }
        let Some(x509) = cert.as_x509() else {
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let Some(ca_pem) = &self.remote.ca_pem else {
            // No CA of our own: libgit2 checks against the system trust store.
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        match verify_certificate(ca_pem, x509.data(), host) {
            Ok(()) => Ok(CertificateCheckStatus::CertificateOk),
            Err(reason) => {
                let error = git2::Error::from_str("certificate rejected");
                self.state.borrow_mut().certificate_failure = Some(reason);
                Err(error)
            }
        }
    }

    fn check_host_key(&self, key: &[u8]) -> Result<CertificateCheckStatus, git2::Error> {
        let Auth::Ssh(ssh) = &self.remote.auth else {
            return Err(git2::Error::from_str("ssh host key without ssh auth"));
        };
        let known_hosts = match &ssh.host_keys {
            HostKeyPolicy::AcceptAny => {
                self.state.borrow_mut().presented_host_key = Some(key.to_vec());
                return Ok(CertificateCheckStatus::CertificateOk);
            }
            HostKeyPolicy::KnownHosts(known_hosts) => known_hosts,
        };
        let host = self.parsed.known_hosts_name();
        let failure = host_key_failure(known_hosts, &host, key);
        match failure {
            None => Ok(CertificateCheckStatus::CertificateOk),
            Some(error) => {
                self.state.borrow_mut().host_key_failure = Some(error);
                Err(git2::Error::from_str("host key rejected"))
            }
        }
    }

    /// Maps a failed fetch or push to the most precise error: what a callback
    /// refused first, then libgit2's own class.
    pub(crate) fn classify(&self, operation: &'static str, source: git2::Error) -> GitError {
        let mut state = self.state.borrow_mut();
        let url = self.parsed.redacted.clone();
        if let Some(error) = state.host_key_failure.take() {
            return error;
        }
        if let Some(reason) = state.certificate_failure.take() {
            return GitError::Certificate { url, reason };
        }
        if let Some(reason) = state.auth_failure.take() {
            return GitError::Authentication { url, reason };
        }
        let message = source.message();
        if message.contains("Unable to extract public key")
            || message.contains("Unsupported private key format")
        {
            return GitError::Authentication {
                url,
                reason: "cannot use the ssh private key (wrong passphrase or unsupported format)"
                    .to_string(),
            };
        }
        if source.code() == ErrorCode::Auth || message.contains("status code: 401") {
            return GitError::Authentication {
                url,
                reason: "the server rejected the credentials".to_string(),
            };
        }
        if message.contains("status code: 404")
            || message.contains("does not appear to be a git repository")
        {
            return GitError::RepositoryNotFound { url };
        }
        if message.contains("status code: 403") {
            return GitError::Authentication {
                url,
                reason: "access denied (http 403)".to_string(),
            };
        }
        if source.code() == ErrorCode::Certificate || source.class() == ErrorClass::Ssl {
            return GitError::Certificate {
                url,
                reason: message.to_string(),
            };
        }
        match source.class() {
            ErrorClass::Net | ErrorClass::Os | ErrorClass::Ssh | ErrorClass::Http => {
                GitError::Network { url, source }
            }
            _ => GitError::Remote {
                operation,
                url,
                source,
            },
        }
    }
}

pub(crate) fn host_key_failure(
    known_hosts: &KnownHosts,
    host: &str,
    key: &[u8],
) -> Option<GitError> {
    let key_type = key_type_of_blob(key).unwrap_or_else(|| "unknown".to_string());
    match known_hosts.check(host, key) {
        HostKeyMatch::Trusted => None,
        HostKeyMatch::Mismatch | HostKeyMatch::Revoked => Some(GitError::HostKeyMismatch {
            host: host.to_string(),
            key_type,
        }),
        HostKeyMatch::UnknownType { known_types } => Some(GitError::HostKeyUnknown {
            host: host.to_string(),
            key_type,
            hint: format!(
                "; it holds only {} for this host, add the server's other key types",
                known_types.join(", ")
            ),
        }),
        HostKeyMatch::UnknownHost => Some(GitError::HostKeyUnknown {
            host: host.to_string(),
            key_type,
            hint: String::new(),
        }),
    }
}

/// Verifies a leaf certificate (DER) against a PEM CA bundle and the host name or IP.
fn verify_certificate(ca_pem: &str, der: &[u8], host: &str) -> Result<(), String> {
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::verify::X509VerifyParam;
    use openssl::x509::{X509StoreContext, X509};

    fn fail<E>(what: &'static str) -> impl FnOnce(E) -> String {
        move |_| what.to_string()
    }
    let cas = X509::stack_from_pem(ca_pem.as_bytes()).map_err(fail("cannot read the CA PEM"))?;
    let leaf = X509::from_der(der).map_err(fail("the server sent an unreadable certificate"))?;
    let mut builder = X509StoreBuilder::new().map_err(fail("cannot build a trust store"))?;
    for ca in cas {
        builder
            .add_cert(ca)
            .map_err(fail("cannot add the CA to the trust store"))?;
    }
    let mut param = X509VerifyParam::new().map_err(fail("cannot build verify parameters"))?;
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    match bare_host.parse::<std::net::IpAddr>() {
        Ok(ip) => param.set_ip(ip),
        Err(_) => param.set_host(bare_host),
    }
    .map_err(fail("cannot set the expected host"))?;
    builder
        .set_param(&param)
        .map_err(fail("cannot set verify parameters"))?;
    let store = builder.build();
    let chain = Stack::new().map_err(fail("cannot build a chain"))?;
    let mut context = X509StoreContext::new().map_err(fail("cannot build a verify context"))?;
    let verdict = context
        .init(&store, &leaf, &chain, |ctx| {
            let ok = ctx.verify_cert()?;
            Ok((ok, ctx.error()))
        })
        .map_err(fail("certificate verification failed to run"))?;
    match verdict {
        (true, _) => Ok(()),
        (false, result) => Err(result.error_string().to_string()),
    }
}

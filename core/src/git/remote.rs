//! Where a repository lives and how to authenticate to it, validated before any IO.

use super::known_hosts::KnownHosts;
use super::GitError;
use crate::Sensitive;

/// A branch of a remote repository, with the credentials and trust settings to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `http://`, `https://` or `ssh://` URL of the repository.
    pub url: String,
    /// The branch read and written.
    pub branch: String,
    /// How to authenticate.
    pub auth: Auth,
    /// PEM bundle of the certificate authorities trusted for `https://`; the system
    /// trust store is used when absent.
    pub ca_pem: Option<String>,
    /// Allows plain `http://` URLs.
    pub allow_insecure_http: bool,
}

/// Credentials for a [`Remote`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (anonymous http(s)).
    None,
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password or personal access token.
        password: Sensitive<String>,
    },
    /// HTTP `Authorization: Bearer` token.
    Bearer(Sensitive<String>),
    /// SSH public-key authentication.
    Ssh(SshAuth),
}

/// SSH credentials and the host keys trusted for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAuth {
    /// The login user; when `None`, the URL's user, else `git`.
    pub username: Option<String>,
    /// The private key in PEM or OpenSSH format.
    pub private_key: Sensitive<String>,
    /// Passphrase of the private key.
    pub passphrase: Option<Sensitive<String>>,
    /// Which server host keys are trusted.
    pub host_keys: HostKeyPolicy,
}

/// How the SSH server's host key is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// The key must be in this known_hosts text.
    KnownHosts(KnownHosts),
    /// Any key is accepted (trust on first use). Only for callers that explicitly
    /// asked for a key scan.
    AcceptAny,
}

/// The transport of a [`Remote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
    /// SSH.
    Ssh,
}

/// The parts of a remote URL the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    /// The transport.
    pub scheme: Scheme,
    /// The user given in the URL, if any.
    pub user: Option<String>,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Explicit port, if any.
    pub port: Option<u16>,
    /// The URL without user information, as given to libgit2 and shown in errors.
    pub redacted: String,
}

impl ParsedUrl {
    /// The name of the host as written in known_hosts: `host`, or `[host]:port`
    /// for a port other than 22.
    pub fn known_hosts_name(&self) -> String {
        match self.port {
            Some(port) if port != 22 => format!("[{}]:{port}", self.host),
            _ => self.host.clone(),
        }
    }
}

/// Parses a remote URL. `http://` is accepted here; [`validate_url`] applies the
/// insecure-http rule.
pub fn parse_url(url: &str) -> Result<ParsedUrl, GitError> {
    let invalid = |reason: &str| GitError::invalid("url", reason);
    let (scheme_text, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("expected scheme://host/path (http, https or ssh)"))?;
    let scheme = match scheme_text.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        "ssh" => Scheme::Ssh,
        other => {
            return Err(invalid(&format!(
                "unsupported scheme {other:?}; use http, https or ssh"
            )))
        }
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("must not contain whitespace"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if path.len() <= 1 {
        return Err(invalid("has no repository path"));
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let user = match userinfo {
        Some(info) => {
            if info.contains(':') {
                return Err(invalid(
                    "must not contain a password; pass credentials as http or ssh auth",
                ));
            }
            if info.is_empty() {
                return Err(invalid("has an empty user before @"));
            }
            Some(info.to_string())
        }
        None => None,
    };
    let (host, port_text) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (h, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("has an unterminated [ in the host"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid("has junk after ]"))?,
            ),
        };
        (h, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("has no host"));
    }
    let port = match port_text {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| invalid(&format!("has an invalid port {p:?}")))?,
        ),
    };
    let redacted = match scheme {
        // An ssh user is an account name, not a secret; libgit2 needs it in the URL.
        Scheme::Ssh => url.to_string(),
        Scheme::Http | Scheme::Https => format!("{scheme_text}://{hostport}{path}"),
    };
    Ok(ParsedUrl {
        scheme,
        user,
        host: host.to_string(),
        port,
        redacted,
    })
}

/// Checks a URL against the transport rules: scheme http, https or ssh, and
/// `http://` only with `allow_insecure_http`.
pub fn validate_url(url: &str, allow_insecure_http: bool) -> Result<ParsedUrl, GitError> {
    let parsed = parse_url(url)?;
    if parsed.scheme == Scheme::Http && !allow_insecure_http {
        return Err(GitError::invalid(
            "allow_insecure_http",
            "an http:// url needs allow_insecure_http = true",
        ));
    }
    Ok(parsed)
}

/// Checks a branch name with git's ref-name rules.
pub fn validate_branch(branch: &str) -> Result<(), GitError> {
    if branch.is_empty() {
        return Err(GitError::invalid("branch", "must not be empty"));
    }
    let full = format!("refs/heads/{branch}");
    if !git2::Reference::is_valid_name(&full) || branch.starts_with('-') {
        return Err(GitError::invalid(
            "branch",
            format!("{branch:?} is not a valid branch name"),
        ));
    }
    Ok(())
}

/// Checks that a PEM text holds at least one certificate.
pub fn validate_ca_pem(pem: &str) -> Result<(), GitError> {
    let certs = openssl::x509::X509::stack_from_pem(pem.as_bytes()).map_err(|_| {
        GitError::invalid("http.certificate_authority", "not a PEM certificate bundle")
    })?;
    if certs.is_empty() {
        return Err(GitError::invalid(
            "http.certificate_authority",
            "holds no certificate",
        ));
    }
    Ok(())
}

/// Checks a private key without contacting any server: its format is one libssh2
/// reads, and an encrypted key has a passphrase (PEM keys are fully decrypted here;
/// an OpenSSH key's passphrase is checked at the first connection).
pub fn validate_private_key(pem: &str, passphrase: Option<&str>) -> Result<(), GitError> {
    const FIELD: &str = "ssh.private_key";
    let text = pem.trim();
    if let Some(body) = text
        .strip_prefix("-----BEGIN OPENSSH PRIVATE KEY-----")
        .and_then(|b| b.strip_suffix("-----END OPENSSH PRIVATE KEY-----"))
    {
        use base64::Engine as _;
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| GitError::invalid(FIELD, "the OpenSSH key is not valid base64"))?;
        let rest = raw
            .strip_prefix(b"openssh-key-v1\0")
            .ok_or_else(|| GitError::invalid(FIELD, "not an openssh-key-v1 key"))?;
        let cipher = read_ssh_string(rest)
            .ok_or_else(|| GitError::invalid(FIELD, "truncated OpenSSH key"))?;
        if cipher != b"none" && passphrase.is_none_or(str::is_empty) {
            return Err(GitError::invalid(
                FIELD,
                "the key is encrypted; set the passphrase (ssh.password)",
            ));
        }
        return Ok(());
    }
    if text.starts_with("-----BEGIN ") && text.contains("PRIVATE KEY-----") {
        let pass = passphrase.unwrap_or("").as_bytes();
        return openssl::pkey::PKey::private_key_from_pem_passphrase(text.as_bytes(), pass)
            .map(|_| ())
            .map_err(|_| {
                GitError::invalid(
                    FIELD,
                    "cannot read the PEM key (wrong passphrase or unsupported format)",
                )
            });
    }
    Err(GitError::invalid(
        FIELD,
        "expected a PEM or OpenSSH private key",
    ))
}

fn read_ssh_string(data: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    data.get(4..4 + len)
}

impl Remote {
    /// Checks every field, in the order a user would fix them: URL, branch, the
    /// auth kind against the scheme, then keys, known_hosts and CA.
    pub fn validate(&self) -> Result<ParsedUrl, GitError> {
        let parsed = validate_url(&self.url, self.allow_insecure_http)?;
        validate_branch(&self.branch)?;
        match (&self.auth, parsed.scheme) {
            (Auth::Ssh(_), Scheme::Http | Scheme::Https) => {
                return Err(GitError::invalid(
                    "ssh",
                    "ssh auth cannot be used with an http(s) url",
                ))
            }
            (Auth::Basic { .. } | Auth::Bearer(_), Scheme::Ssh) => {
                return Err(GitError::invalid(
                    "http",
                    "http auth cannot be used with an ssh url",
                ))
            }
            (Auth::None, Scheme::Ssh) => {
                return Err(GitError::invalid(
                    "ssh.private_key",
                    "an ssh url needs a private key",
                ))
            }
            _ => {}
        }
        match &self.auth {
            Auth::Ssh(ssh) => {
                validate_private_key(
                    ssh.private_key.expose(),
                    ssh.passphrase.as_ref().map(|p| p.expose().as_str()),
                )?;
                if let Some(user) = &ssh.username {
                    if user.is_empty() || user.contains(['@', ':', '/']) {
                        return Err(GitError::invalid("ssh.username", "not a valid user name"));
                    }
                }
            }
            Auth::Basic { username, password } => {
                if username.contains(':') {
                    return Err(GitError::invalid("http.username", "must not contain ':'"));
                }
                if password.expose().contains(['\r', '\n']) {
                    return Err(GitError::invalid(
                        "http.password",
                        "must not contain a line break",
                    ));
                }
            }
            Auth::Bearer(token) => {
                let token = token.expose();
                if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
                    return Err(GitError::invalid(
                        "http.bearer_token",
                        "must be non-empty printable ascii without spaces",
                    ));
                }
            }
            Auth::None => {}
        }
        if let Some(ca) = &self.ca_pem {
            if parsed.scheme == Scheme::Https {
                validate_ca_pem(ca)?;
            }
        }
        Ok(parsed)
    }

    /// The SSH login user: the configured one, else the URL's, else `git`.
    pub(crate) fn ssh_user(&self, parsed: &ParsedUrl) -> String {
        match &self.auth {
            Auth::Ssh(SshAuth {
                username: Some(u), ..
            }) => u.clone(),
            _ => parsed.user.clone().unwrap_or_else(|| "git".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_url_ssh_with_port_keeps_user_and_bracketed_name() {
        let p = parse_url("ssh://git@127.0.0.1:2222/org/repo.git").unwrap();
        assert_eq!(p.scheme, Scheme::Ssh);
        assert_eq!(p.user.as_deref(), Some("git"));
        assert_eq!(p.known_hosts_name(), "[127.0.0.1]:2222");
        let p = parse_url("ssh://git@example.com:22/r.git").unwrap();
        assert_eq!(p.known_hosts_name(), "example.com");
    }

    #[test]
    fn parse_url_ipv6_host_is_unbracketed() {
        let p = parse_url("https://[::1]:8443/git/r.git").unwrap();
        assert_eq!(p.host, "::1");
        assert_eq!(p.port, Some(8443));
    }

    #[test]
    fn parse_url_password_in_url_is_an_error_without_echoing_it() {
        let err = parse_url("https://u:hunter2@host/r.git").unwrap_err();
        assert!(err.to_string().starts_with("invalid url"));
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn parse_url_http_user_is_stripped_from_redacted() {
        let p = parse_url("https://token@host/r.git").unwrap();
        assert_eq!(p.redacted, "https://host/r.git");
    }

    #[test]
    fn validate_url_bad_scheme_and_insecure_http_name_the_field() {
        assert!(matches!(
            validate_url("git://h/r.git", true),
            Err(GitError::Invalid { field: "url", .. })
        ));
        assert!(matches!(
            validate_url("http://h/r.git", false),
            Err(GitError::Invalid {
                field: "allow_insecure_http",
                ..
            })
        ));
        assert!(validate_url("http://h/r.git", true).is_ok());
    }

    #[test]
    fn validate_branch_rejects_invalid_names() {
        assert!(validate_branch("main").is_ok());
        assert!(validate_branch("feature/x").is_ok());
        for bad in ["", "a..b", "x.lock", "a b", "-x", "a~1"] {
            assert!(validate_branch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validate_auth_scheme_mismatch_names_the_block() {
        let remote = Remote {
            url: "ssh://git@h/r.git".into(),
            branch: "main".into(),
            auth: Auth::Basic {
                username: "u".into(),
                password: Sensitive::new("p".into()),
            },
            ca_pem: None,
            allow_insecure_http: false,
        };
        assert!(matches!(
            remote.validate(),
            Err(GitError::Invalid { field: "http", .. })
        ));
    }

    #[test]
    fn validate_private_key_garbage_is_rejected() {
        assert!(matches!(
            validate_private_key("not a key", None),
            Err(GitError::Invalid {
                field: "ssh.private_key",
                ..
            })
        ));
    }

    #[test]
    fn validate_ca_pem_garbage_is_rejected() {
        assert!(
            validate_ca_pem("-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(validate_ca_pem("").is_err());
    }
}

//! The `git = { ... }` attribute: the repository Flux is bootstrapped into and how to
//! write to it. The same schema serves the provider block and the per-resource
//! override.

use flux_core::Sensitive;
use tfplug::{Attribute, Diagnostic, Diagnostics, ObjectAccess, Type, Value};

/// The branch used when `git.branch` is not set.
pub const DEFAULT_BRANCH: &str = "main";
/// The commit author used when `git.author_name` is not set.
pub const DEFAULT_AUTHOR_NAME: &str = "Flux";

/// The schema of `git = { ... }`; every credential is sensitive.
pub fn attribute(description: &str) -> Attribute {
    Attribute::single_nested(
        "git",
        vec![
            Attribute::string("url")
                .required()
                .description("Repository URL: `ssh://`, `https://`, or `http://` with `http.allow_insecure_http`."),
            Attribute::string("branch")
                .optional()
                .description("Branch that holds the Flux manifests and that Flux syncs from. Defaults to `main`."),
            Attribute::string("author_name")
                .optional()
                .description("Author (and committer) name of commits. Defaults to `Flux`."),
            Attribute::string("author_email")
                .optional()
                .description("Author (and committer) email of commits."),
            Attribute::string("gpg_key_ring")
                .optional()
                .description("Path to an armored or binary OpenPGP key ring with the key that signs commits."),
            Attribute::string("gpg_passphrase")
                .optional()
                .sensitive()
                .description("Passphrase of the signing key."),
            Attribute::string("gpg_key_id")
                .optional()
                .description("ID of the signing key in `gpg_key_ring` (16 hex digits, optional `0x`); the first key by default."),
            Attribute::string("ssh_signing_key")
                .optional()
                .sensitive()
                .description("OpenSSH private key that signs commits with an SSH signature (as `git config gpg.format ssh`), instead of GPG. Conflicts with `gpg_key_ring`. An extension of the reference schema."),
            Attribute::string("ssh_signing_passphrase")
                .optional()
                .sensitive()
                .description("Passphrase of `ssh_signing_key`."),
            Attribute::string("commit_message_appendix")
                .optional()
                .description("Text appended to every commit message after a blank line."),
            Attribute::single_nested(
                "ssh",
                vec![
                    Attribute::string("username")
                        .optional()
                        .description("SSH user; replaces the URL's user, except when the URL has one and this is `git`."),
                    Attribute::string("password")
                        .optional()
                        .sensitive()
                        .description("Passphrase of `private_key`."),
                    Attribute::string("private_key")
                        .optional()
                        .sensitive()
                        .description("PEM or OpenSSH private key."),
                    Attribute::list("hostkey_algos", Type::String)
                        .optional()
                        .description("Accepted for compatibility with the reference provider, where it restricts the host key algorithms of its SSH client. It has no effect here and a plan warns when it is set: this provider's SSH client (libgit2 with libssh2) cannot restrict them. Pin the host key with `known_hosts` instead."),
                    Attribute::string("known_hosts")
                        .optional()
                        .description("known_hosts lines (plain or hashed) that pin the server's host keys. Without it the server's host key is scanned when the provider connects and trusted on first use, as the reference provider does."),
                ],
            )
            .optional()
            .description("SSH authentication, for `ssh://` URLs."),
            Attribute::single_nested(
                "http",
                vec![
                    Attribute::string("username")
                        .optional()
                        .description("User name for HTTP basic authentication."),
                    Attribute::string("password")
                        .optional()
                        .sensitive()
                        .description("Password or access token for HTTP basic authentication."),
                    Attribute::string("bearer_token")
                        .optional()
                        .sensitive()
                        .description("Bearer token, instead of `username` and `password`."),
                    Attribute::bool("allow_insecure_http")
                        .optional()
                        .description("Allow a plain `http://` URL."),
                    Attribute::string("certificate_authority")
                        .optional()
                        .description("PEM CA bundle the server's certificate must chain to."),
                ],
            )
            .optional()
            .description("HTTP(S) authentication, for `http://` and `https://` URLs."),
        ],
    )
    .optional()
    .description(description)
}

/// SSH authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshModel {
    /// User name.
    pub username: Option<String>,
    /// Key passphrase.
    pub password: Option<Sensitive<String>>,
    /// Private key.
    pub private_key: Option<Sensitive<String>>,
    /// Host key algorithms.
    pub hostkey_algos: Vec<String>,
    /// Pinned host keys.
    pub known_hosts: Option<String>,
}

/// HTTP(S) authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpModel {
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<Sensitive<String>>,
    /// Bearer token.
    pub bearer_token: Option<Sensitive<String>>,
    /// Allow `http://`.
    pub allow_insecure_http: bool,
    /// PEM CA bundle.
    pub certificate_authority: Option<String>,
}

/// The `git` attribute's values, defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitModel {
    /// Repository URL as configured.
    pub url: String,
    /// Branch.
    pub branch: String,
    /// Commit author.
    pub author_name: String,
    /// Commit author email.
    pub author_email: String,
    /// Key ring path.
    pub gpg_key_ring: Option<String>,
    /// Key passphrase.
    pub gpg_passphrase: Option<Sensitive<String>>,
    /// Key ID.
    pub gpg_key_id: Option<String>,
    /// SSH signing key (OpenSSH format).
    pub ssh_signing_key: Option<Sensitive<String>>,
    /// Passphrase of the SSH signing key.
    pub ssh_signing_passphrase: Option<Sensitive<String>>,
    /// Commit message appendix.
    pub commit_message_appendix: Option<String>,
    /// SSH auth.
    pub ssh: Option<SshModel>,
    /// HTTP auth.
    pub http: Option<HttpModel>,
}

impl GitModel {
    /// Reads a wholly known `git` object.
    pub fn from_value(obj: &ObjectAccess<'_>) -> Result<Self, Diagnostic> {
        let secret =
            |o: &ObjectAccess<'_>, name: &str| -> Result<Option<Sensitive<String>>, Diagnostic> {
                Ok(o.get::<Option<String>>(name)?.map(Sensitive::new))
            };
        let ssh = if obj.is_null("ssh") {
            None
        } else {
            let s = obj.object("ssh");
            Some(SshModel {
                username: s.get("username")?,
                password: secret(&s, "password")?,
                private_key: secret(&s, "private_key")?,
                hostkey_algos: s
                    .get::<Option<Vec<String>>>("hostkey_algos")?
                    .unwrap_or_default(),
                known_hosts: s.get("known_hosts")?,
            })
        };
        let http = if obj.is_null("http") {
            None
        } else {
            let h = obj.object("http");
            Some(HttpModel {
                username: h.get("username")?,
                password: secret(&h, "password")?,
                bearer_token: secret(&h, "bearer_token")?,
                allow_insecure_http: h
                    .get::<Option<bool>>("allow_insecure_http")?
                    .unwrap_or(false),
                certificate_authority: h.get("certificate_authority")?,
            })
        };
        Ok(Self {
            url: obj.get("url")?,
            branch: obj
                .get::<Option<String>>("branch")?
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| DEFAULT_BRANCH.to_string()),
            author_name: obj
                .get::<Option<String>>("author_name")?
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| DEFAULT_AUTHOR_NAME.to_string()),
            author_email: obj
                .get::<Option<String>>("author_email")?
                .unwrap_or_default(),
            gpg_key_ring: obj.get("gpg_key_ring")?,
            gpg_passphrase: secret(obj, "gpg_passphrase")?,
            gpg_key_id: obj.get("gpg_key_id")?,
            ssh_signing_key: secret(obj, "ssh_signing_key")?,
            ssh_signing_passphrase: secret(obj, "ssh_signing_passphrase")?,
            commit_message_appendix: obj.get("commit_message_appendix")?,
            ssh,
            http,
        })
    }
}

/// The reference provider's rules, each located at the attribute that breaks it, plus
/// the checks it only made when it first dialled the server (missing credentials).
/// Unknown values are skipped; they are checked again once known.
pub fn validate(value: &Value, obj: &ObjectAccess<'_>, diags: &mut Diagnostics) {
    if value.is_null() || value.is_unknown() {
        return;
    }
    let Some(raw_url) = value.attr("url").as_str() else {
        return;
    };
    let url = match url::Url::parse(raw_url) {
        Ok(u) => u,
        Err(e) => {
            diags.attribute_error(
                obj.path_of("url"),
                "Invalid Git URL",
                format!("{raw_url:?} is not a valid URL: {e}."),
            );
            return;
        }
    };
    let ssh = value.attr("ssh");
    let http = value.attr("http");
    match url.scheme() {
        "ssh" => {
            if !http.is_null() {
                diags.attribute_error(
                    obj.path_of("http"),
                    "Conflicting Git Authentication",
                    format!("The git URL {} uses ssh, so git.http cannot be used; configure git.ssh instead.", redact(&url)),
                );
            }
            if ssh.is_null() || (ssh.attr("private_key").is_null() && !ssh.is_unknown()) {
                let at = if ssh.is_null() {
                    obj.path_of("ssh")
                } else {
                    obj.path_of("ssh").at_attr("private_key")
                };
                diags.attribute_error(
                    at,
                    "Missing SSH Private Key",
                    "An ssh:// git URL needs git.ssh.private_key to authenticate.",
                );
            }
            let algos = ssh.attr("hostkey_algos");
            if algos.as_elements().is_some_and(|l| !l.is_empty()) {
                // libgit2 drives libssh2 itself and offers no way to set its host-key
                // method preference, so the list cannot be honoured; saying so beats
                // accepting it silently.
                diags.attribute_warning(
                    obj.path_of("ssh").at_attr("hostkey_algos"),
                    "Host Key Algorithms Not Applied",
                    "git.ssh.hostkey_algos has no effect with this provider: its SSH client (libgit2 with libssh2) negotiates the host key algorithm itself. To trust only a known host key, set git.ssh.known_hosts.",
                );
            }
        }
        "http" | "https" => {
            if !ssh.is_null() {
                diags.attribute_error(
                    obj.path_of("ssh"),
                    "Conflicting Git Authentication",
                    format!("The git URL {} uses {}, so git.ssh cannot be used; configure git.http instead.", redact(&url), url.scheme()),
                );
            }
            let allow = http.attr("allow_insecure_http");
            if url.scheme() == "http" && !allow.is_unknown() && allow.as_bool() != Some(true) {
                let at = if http.is_null() {
                    obj.path_of("url")
                } else {
                    obj.path_of("http").at_attr("allow_insecure_http")
                };
                diags.attribute_error(
                    at,
                    "Insecure Git URL",
                    "The git URL uses plain http://, which sends credentials unencrypted. Use https://, or set git.http.allow_insecure_http = true.",
                );
            }
            if http.is_null() {
                diags.attribute_error(
                    obj.path_of("http"),
                    "Missing Git HTTP Authentication",
                    format!("The git URL {} needs git.http with a username and password, or a bearer token, to push.", redact(&url)),
                );
            } else if !http.is_unknown() {
                let basic = !http.attr("username").is_null() || !http.attr("password").is_null();
                if basic && !http.attr("bearer_token").is_null() {
                    diags.attribute_error(
                        obj.path_of("http").at_attr("bearer_token"),
                        "Conflicting Git Authentication",
                        "Set either git.http.bearer_token or git.http.username and password, not both.",
                    );
                }
            }
        }
        other => diags.attribute_error(
            obj.path_of("url"),
            "Unsupported Git URL Scheme",
            format!("The git URL scheme {other:?} is not supported; use ssh, https or http."),
        ),
    }
    validate_ssh_signing(value, obj, diags);
    if let Some(id) = value.attr("gpg_key_id").as_str() {
        let hex = id.strip_prefix("0x").unwrap_or(id);
        if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            diags.attribute_error(
                obj.path_of("gpg_key_id"),
                "Invalid GPG Key ID",
                format!("{id:?} is not a 16-digit hexadecimal key ID (an optional 0x prefix is allowed)."),
            );
        }
    }
}

/// SSH signing: not together with GPG, and a key that parses (never echoed).
fn validate_ssh_signing(value: &Value, obj: &ObjectAccess<'_>, diags: &mut Diagnostics) {
    let key = value.attr("ssh_signing_key");
    if key.is_null() {
        return;
    }
    let at = obj.path_of("ssh_signing_key");
    if !value.attr("gpg_key_ring").is_null() {
        diags.attribute_error(
            at.clone(),
            "Conflicting Commit Signing",
            "Set either git.ssh_signing_key or git.gpg_key_ring: commits get one signature.",
        );
    }
    let passphrase = value.attr("ssh_signing_passphrase");
    let (Some(text), false) = (key.as_str(), passphrase.is_unknown()) else {
        return;
    };
    let signing = flux_core::git::Signing::Ssh {
        private_key: Sensitive::new(text.to_string()),
        passphrase: passphrase.as_str().map(|p| Sensitive::new(p.to_string())),
    };
    if let Err(e) = signing.validate() {
        let at = match &e {
            flux_core::git::GitError::Invalid { reason, .. } if reason.contains("passphrase") => {
                obj.path_of("ssh_signing_passphrase")
            }
            _ => at,
        };
        diags.attribute_error(
            at,
            "Invalid SSH Signing Key",
            format!("git.ssh_signing_key: {}.", tfplug::diag::render_chain(&e)),
        );
    }
}

/// The URL without user information, for messages.
fn redact(url: &url::Url) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplug::AttributePath;

    fn run(git: Value) -> Vec<(String, String)> {
        let obj = ObjectAccess::new(&git, AttributePath::attr("git"));
        let mut diags = Diagnostics::new();
        validate(&git, &obj, &mut diags);
        diags
            .iter()
            .map(|d| {
                (
                    d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                    d.summary.clone(),
                )
            })
            .collect()
    }

    fn http(entries: Vec<(&str, Value)>) -> Value {
        Value::object(entries)
    }

    #[test]
    fn ssh_signing_key_with_gpg_or_unreadable_is_located_at_ssh_signing_key() {
        let errs = run(Value::object([
            ("url", "https://127.0.0.1/r.git".into()),
            ("http", http(vec![("bearer_token", "t".into())])),
            ("gpg_key_ring", "/ring.asc".into()),
            ("ssh_signing_key", "not a key".into()),
        ]));
        assert_eq!(
            errs,
            vec![
                (
                    "git.ssh_signing_key".into(),
                    "Conflicting Commit Signing".into()
                ),
                (
                    "git.ssh_signing_key".into(),
                    "Invalid SSH Signing Key".into()
                ),
            ]
        );
    }

    #[test]
    fn hostkey_algos_warns_at_the_attribute_that_it_has_no_effect() {
        let git = |algos: Value| {
            Value::object([
                ("url", "ssh://git@127.0.0.1:2222/r.git".into()),
                (
                    "ssh",
                    Value::object([("private_key", "KEY".into()), ("hostkey_algos", algos)]),
                ),
            ])
        };
        let obj_git = git(Value::list([Value::from("ssh-ed25519")]));
        let obj = ObjectAccess::new(&obj_git, AttributePath::attr("git"));
        let mut diags = Diagnostics::new();
        validate(&obj_git, &obj, &mut diags);
        assert!(!diags.has_errors());
        let warnings: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(warnings, ["git.ssh.hostkey_algos"]);
        assert!(run(git(Value::list([]))).is_empty());
        assert!(run(git(Value::Null)).is_empty());
    }

    #[test]
    fn ssh_url_with_http_block_is_located_at_git_http() {
        let errs = run(Value::object([
            ("url", "ssh://git@127.0.0.1:2222/r.git".into()),
            ("ssh", Value::object([("private_key", "KEY".into())])),
            ("http", http(vec![("username", "u".into())])),
        ]));
        assert_eq!(
            errs,
            vec![("git.http".into(), "Conflicting Git Authentication".into())]
        );
    }

    #[test]
    fn https_url_with_ssh_block_is_located_at_git_ssh() {
        let errs = run(Value::object([
            ("url", "https://127.0.0.1/r.git".into()),
            ("ssh", Value::object([("private_key", "KEY".into())])),
            (
                "http",
                http(vec![("username", "u".into()), ("password", "p".into())]),
            ),
        ]));
        assert_eq!(
            errs,
            vec![("git.ssh".into(), "Conflicting Git Authentication".into())]
        );
    }

    #[test]
    fn plain_http_needs_allow_insecure_http() {
        let errs = run(Value::object([
            ("url", "http://127.0.0.1/r.git".into()),
            (
                "http",
                http(vec![("username", "u".into()), ("password", "p".into())]),
            ),
        ]));
        assert_eq!(
            errs,
            vec![(
                "git.http.allow_insecure_http".into(),
                "Insecure Git URL".into()
            )]
        );
        let errs = run(Value::object([
            ("url", "http://127.0.0.1/r.git".into()),
            (
                "http",
                http(vec![
                    ("username", "u".into()),
                    ("password", "p".into()),
                    ("allow_insecure_http", true.into()),
                ]),
            ),
        ]));
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn missing_credentials_and_bad_schemes_are_located() {
        assert_eq!(
            run(Value::object([("url", "ssh://git@h/r.git".into())])),
            vec![("git.ssh".into(), "Missing SSH Private Key".into())]
        );
        assert_eq!(
            run(Value::object([("url", "ftp://h/r.git".into())])),
            vec![("git.url".into(), "Unsupported Git URL Scheme".into())]
        );
        assert_eq!(
            run(Value::object([("url", "not a url".into())])),
            vec![("git.url".into(), "Invalid Git URL".into())]
        );
    }

    #[test]
    fn unknown_values_are_not_judged() {
        assert!(run(Value::object([("url", Value::unknown())])).is_empty());
        assert!(run(Value::object([
            ("url", "https://h/r.git".into()),
            ("http", Value::unknown())
        ]))
        .is_empty());
    }

    #[test]
    fn model_applies_defaults_and_hides_secrets() {
        let v = Value::object([
            ("url", "https://h/r.git".into()),
            (
                "http",
                http(vec![
                    ("username", "u".into()),
                    ("password", "s3cret".into()),
                ]),
            ),
        ]);
        let m = GitModel::from_value(&ObjectAccess::root(&v)).unwrap();
        assert_eq!(m.branch, "main");
        assert_eq!(m.author_name, "Flux");
        assert!(!format!("{m:?}").contains("s3cret"));
    }
}

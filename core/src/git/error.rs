//! Errors of the git engine.

/// What went wrong in the git engine, with the field, URL or branch it concerns.
///
/// URLs in these errors never carry credentials, and no variant holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// A field of a [`Remote`](super::Remote) or of a [`Transaction`](super::Transaction)
    /// is invalid; `field` names it (e.g. `url`, `branch`, `ssh.known_hosts`).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field that caused the error.
        field: &'static str,
        /// Why the value is rejected; never contains a secret.
        reason: String,
    },

    /// The server refused the credentials, or none were accepted.
    #[error("authentication to {url} failed: {reason}")]
    Authentication {
        /// The remote, without credentials.
        url: String,
        /// What the server or client reported.
        reason: String,
    },

    /// The SSH server presented a host key that the known_hosts text does not hold.
    #[error("host key of {host} ({key_type}) is not in known_hosts{hint}")]
    HostKeyUnknown {
        /// `host` or `[host]:port`, as written in known_hosts.
        host: String,
        /// The key type the server presented, e.g. `ssh-ed25519`.
        key_type: String,
        /// Extra detail, e.g. which key types known_hosts holds for that host.
        hint: String,
    },

    /// The SSH server presented a key different from the one known_hosts holds.
    #[error("host key mismatch for {host}: the server presented a {key_type} key that known_hosts does not hold")]
    HostKeyMismatch {
        /// `host` or `[host]:port`, as written in known_hosts.
        host: String,
        /// The key type the server presented.
        key_type: String,
    },

    /// The HTTPS server's certificate does not verify.
    #[error("tls certificate of {url} rejected: {reason}")]
    Certificate {
        /// The remote, without credentials.
        url: String,
        /// The verification failure.
        reason: String,
    },

    /// The server could not be reached or the connection broke.
    #[error("network error talking to {url}")]
    Network {
        /// The remote, without credentials.
        url: String,
        /// The transport error.
        #[source]
        source: git2::Error,
    },

    /// The server accepted no connection, or sent nothing, within the bound of one
    /// network step.
    #[error("git {operation} against {url} timed out after {timeout:?} waiting for {awaited}")]
    Unresponsive {
        /// `fetch`, `push` or `scan`.
        operation: &'static str,
        /// The remote, without credentials.
        url: String,
        /// What did not come: a connection, the TLS handshake, the first answer.
        awaited: &'static str,
        /// The bound that ran out.
        timeout: std::time::Duration,
    },

    /// The server refused the update of a ref (hook, protection rule, permissions).
    #[error("push to {branch} rejected by the server: {reason}")]
    Rejected {
        /// The branch that was pushed.
        branch: String,
        /// The per-ref status the server sent.
        reason: String,
    },

    /// Every attempt of a transaction lost the race against other writers.
    #[error(
        "push to {branch} kept being rejected as not a fast-forward after {attempts} attempts"
    )]
    Conflict {
        /// The branch that was pushed.
        branch: String,
        /// How many pushes were tried.
        attempts: u32,
    },

    /// The server has no repository at this URL (or hides it from these credentials).
    #[error("repository not found at {url}")]
    RepositoryNotFound {
        /// The remote, without credentials.
        url: String,
    },

    /// The branch does not exist on the remote.
    #[error("branch {branch} not found at {url}")]
    BranchNotFound {
        /// The remote, without credentials.
        url: String,
        /// The missing branch.
        branch: String,
    },

    /// A file edit of a transaction refused the content it found at the tip.
    #[error("cannot update {path}: {reason}")]
    Edit {
        /// The repository path of the file.
        path: String,
        /// Why the edit failed (e.g. the file does not parse).
        reason: String,
    },

    /// Signing the commit failed, or the requested kind of signature is not supported.
    #[error("commit signing failed: {reason}")]
    Signing {
        /// Why; never contains key material or a passphrase.
        reason: String,
    },

    /// The local repository cache could not be used.
    #[error("repository cache at {path} failed")]
    Cache {
        /// The cache directory or file.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },

    /// A local git operation failed (object database, refs, trees).
    #[error("git {operation} failed")]
    Local {
        /// What was being done, e.g. `write tree`.
        operation: &'static str,
        /// The libgit2 error.
        #[source]
        source: git2::Error,
    },

    /// A remote operation failed for a reason not classified above.
    #[error("git {operation} against {url} failed")]
    Remote {
        /// `fetch` or `push`.
        operation: &'static str,
        /// The remote, without credentials.
        url: String,
        /// The libgit2 error.
        #[source]
        source: git2::Error,
    },
}

impl GitError {
    /// True when retrying the same operation later may succeed (network trouble,
    /// lost races); false for configuration, credential and host-key errors.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Network { .. } | Self::Unresponsive { .. } | Self::Conflict { .. }
        )
    }

    /// True when the error comes from invalid input, found before any IO.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::Invalid { .. })
    }

    /// A copy of this error for every transaction of a batch that failed together
    /// (the libgit2 and IO sources are rebuilt from their code and message).
    pub(crate) fn duplicate(&self) -> Self {
        let git = |e: &git2::Error| git2::Error::new(e.code(), e.class(), e.message());
        match self {
            Self::Invalid { field, reason } => Self::Invalid {
                field,
                reason: reason.clone(),
            },
            Self::Edit { path, reason } => Self::Edit {
                path: path.clone(),
                reason: reason.clone(),
            },
            Self::Authentication { url, reason } => Self::Authentication {
                url: url.clone(),
                reason: reason.clone(),
            },
            Self::HostKeyUnknown {
                host,
                key_type,
                hint,
            } => Self::HostKeyUnknown {
                host: host.clone(),
                key_type: key_type.clone(),
                hint: hint.clone(),
            },
            Self::HostKeyMismatch { host, key_type } => Self::HostKeyMismatch {
                host: host.clone(),
                key_type: key_type.clone(),
            },
            Self::Certificate { url, reason } => Self::Certificate {
                url: url.clone(),
                reason: reason.clone(),
            },
            Self::Network { url, source } => Self::Network {
                url: url.clone(),
                source: git(source),
            },
            Self::Unresponsive {
                operation,
                url,
                awaited,
                timeout,
            } => Self::Unresponsive {
                operation,
                url: url.clone(),
                awaited,
                timeout: *timeout,
            },
            Self::Rejected { branch, reason } => Self::Rejected {
                branch: branch.clone(),
                reason: reason.clone(),
            },
            Self::Conflict { branch, attempts } => Self::Conflict {
                branch: branch.clone(),
                attempts: *attempts,
            },
            Self::RepositoryNotFound { url } => Self::RepositoryNotFound { url: url.clone() },
            Self::BranchNotFound { url, branch } => Self::BranchNotFound {
                url: url.clone(),
                branch: branch.clone(),
            },
            Self::Signing { reason } => Self::Signing {
                reason: reason.clone(),
            },
            Self::Cache { path, source } => Self::Cache {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            Self::Local { operation, source } => Self::Local {
                operation,
                source: git(source),
            },
            Self::Remote {
                operation,
                url,
                source,
            } => Self::Remote {
                operation,
                url: url.clone(),
                source: git(source),
            },
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn local(operation: &'static str) -> impl FnOnce(git2::Error) -> Self {
        move |source| Self::Local { operation, source }
    }
}

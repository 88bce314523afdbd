//! The git engine: a repository cache, file reads at a branch tip without a
//! checkout, and transactions pushed with retries on lost races.
//!
//! - [`RepoCache`] keeps one bare repository per (URL, branch) in a directory.
//!   Threads of one process take turns per repository; processes sharing the
//!   directory are serialized by a file lock. A read on a new cache fetches
//!   depth 1; later fetches bring only what changed. libgit2 cannot push from a
//!   shallow repository, so the first write through a cache fetches full history
//!   once.
//! - [`RepoCache::read_files`] returns an [`Observation`]: the tip commit and the
//!   requested files, read from the object database (no working tree).
//! - [`RepoCache::commit`] applies a [`Transaction`] on the current tip, commits it
//!   (author = committer, optional appendix, GPG or SSH signature) and pushes.
//!   Unchanged content gives no commit; an empty repository or a missing branch
//!   gets the branch created. The push verdict comes from the server's per-ref
//!   status; a lost race (non-fast-forward, stale ref, lock failure) is redone on
//!   the new tip with jittered backoff, up to [`DEFAULT_MAX_ATTEMPTS`].
//!   Transactions queued by several threads for the same remote are committed one
//!   after the other and pushed together, one commit each.
//! - Auth: http basic or bearer, a CA bundle verified here (per remote, not
//!   process-wide), `http://` only when allowed; ssh keys from memory with the
//!   host key checked against a known_hosts text. [`scan_host_key`] is the only
//!   trust-on-first-use path and runs only when called. Each kind of credential is
//!   offered once per operation, so a wrong secret fails at once.
//! - A warm read over ssh first asks the server for the branch tip on a pooled,
//!   authenticated libssh2 session (one login per host, user and key, closed
//!   after 30 s idle; the host key is checked on every reuse) and fetches with
//!   libgit2 only when the tip moved: libgit2 logs in anew for every operation.
//! - Every network step is bounded: before each libgit2 fetch, push or scan a
//!   probe checks within [`RepoCache::with_network_timeout`]'s bound (30 s unless
//!   set) that the server accepts a connection and answers, and fails with
//!   [`GitError::Unresponsive`] naming the URL and the step otherwise; pooled ssh
//!   sessions bound their connect (10 s) and every libssh2 call (30 s).
//! - Every input is validated before any IO, with errors naming the field
//!   ([`GitError::Invalid`]); secrets never reach logs or error messages.
//!
//! Everything here is blocking (libgit2); async callers run it under
//! `tokio::task::spawn_blocking`.
//!
//! ```no_run
//! use flux_core::git::{Auth, Remote, RepoCache, Transaction};
//! use flux_core::Sensitive;
//!
//! # fn main() -> Result<(), flux_core::git::GitError> {
//! let cache = RepoCache::new("/var/cache/flux-git")?;
//! let remote = Remote {
//!     url: "https://git.example.com/org/fleet.git".into(),
//!     branch: "main".into(),
//!     auth: Auth::Basic { username: "flux".into(), password: Sensitive::new("token".into()) },
//!     ca_pem: None,
//!     allow_insecure_http: false,
//! };
//! let mut tx = Transaction { message: "Add Flux sync manifests".into(), ..Default::default() };
//! tx.writes.insert("clusters/prod/flux-system/gotk-sync.yaml".into(), b"...".to_vec());
//! let outcome = cache.commit(&remote, &tx)?;
//! let seen = cache.read_files(&remote, &["clusters/prod/flux-system/gotk-sync.yaml"])?;
//! assert_eq!(seen.commit, outcome.tip);
//! # Ok(()) }
//! ```

mod advertisement;
mod cache;
mod error;
mod known_hosts;
mod probe;
mod queue;
mod remote;
mod scan;
mod session;
mod signing;
mod ssh_pool;
mod transaction;

pub use cache::{Observation, RepoCache, DEFAULT_MAX_ATTEMPTS};
pub use error::GitError;
pub use known_hosts::{HostKeyMatch, KnownHosts};
pub use remote::{
    parse_url, validate_branch, validate_ca_pem, validate_private_key, validate_url, Auth,
    HostKeyPolicy, ParsedUrl, Remote, Scheme, SshAuth,
};
pub use scan::scan_host_key;
pub use signing::Signing;
pub use transaction::{validate_path, Author, CommitOutcome, EditFn, FileEdit, Transaction};

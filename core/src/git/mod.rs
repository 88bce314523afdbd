//! The git engine: a repository cache, file reads at a branch tip without a
//! checkout, and transactions pushed with retries on lost races.
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

mod cache;
mod error;
mod known_hosts;
mod queue;
mod remote;
mod scan;
mod session;
mod signing;
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
pub use transaction::{validate_path, Author, CommitOutcome, Transaction};

//! An explicit, opt-in host-key scan (trust on first use).

use git2::Direction;

use super::known_hosts::KnownHosts;
use super::remote::{Auth, HostKeyPolicy, Remote, Scheme};
use super::session::Session;
use super::GitError;

/// Connects to an `ssh://` remote, accepts whatever host key the server presents,
/// and returns it as a known_hosts line. Only for callers that explicitly asked
/// for a key scan; everything else checks keys against a known_hosts text.
#[tracing::instrument(skip_all)]
pub fn scan_host_key(remote: &Remote) -> Result<KnownHosts, GitError> {
    let parsed = super::remote::parse_url(&remote.url)?;
    if parsed.scheme != Scheme::Ssh {
        return Err(GitError::invalid(
            "url",
            "a host-key scan needs an ssh:// url",
        ));
    }
    let mut scanning = remote.clone();
    if let Auth::Ssh(ssh) = &mut scanning.auth {
        ssh.host_keys = HostKeyPolicy::AcceptAny;
    } else {
        return Err(GitError::invalid("ssh", "a host-key scan needs ssh auth"));
    }
    super::probe::ensure_answers(&parsed, "scan", super::probe::DEFAULT_NETWORK_TIMEOUT)?;
    let session = Session::new(&scanning, parsed.clone());
    let mut git_remote =
        git2::Remote::create_detached(session.url()).map_err(GitError::local("create remote"))?;
    // The key arrives before authentication; whether the login then works does not matter.
    let connected = git_remote
        .connect_auth(Direction::Fetch, Some(session.callbacks()), None)
        .map(|_| ());
    match (session.presented_host_key(), connected) {
        (Some(key), _) => {
            KnownHosts::parse(&KnownHosts::line_for(&parsed.known_hosts_name(), &key))
        }
        (None, Err(e)) => Err(session.classify("scan", e)),
        (None, Ok(())) => Err(GitError::invalid("url", "the server presented no host key")),
    }
}

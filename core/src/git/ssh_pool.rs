//! A process-wide pool of authenticated SSH sessions, used to ask a server for a
//! branch tip without a key exchange and a login per read.
//!
//! libgit2 opens a new libssh2 session (TCP, key exchange, public-key login) for
//! every fetch: about half a second on loopback. A warm cache whose branch did not
//! move needs only the server's ref advertisement, so [`find_remote_tip`] asks
//! `git-upload-pack` for it on a channel of a pooled session and ends the request
//! with an empty want list. Sessions are keyed by host, port, user and a digest of
//! the credential, so a session is only reused with the key that opened it; the
//! host key is checked against the caller's known_hosts on every reuse too. Idle
//! sessions are closed after [`IDLE_TIMEOUT`]; a session found broken is replaced
//! once.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use git2::Oid;
use sha2::{Digest, Sha256};

use super::advertisement::{find_ref_tip, AdvertisementError};
use super::known_hosts::KnownHosts;
use super::remote::{Auth, HostKeyPolicy, ParsedUrl, Remote, SshAuth};
use super::session::host_key_failure;
use super::GitError;

/// How long an unused session stays open.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the reaper looks for idle sessions.
const REAP_INTERVAL: Duration = Duration::from_secs(5);
/// Idle sessions kept per key; more concurrent readers open their own and close them.
const MAX_IDLE_PER_KEY: usize = 4;
/// Bound on TCP connect and on every blocking libssh2 call.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT_MS: u32 = 30_000;

/// Why the pool could not answer. Apart from [`PoolError::HostKey`], the caller
/// falls back to a libgit2 fetch, which reports its own, classified error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    /// The remote is not one the pool serves (no known_hosts, unusual path).
    #[error("the pool does not serve this remote: {reason}")]
    Unsupported { reason: &'static str },
    /// The server's host key is not trusted by the caller's known_hosts.
    #[error("the server's host key is not trusted")]
    HostKey {
        #[source]
        source: GitError,
    },
    /// No TCP connection could be made.
    #[error("connecting to {address} failed")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// A libssh2 step failed: handshake, login, channel.
    #[error("ssh {step} with {address} failed")]
    Ssh {
        step: &'static str,
        address: String,
        #[source]
        source: ssh2::Error,
    },
    /// The server's answer to `git-upload-pack` was unusable.
    #[error("git-upload-pack on {address} gave no ref advertisement")]
    Advertisement {
        address: String,
        #[source]
        source: AdvertisementError,
    },
}

impl PoolError {
    /// Whether the session itself broke (the next request needs a new one), as
    /// opposed to a refusal by the server on a healthy session.
    fn is_broken_session(&self) -> bool {
        match self {
            Self::Ssh { .. } | Self::Connect { .. } => true,
            Self::Advertisement {
                source: AdvertisementError::Io { source },
                ..
            } => source.kind() != std::io::ErrorKind::UnexpectedEof,
            _ => false,
        }
    }
}

/// Which sessions may serve a request: same server, same login, same secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    host: String,
    port: u16,
    user: String,
    /// SHA-256 of the private key and passphrase: a session is never lent to a
    /// caller holding another key.
    credential: [u8; 32],
}

impl PoolKey {
    fn new(parsed: &ParsedUrl, user: &str, ssh: &SshAuth) -> Self {
        let mut digest = Sha256::new();
        digest.update(ssh.private_key.expose().as_bytes());
        digest.update([0u8]);
        if let Some(passphrase) = &ssh.passphrase {
            digest.update(passphrase.expose().as_bytes());
        }
        Self {
            host: parsed.host.clone(),
            port: parsed.port.unwrap_or(22),
            user: user.to_string(),
            credential: digest.finalize().into(),
        }
    }

    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// An authenticated session and the host key it was opened with.
struct Pooled {
    session: ssh2::Session,
    host_key: Vec<u8>,
    idle_since: Instant,
}

impl Drop for Pooled {
    fn drop(&mut self) {
        // Tells the server we are leaving; a dead connection fails at once.
        let _ = self.session.disconnect(None, "idle session closed", None);
    }
}

#[derive(Default)]
struct Pool {
    idle: HashMap<PoolKey, Vec<Pooled>>,
    reaper_running: bool,
}

impl Pool {
    /// Removes and returns the sessions idle for longer than `timeout`.
    fn take_expired(&mut self, now: Instant, timeout: Duration) -> Vec<Pooled> {
        let mut expired = Vec::new();
        for sessions in self.idle.values_mut() {
            let (old, fresh): (Vec<_>, Vec<_>) = std::mem::take(sessions)
                .into_iter()
                .partition(|p| now.saturating_duration_since(p.idle_since) > timeout);
            *sessions = fresh;
            expired.extend(old);
        }
        self.idle.retain(|_, sessions| !sessions.is_empty());
        expired
    }
}

static POOL: LazyLock<Mutex<Pool>> = LazyLock::new(Mutex::default);

fn pool() -> MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asks the server which commit `refs/heads/<branch>` points at (`None`: not
/// advertised), over a pooled session when one is idle.
#[tracing::instrument(skip_all, fields(host = %parsed.host))]
pub(crate) fn find_remote_tip(
    remote: &Remote,
    parsed: &ParsedUrl,
) -> Result<Option<Oid>, PoolError> {
    let Auth::Ssh(ssh) = &remote.auth else {
        return Err(PoolError::Unsupported {
            reason: "not ssh auth",
        });
    };
    let HostKeyPolicy::KnownHosts(known_hosts) = &ssh.host_keys else {
        return Err(PoolError::Unsupported {
            reason: "no known_hosts",
        });
    };
    let command = upload_pack_command(parsed)?;
    let wanted = format!("refs/heads/{}", remote.branch);
    let key = PoolKey::new(parsed, &remote.ssh_user(parsed), ssh);
    if let Some(pooled) = checkout(&key) {
        check_host_key(known_hosts, parsed, &pooled.host_key)?;
        match ask_tip(&pooled.session, &key, &command, &wanted) {
            Ok(tip) => {
                checkin(key, pooled);
                return Ok(tip);
            }
            Err(error) if error.is_broken_session() => {
                tracing::debug!(error = %error, "pooled ssh session broken; opening a new one");
            }
            Err(error) => {
                checkin(key, pooled);
                return Err(error);
            }
        }
    }
    let pooled = connect(&key, parsed, ssh, known_hosts)?;
    let tip = ask_tip(&pooled.session, &key, &command, &wanted)?;
    checkin(key, pooled);
    Ok(tip)
}

/// The command libgit2 would run for a fetch: `git-upload-pack '<path>'`, with
/// `/~user` paths relative to the home directory as libgit2 sends them.
fn upload_pack_command(parsed: &ParsedUrl) -> Result<String, PoolError> {
    let unsupported = |reason| PoolError::Unsupported { reason };
    let rest = parsed
        .redacted
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or(unsupported("no scheme"))?;
    let path = rest
        .find('/')
        .map(|i| &rest[i..])
        .ok_or(unsupported("no path"))?;
    let path = if path.starts_with("/~") {
        &path[1..]
    } else {
        path
    };
    // libgit2 percent-decodes paths; such URLs (and quotes) stay with libgit2.
    if path.contains(['\'', '%', '?', '#']) {
        return Err(unsupported("path needs quoting or decoding"));
    }
    Ok(format!("git-upload-pack '{path}'"))
}

fn check_host_key(
    known_hosts: &KnownHosts,
    parsed: &ParsedUrl,
    key: &[u8],
) -> Result<(), PoolError> {
    match host_key_failure(known_hosts, &parsed.known_hosts_name(), key) {
        None => Ok(()),
        Some(source) => Err(PoolError::HostKey { source }),
    }
}

/// The most recently used idle session for `key`; expired ones are closed.
fn checkout(key: &PoolKey) -> Option<Pooled> {
    let (found, expired) = {
        let mut pool = pool();
        let expired = pool.take_expired(Instant::now(), IDLE_TIMEOUT);
        let found = pool.idle.get_mut(key).and_then(Vec::pop);
        (found, expired)
    };
    drop(expired);
    found
}

/// Returns a healthy session to the pool, or closes it when enough are idle.
fn checkin(key: PoolKey, mut pooled: Pooled) {
    pooled.idle_since = Instant::now();
    let surplus = {
        let mut pool = pool();
        let sessions = pool.idle.entry(key).or_default();
        let surplus = if sessions.len() < MAX_IDLE_PER_KEY {
            sessions.push(pooled);
            None
        } else {
            Some(pooled)
        };
        start_reaper(&mut pool);
        surplus
    };
    drop(surplus);
}

/// Starts the thread that closes idle sessions, unless it runs already. It ends
/// once the pool is empty.
fn start_reaper(pool: &mut Pool) {
    if pool.reaper_running {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("flux-git-ssh-pool".to_string())
        .spawn(reap);
    // Without the thread, idle sessions still close at the next checkout.
    pool.reaper_running = spawned.is_ok();
}

fn reap() {
    loop {
        std::thread::sleep(REAP_INTERVAL);
        let (expired, empty) = {
            let mut pool = pool();
            let expired = pool.take_expired(Instant::now(), IDLE_TIMEOUT);
            let empty = pool.idle.is_empty();
            if empty {
                pool.reaper_running = false;
            }
            (expired, empty)
        };
        if !expired.is_empty() {
            tracing::debug!(closed = expired.len(), "closed idle ssh sessions");
        }
        drop(expired);
        if empty {
            return;
        }
    }
}

/// Opens a session: TCP, key exchange, host key check (before any credential is
/// sent), public-key login.
fn connect(
    key: &PoolKey,
    parsed: &ParsedUrl,
    ssh: &SshAuth,
    known_hosts: &KnownHosts,
) -> Result<Pooled, PoolError> {
    let address = key.address();
    let tcp = connect_tcp(&key.host, key.port).map_err(|source| PoolError::Connect {
        address: address.clone(),
        source,
    })?;
    let failed = |step| {
        let address = address.clone();
        move |source| PoolError::Ssh {
            step,
            address,
            source,
        }
    };
    let mut session = ssh2::Session::new().map_err(failed("session setup"))?;
    session.set_timeout(IO_TIMEOUT_MS);
    session.set_tcp_stream(tcp);
    session.handshake().map_err(failed("handshake"))?;
    let host_key = session
        .host_key()
        .map(|(blob, _)| blob.to_vec())
        .unwrap_or_default();
    check_host_key(known_hosts, parsed, &host_key)?;
    session
        .userauth_pubkey_memory(
            &key.user,
            None,
            ssh.private_key.expose(),
            ssh.passphrase.as_ref().map(|p| p.expose().as_str()),
        )
        .map_err(failed("public-key login"))?;
    tracing::debug!("opened a pooled ssh session");
    Ok(Pooled {
        session,
        host_key,
        idle_since: Instant::now(),
    })
}

fn connect_tcp(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host");
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// Runs `git-upload-pack` on a new channel, reads the advertised tip of `wanted`
/// and ends the request with an empty want list (a lone flush-pkt).
fn ask_tip(
    session: &ssh2::Session,
    key: &PoolKey,
    command: &str,
    wanted: &str,
) -> Result<Option<Oid>, PoolError> {
    let failed = |step| {
        let address = key.address();
        move |source| PoolError::Ssh {
            step,
            address,
            source,
        }
    };
    let mut channel = session.channel_session().map_err(failed("channel open"))?;
    channel.exec(command).map_err(failed("exec"))?;
    let tip = find_ref_tip(&mut channel, wanted).map_err(|source| PoolError::Advertisement {
        address: key.address(),
        source,
    });
    // Ends upload-pack cleanly (it exits after an empty request) and leaves the
    // session ready for the next channel, whatever the advertisement held.
    let _ = channel.write_all(b"0000").and_then(|()| channel.flush());
    let _ = channel.send_eof();
    let _ = std::io::copy(&mut channel, &mut std::io::sink());
    channel.wait_close().map_err(failed("channel close"))?;
    tip
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> ParsedUrl {
        super::super::remote::parse_url(url).unwrap()
    }

    #[test]
    fn upload_pack_command_quotes_the_path_as_libgit2_does() {
        assert_eq!(
            upload_pack_command(&parsed("ssh://git@h:2222/org/r.git")).unwrap(),
            "git-upload-pack '/org/r.git'"
        );
        assert_eq!(
            upload_pack_command(&parsed("ssh://git@h/~git/r.git")).unwrap(),
            "git-upload-pack '~git/r.git'"
        );
        assert!(upload_pack_command(&parsed("ssh://git@h/it's.git")).is_err());
        assert!(upload_pack_command(&parsed("ssh://git@h/a%20b.git")).is_err());
    }

    #[test]
    fn take_expired_closes_only_sessions_idle_past_the_timeout() {
        let key = PoolKey {
            host: "h".into(),
            port: 22,
            user: "u".into(),
            credential: [0; 32],
        };
        let now = Instant::now();
        let idle = |age: u64| Pooled {
            session: ssh2::Session::new().unwrap(),
            host_key: Vec::new(),
            idle_since: now - Duration::from_secs(age),
        };
        let mut pool = Pool::default();
        pool.idle.insert(key.clone(), vec![idle(40), idle(1)]);
        let expired = pool.take_expired(now, IDLE_TIMEOUT);
        assert_eq!(expired.len(), 1);
        assert_eq!(pool.idle[&key].len(), 1);
        let expired = pool.take_expired(now + IDLE_TIMEOUT * 2, IDLE_TIMEOUT);
        assert_eq!(expired.len(), 1);
        assert!(pool.idle.is_empty());
    }

    #[test]
    fn pool_key_differs_per_private_key_and_passphrase() {
        let ssh = |key: &str, pass: Option<&str>| SshAuth {
            username: None,
            private_key: crate::Sensitive::new(key.to_string()),
            passphrase: pass.map(|p| crate::Sensitive::new(p.to_string())),
            host_keys: HostKeyPolicy::AcceptAny,
        };
        let p = parsed("ssh://git@h/r.git");
        let a = PoolKey::new(&p, "git", &ssh("key-a", None));
        assert_eq!(a, PoolKey::new(&p, "git", &ssh("key-a", None)));
        assert_ne!(a, PoolKey::new(&p, "git", &ssh("key-b", None)));
        assert_ne!(a, PoolKey::new(&p, "git", &ssh("key-a", Some("x"))));
        assert_ne!(a, PoolKey::new(&p, "other", &ssh("key-a", None)));
    }
}

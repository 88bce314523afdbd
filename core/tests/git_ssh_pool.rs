//! Warm re-reads over ssh: the branch tip is asked over a pooled, authenticated
//! session (one login serves many reads), and that shortcut keeps every guarantee
//! of a full fetch: outside pushes are seen, keys and host keys are still checked,
//! a dropped connection is replaced. Each test runs servers of its own, so
//! counting logins in the sshd log and killing its connections touch no other test.

// Helpers shared by the tests below abort loudly on a failed setup step.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use flux_core::git::{Auth, GitError, HostKeyPolicy, KnownHosts, RepoCache, Transaction};
use flux_core::Sensitive;
use support::GitServer;

fn tx(message: &str, path: &str, content: &str) -> Transaction {
    let mut tx = Transaction {
        message: message.to_string(),
        ..Default::default()
    };
    tx.writes
        .insert(path.to_string(), content.as_bytes().to_vec());
    tx
}

/// Successful ssh logins so far, as sshd logged them.
fn logins(server: &GitServer) -> usize {
    std::fs::read_to_string(server.state.join("sshd.log"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("Accepted publickey"))
        .count()
}

/// Kills every per-connection sshd process (children of the listening sshd), so
/// that each open ssh connection drops.
fn kill_ssh_connections(server: &GitServer) -> usize {
    let master = std::fs::read_to_string(server.state.join("sshd.pgid")).unwrap();
    let out = Command::new("pgrep")
        .args(["-P", master.trim()])
        .output()
        .unwrap();
    let children: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    for pid in &children {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    children.len()
}

#[test]
fn git_ssh_warm_rereads_share_one_login_and_see_an_outside_push() {
    let server = GitServer::start();
    let urls = server.new_repo("pool", false);
    let ssh = server.ssh_remote(&urls.ssh);
    let http = server.http_remote(&urls.http);
    let writer_dir = tempfile::tempdir().unwrap();
    let writer = RepoCache::new(writer_dir.path()).unwrap();
    writer.commit(&http, &tx("v1", "n", "1")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let reader = RepoCache::new(dir.path()).unwrap();
    reader.read_files(&ssh, &["n"]).unwrap();
    reader.read_files(&ssh, &["n"]).unwrap();
    let before = logins(&server);
    for _ in 0..5 {
        let seen = reader.read_files(&ssh, &["n"]).unwrap();
        assert_eq!(seen.files["n"].as_deref(), Some(&b"1"[..]));
    }
    assert_eq!(logins(&server), before, "warm re-reads logged in again");

    // Someone else pushes between two re-reads: the next one sees it.
    let pushed = writer.commit(&http, &tx("v2", "n", "2")).unwrap();
    let seen = reader.read_files(&ssh, &["n"]).unwrap();
    assert_eq!(seen.files["n"].as_deref(), Some(&b"2"[..]));
    assert_eq!(seen.commit, pushed.commit);
    assert_eq!(
        seen.commit.unwrap(),
        server.git("pool", &["rev-parse", "main"])
    );
}

#[test]
fn git_ssh_killed_pooled_connection_is_replaced_and_reads_stay_correct() {
    let server = GitServer::start();
    let urls = server.new_repo("killed", false);
    let ssh = server.ssh_remote(&urls.ssh);
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    cache.commit(&ssh, &tx("v1", "n", "1")).unwrap();
    cache.read_files(&ssh, &["n"]).unwrap();
    assert!(
        kill_ssh_connections(&server) >= 1,
        "no pooled connection to kill"
    );

    let seen = cache.read_files(&ssh, &["n"]).unwrap();
    assert_eq!(seen.files["n"].as_deref(), Some(&b"1"[..]));
    // The replacement is pooled in turn: a push from elsewhere is still seen.
    let other_dir = tempfile::tempdir().unwrap();
    let other = RepoCache::new(other_dir.path()).unwrap();
    let pushed = other
        .commit(&server.http_remote(&urls.http), &tx("v2", "n", "2"))
        .unwrap();
    kill_ssh_connections(&server);
    let seen = cache.read_files(&ssh, &["n"]).unwrap();
    assert_eq!(seen.files["n"].as_deref(), Some(&b"2"[..]));
    assert_eq!(seen.commit, pushed.commit);
}

#[test]
fn git_ssh_pooled_session_is_not_lent_to_another_key_or_known_hosts() {
    let server = GitServer::start();
    let urls = server.new_repo("lent", false);
    let ssh = server.ssh_remote(&urls.ssh);
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    cache.commit(&ssh, &tx("v1", "n", "1")).unwrap();
    cache.read_files(&ssh, &["n"]).unwrap();
    cache.read_files(&ssh, &["n"]).unwrap();

    // Same cache, same server, a key sshd does not accept.
    let key_dir = tempfile::tempdir().unwrap();
    let key = key_dir.path().join("k");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let mut wrong_key = ssh.clone();
    if let Auth::Ssh(auth) = &mut wrong_key.auth {
        auth.private_key = Sensitive::new(std::fs::read_to_string(&key).unwrap());
    }
    let err = cache.read_files(&wrong_key, &["n"]).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");

    // Same key, a known_hosts that holds another key for this host.
    let host = server
        .file("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let client_pub =
        std::fs::read_to_string(format!("{}.pub", server.var("FLUX_TEST_SSH_KEY_FILE"))).unwrap();
    let fake: Vec<&str> = client_pub.split_whitespace().take(2).collect();
    let mut wrong_host = ssh.clone();
    if let Auth::Ssh(auth) = &mut wrong_host.auth {
        auth.host_keys = HostKeyPolicy::KnownHosts(
            KnownHosts::parse(&format!("{host} {} {}\n", fake[0], fake[1])).unwrap(),
        );
    }
    let err = cache.read_files(&wrong_host, &["n"]).unwrap_err();
    assert!(matches!(err, GitError::HostKeyMismatch { .. }), "{err:?}");

    // The rightful caller still reads.
    let seen = cache.read_files(&ssh, &["n"]).unwrap();
    assert_eq!(seen.files["n"].as_deref(), Some(&b"1"[..]));
}

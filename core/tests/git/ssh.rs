//! SSH: known hosts, host keys, keys with and without passphrase.

use super::*;

#[test]
fn git_ssh_known_hosts_commits_and_reads() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-commit", false);
    let remote = server.ssh_remote(&urls.ssh);
    let (_dir, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("ssh", &[("s.txt", "ssh")]))
        .unwrap();
    assert_eq!(
        server.git("ssh-commit", &["rev-parse", "main"]),
        outcome.commit.unwrap()
    );
    let seen = cache.read_files(&remote, &["s.txt"]).unwrap();
    assert_eq!(seen.files["s.txt"].as_deref(), Some(&b"ssh"[..]));
}

#[test]
fn git_ssh_hashed_known_hosts_is_accepted() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-hashed", false);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    std::fs::copy(server.var("FLUX_TEST_SSH_KNOWN_HOSTS_FILE"), &file).unwrap();
    let status = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let hashed = std::fs::read_to_string(&file).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    let mut remote = server.ssh_remote(&urls.ssh);
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.host_keys = HostKeyPolicy::KnownHosts(KnownHosts::parse(&hashed).unwrap());
    }
    let (_d, cache) = new_cache();
    assert!(cache
        .read_files(&remote, &["README.md"])
        .unwrap()
        .commit
        .is_some());
}

#[test]
fn git_ssh_wrong_host_key_fails_with_host_key_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-wrong-hostkey", false);
    let port = urls
        .ssh
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let host = format!("[127.0.0.1]:{port}");
    let client_pub =
        std::fs::read_to_string(format!("{}.pub", server.var("FLUX_TEST_SSH_KEY_FILE"))).unwrap();
    let fake_key: Vec<&str> = client_pub.split_whitespace().take(2).collect();
    let (_d, cache) = new_cache();

    // Same key type, different key.
    let mut remote = server.ssh_remote(&urls.ssh);
    let text = format!("{host} {} {}\n", fake_key[0], fake_key[1]);
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.host_keys = HostKeyPolicy::KnownHosts(KnownHosts::parse(&text).unwrap());
    }
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::HostKeyMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains(&host), "{err}");

    // Host not listed at all.
    let text = format!("[127.0.0.1]:1 {} {}\n", fake_key[0], fake_key[1]);
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.host_keys = HostKeyPolicy::KnownHosts(KnownHosts::parse(&text).unwrap());
    }
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::HostKeyUnknown { .. }), "{err:?}");

    // Only the server's ecdsa key: the error names what was presented and what is known.
    let ecdsa: String = server
        .file("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")
        .lines()
        .filter(|l| l.contains("ecdsa"))
        .collect();
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.host_keys = HostKeyPolicy::KnownHosts(KnownHosts::parse(&ecdsa).unwrap());
    }
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ssh-ed25519") && text.contains("ecdsa-sha2-nistp256"),
        "{text}"
    );
}

#[test]
fn git_ssh_unauthorized_key_fails_fast_with_authentication_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-wrong-key", false);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let mut remote = server.ssh_remote(&urls.ssh);
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.private_key = Sensitive::new(std::fs::read_to_string(&key).unwrap());
    }
    let (_d, cache) = new_cache();
    let started = Instant::now();
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
}

#[test]
fn git_ssh_key_with_passphrase_works_and_wrong_passphrase_fails() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-passphrase", false);
    let mut remote = server.ssh_remote(&urls.ssh);
    let key = server.file("FLUX_TEST_SSH_KEY_WITH_PASSPHRASE_FILE");
    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.private_key = Sensitive::new(key.clone());
        ssh.passphrase = Some(Sensitive::new(
            server.var("FLUX_TEST_SSH_KEY_PASSPHRASE").into(),
        ));
    }
    let (_d, cache) = new_cache();
    assert!(cache
        .read_files(&remote, &["README.md"])
        .unwrap()
        .commit
        .is_some());

    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.passphrase = Some(Sensitive::new("wrong-phrase".into()));
    }
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-phrase"));

    if let Auth::Ssh(ssh) = &mut remote.auth {
        ssh.passphrase = None;
    }
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::Invalid {
                field: "ssh.private_key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn git_scan_host_key_returns_a_known_hosts_line_that_verifies() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-scan", false);
    let remote = server.ssh_remote(&urls.ssh);
    let scanned = scan_host_key(&remote).unwrap();
    let known = server.file("FLUX_TEST_SSH_KNOWN_HOSTS_FILE");
    let line = scanned.as_text().trim().to_string();
    assert!(known.lines().any(|l| l.trim() == line), "{line}\n{known}");
}

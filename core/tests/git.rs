//! The git engine against real http, https and ssh servers on loopback.

// Helpers shared by the tests below abort loudly on a failed setup step.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use flux_core::git::{
    scan_host_key, Auth, FileEdit, GitError, HostKeyPolicy, KnownHosts, RepoCache, Transaction,
};
use flux_core::Sensitive;
use support::GitServer;

fn tx(message: &str, files: &[(&str, &str)]) -> Transaction {
    let mut tx = Transaction {
        message: message.to_string(),
        ..Default::default()
    };
    for (path, content) in files {
        tx.writes
            .insert(path.to_string(), content.as_bytes().to_vec());
    }
    tx
}

fn new_cache() -> (tempfile::TempDir, RepoCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    (dir, cache)
}

#[test]
fn git_http_commit_then_read_returns_the_content() {
    let server = GitServer::shared();
    let urls = server.new_repo("http-commit", false);
    let remote = server.http_remote(&urls.http);
    let (_dir, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("Add a", &[("clusters/a.yaml", "a: 1\n")]))
        .unwrap();
    assert!(outcome.pushed());
    assert_eq!(outcome.attempts, 1);
    let commit = outcome.commit.clone().unwrap();
    assert_eq!(server.git("http-commit", &["rev-parse", "main"]), commit);
    assert_eq!(
        server.git("http-commit", &["show", "main:README.md"]),
        "# http-commit"
    );
    assert_eq!(
        server.git("http-commit", &["log", "-1", "--format=%an|%s", "main"]),
        "Flux|Add a"
    );

    let (_dir2, fresh) = new_cache();
    let seen = fresh
        .read_files(&remote, &["clusters/a.yaml", "README.md", "missing.yaml"])
        .unwrap();
    assert_eq!(seen.commit.as_deref(), Some(commit.as_str()));
    assert_eq!(
        seen.files["clusters/a.yaml"].as_deref(),
        Some(&b"a: 1\n"[..])
    );
    assert_eq!(seen.files["missing.yaml"], None);
}

#[test]
fn git_http_wrong_password_fails_fast_with_authentication_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("http-wrong-password", false);
    let mut remote = server.http_remote(&urls.http);
    remote.auth = Auth::Basic {
        username: "flux".into(),
        password: Sensitive::new("hunter2-wrong".into()),
    };
    let (_dir, cache) = new_cache();
    let started = Instant::now();
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2-wrong"), "{text}");
    let err = cache.commit(&remote, &tx("x", &[("a", "b")])).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
}

#[test]
fn git_http_without_credentials_fails_with_authentication_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("http-no-creds", false);
    let mut remote = server.http_remote(&urls.http);
    remote.auth = Auth::None;
    let (_dir, cache) = new_cache();
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
    remote.auth = Auth::Bearer(Sensitive::new("tok-secret".into()));
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("tok-secret"));
}

#[test]
fn git_http_url_without_allow_insecure_is_rejected_before_io() {
    let server = GitServer::shared();
    let mut remote = server.http_remote("http://127.0.0.1:9/git/nothing.git");
    remote.allow_insecure_http = false;
    let (dir, cache) = new_cache();
    let err = cache.read_files(&remote, &["a"]).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::Invalid {
                field: "allow_insecure_http",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn git_https_with_ca_commits_and_reads() {
    let server = GitServer::shared();
    let urls = server.new_repo("https-ca", false);
    let remote = server.https_remote(&urls.https);
    let (_dir, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("tls", &[("t.txt", "tls")]))
        .unwrap();
    assert!(outcome.pushed());
    let seen = cache.read_files(&remote, &["t.txt"]).unwrap();
    assert_eq!(seen.files["t.txt"].as_deref(), Some(&b"tls"[..]));

    let mut by_name = remote.clone();
    by_name.url = urls.https.replace("127.0.0.1", "localhost");
    let (_dir2, cache2) = new_cache();
    assert_eq!(
        cache2.read_files(&by_name, &["t.txt"]).unwrap().commit,
        seen.commit
    );
}

#[test]
fn git_https_wrong_or_missing_ca_fails_with_certificate_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("https-wrong-ca", false);
    let (_dir, cache) = new_cache();

    let mut remote = server.https_remote(&urls.https);
    remote.ca_pem = None;
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::Certificate { .. }), "{err:?}");

    let other = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(other.path().join("k"))
        .arg("-out")
        .arg(other.path().join("c"))
        .args(["-days", "1", "-subj", "/CN=other CA"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    remote.ca_pem = Some(std::fs::read_to_string(other.path().join("c")).unwrap());
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    match &err {
        GitError::Certificate { reason, .. } => assert!(reason.contains("issuer"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn git_https_wrong_password_fails_with_authentication_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("https-wrong-password", false);
    let mut remote = server.https_remote(&urls.https);
    remote.auth = Auth::Basic {
        username: "flux".into(),
        password: Sensitive::new("nope".into()),
    };
    let (_dir, cache) = new_cache();
    let err = cache.read_files(&remote, &["README.md"]).unwrap_err();
    assert!(matches!(err, GitError::Authentication { .. }), "{err:?}");
}

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

#[test]
fn git_empty_repository_first_commit_creates_the_branch() {
    let server = GitServer::shared();
    let urls = server.new_repo("empty", true);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let seen = cache.read_files(&remote, &["a"]).unwrap();
    assert_eq!(seen.commit, None);
    assert!(matches!(
        cache.get_files(&remote, &["a"]),
        Err(GitError::BranchNotFound { .. })
    ));
    let outcome = cache.commit(&remote, &tx("first", &[("a", "1")])).unwrap();
    assert_eq!(
        server.git("empty", &["rev-parse", "main"]),
        outcome.commit.clone().unwrap()
    );
    assert_eq!(server.git("empty", &["rev-list", "--count", "main"]), "1");
    let seen = cache.read_files(&remote, &["a"]).unwrap();
    assert_eq!(seen.commit, outcome.commit);
}

#[test]
fn git_missing_branch_is_created() {
    let server = GitServer::shared();
    let urls = server.new_repo("missing-branch", false);
    let mut remote = server.ssh_remote(&urls.ssh);
    remote.branch = "clusters/staging".into();
    let (_d, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("staging", &[("s", "1")]))
        .unwrap();
    assert_eq!(
        server.git(
            "missing-branch",
            &["rev-parse", "refs/heads/clusters/staging"]
        ),
        outcome.commit.unwrap()
    );
}

#[test]
fn git_nothing_to_commit_is_no_commit_and_no_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("nothing", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let first = cache.commit(&remote, &tx("one", &[("f", "same")])).unwrap();
    let again = cache.commit(&remote, &tx("two", &[("f", "same")])).unwrap();
    assert_eq!(again.commit, None);
    assert_eq!(again.tip, first.tip);
    let mut delete_missing = tx("three", &[]);
    delete_missing.deletes = BTreeSet::from(["not-there".to_string()]);
    assert_eq!(cache.commit(&remote, &delete_missing).unwrap().commit, None);
    assert_eq!(server.git("nothing", &["rev-list", "--count", "main"]), "2");
}

#[test]
fn git_transaction_with_appendix_and_author_is_recorded() {
    let server = GitServer::shared();
    let urls = server.new_repo("author", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut t = tx("Add Flux sync manifests", &[("x", "1")]);
    t.message_appendix = Some("Signed-off-by: ci".into());
    t.author.name = "Bot".into();
    t.author.email = "bot@example.com".into();
    let mut delete = tx("Remove README", &[]);
    delete.deletes.insert("README.md".into());
    cache.commit(&remote, &t).unwrap();
    cache.commit(&remote, &delete).unwrap();
    assert_eq!(
        server.git(
            "author",
            &[
                "log",
                "-1",
                "--skip=1",
                "--format=%an <%ae>|%cn <%ce>|%B",
                "main"
            ]
        ),
        "Bot <bot@example.com>|Bot <bot@example.com>|Add Flux sync manifests\n\nSigned-off-by: ci"
    );
    assert_eq!(
        server.git("author", &["ls-tree", "--name-only", "main"]),
        "x"
    );
}

fn install_hook(server: &GitServer, repo: &str, body: &str) {
    let hook = server.repo_path(repo).join("hooks/pre-receive");
    std::fs::write(&hook, format!("#!/bin/sh\n{body}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn git_push_declined_by_hook_is_a_rejected_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("declined", false);
    install_hook(server, "declined", "echo 'protected branch' >&2; exit 1");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let err = cache.commit(&remote, &tx("x", &[("x", "1")])).unwrap_err();
    match &err {
        GitError::Rejected { branch, reason } => {
            assert_eq!(branch, "main");
            assert!(reason.contains("declined"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.git("declined", &["rev-list", "--count", "main"]),
        "1"
    );
}

#[test]
fn git_transaction_racing_an_outside_push_is_redone_on_the_new_tip() {
    let server = GitServer::shared();
    let urls = server.new_repo("race", false);
    let marker = install_race_hook(server, "race");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("ours", &[("ours.txt", "1")]))
        .unwrap();
    assert!(marker.exists());
    assert_eq!(outcome.attempts, 2);
    assert_eq!(
        server.git("race", &["log", "--format=%s", "main"]),
        "ours\noutside\nInitial commit"
    );
    assert_eq!(
        server.git("race", &["ls-tree", "--name-only", "main"]),
        "README.md\nlist.txt\nours.txt\noutside.txt"
    );
}

/// The hook of the race tests: on the first push only, someone else commits
/// `outside.txt` and `list.txt` = "outside" on main just before our update lands.
fn install_race_hook(server: &GitServer, repo: &str) -> std::path::PathBuf {
    let marker = server.state.join(format!("{repo}-hook-fired"));
    install_hook(
        server,
        repo,
        &format!(
            r#"[ -e '{m}' ] && exit 0
touch '{m}'
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=outsider GIT_AUTHOR_EMAIL=o@x GIT_COMMITTER_NAME=outsider GIT_COMMITTER_EMAIL=o@x
tip=$(git rev-parse refs/heads/main)
blob=$(echo outside | git hash-object -w --stdin)
tree=$( (git ls-tree $tip; printf '100644 blob %s\toutside.txt\n100644 blob %s\tlist.txt\n' $blob $blob) | git mktree)
new=$(git commit-tree -p $tip -m outside $tree)
git update-ref refs/heads/main $new $tip"#,
            m = marker.display()
        ),
    );
    marker
}

#[test]
fn git_edit_racing_an_outside_push_is_recomputed_from_the_new_tip() {
    let server = GitServer::shared();
    let urls = server.new_repo("race-edit", false);
    let marker = install_race_hook(server, "race-edit");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut transaction = tx("ours", &[]);
    transaction.edits.push(FileEdit::new("list.txt", |current| {
        let mut list = current.map(<[u8]>::to_vec).unwrap_or_default();
        list.extend_from_slice(b"ours\n");
        Ok(Some(list))
    }));
    let outcome = cache.commit(&remote, &transaction).unwrap();
    assert!(marker.exists());
    assert_eq!(outcome.attempts, 2);
    // The first attempt saw no list.txt and wrote "ours" alone; the retry rebuilt
    // the list from the outsider's commit instead of replaying that content.
    assert_eq!(
        server.git("race-edit", &["show", "main:list.txt"]),
        "outside\nours"
    );
}

#[test]
fn git_edit_refusing_the_tip_content_fails_with_its_path_and_commits_nothing() {
    let server = GitServer::shared();
    let urls = server.new_repo("edit-refused", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut transaction = tx("never", &[("a.txt", "a")]);
    transaction
        .edits
        .push(FileEdit::new("README.md", |current| {
            Err(format!("{} bytes of prose", current.map_or(0, <[u8]>::len)))
        }));
    let err = cache.commit(&remote, &transaction).unwrap_err();
    assert!(
        matches!(&err, GitError::Edit { path, reason } if path == "README.md" && reason.ends_with("bytes of prose")),
        "{err:?}"
    );
    assert_eq!(
        server.git("edit-refused", &["log", "--format=%s", "main"]),
        "Initial commit"
    );
    transaction.writes.insert("README.md".into(), b"x".to_vec());
    assert!(cache
        .commit(&remote, &transaction)
        .unwrap_err()
        .is_invalid_input());
}

fn assert_linear_with(server: &GitServer, repo: &str, expected_commits: usize) {
    let parents = server.git(repo, &["rev-list", "--parents", "main"]);
    let lines: Vec<&str> = parents.lines().collect();
    assert_eq!(lines.len(), expected_commits);
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line.split(' ').count(), 2, "not linear: {line}");
    }
}

#[test]
fn git_ten_writers_twenty_transactions_each_land_linear_without_loss() {
    let server = GitServer::shared();
    let urls = server.new_repo("writers", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    std::thread::scope(|scope| {
        for writer in 0..10 {
            let cache = cache.clone();
            let remote = remote.clone();
            scope.spawn(move || {
                for n in 0..20 {
                    let path = format!("w{writer}/t{n}.txt");
                    let outcome = cache
                        .commit(&remote, &tx(&format!("w{writer} t{n}"), &[(&path, "x")]))
                        .unwrap();
                    assert!(outcome.pushed());
                }
            });
        }
    });
    assert_linear_with(server, "writers", 201);
    let files = server.git("writers", &["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(files.lines().count(), 201);
    // Queued writers are batched: far fewer pushes than transactions.
    let log = std::fs::read_to_string(server.state.join("access.log")).unwrap();
    let pushes = log
        .lines()
        .filter(|l| l.contains("POST /git/writers.git/git-receive-pack"))
        .count();
    assert!(pushes > 0 && pushes < 200, "{pushes} pushes");
}

#[test]
fn git_writers_in_separate_caches_converge_through_retries() {
    let server = GitServer::shared();
    let urls = server.new_repo("processes", false);
    let remote = server.http_remote(&urls.http);
    std::thread::scope(|scope| {
        for writer in 0..10 {
            let remote = remote.clone();
            scope.spawn(move || {
                // A cache of its own stands for another process: nothing is
                // shared, so these writers really race on the server.
                let (_d, cache) = new_cache();
                for n in 0..3 {
                    let path = format!("p{writer}/t{n}.txt");
                    cache
                        .commit(&remote, &tx(&format!("p{writer} t{n}"), &[(&path, "x")]))
                        .unwrap();
                }
            });
        }
    });
    assert_linear_with(server, "processes", 31);
}

#[test]
fn git_warm_cache_sees_outside_pushes_and_stays_shallow() {
    let server = GitServer::shared();
    let urls = server.new_repo("warm", false);
    let remote = server.http_remote(&urls.http);
    let (dir, cache) = new_cache();
    for n in 0..3 {
        cache
            .commit(&remote, &tx(&format!("c{n}"), &[("n", &n.to_string())]))
            .unwrap();
    }
    let (dir2, reader) = new_cache();
    let first = reader.read_files(&remote, &["n"]).unwrap();
    assert_eq!(first.files["n"].as_deref(), Some(&b"2"[..]));
    cache.commit(&remote, &tx("c3", &[("n", "3")])).unwrap();
    let second = reader.read_files(&remote, &["n"]).unwrap();
    assert_eq!(second.files["n"].as_deref(), Some(&b"3"[..]));
    assert_ne!(first.commit, second.commit);
    // The reader's first fetch was shallow: it never downloaded c0..c1.
    let shallow = std::fs::read_dir(dir2.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.path().join("shallow").exists());
    assert!(shallow);
    // A shallow cache can still write.
    let outcome = reader.commit(&remote, &tx("c4", &[("n", "4")])).unwrap();
    assert_eq!(
        server.git("warm", &["rev-parse", "main"]),
        outcome.commit.unwrap()
    );
    drop(dir);
}

#[test]
fn git_ssh_signed_commit_verifies_with_git() {
    let server = GitServer::shared();
    let urls = server.new_repo("ssh-signed", false);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signing");
    let status = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "sign-phrase",
            "-C",
            "signer",
            "-f",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(&allowed, format!("bot@example.com {public}")).unwrap();

    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut t = tx("signed", &[("s", "1")]);
    t.author.email = "bot@example.com".into();
    t.signing = Some(flux_core::git::Signing::Ssh {
        private_key: Sensitive::new(std::fs::read_to_string(&key).unwrap()),
        passphrase: Some(Sensitive::new("sign-phrase".into())),
    });
    cache.commit(&remote, &t).unwrap();
    let allowed = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let verdict = server.git(
        "ssh-signed",
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &allowed,
            "log",
            "-1",
            "--format=%G?|%GS",
            "main",
        ],
    );
    assert_eq!(verdict, "G|bot@example.com");
}

/// A throw-away GnuPG home with one ed25519 signing key; its agent is stopped on drop.
struct GpgHome {
    dir: tempfile::TempDir,
}

impl GpgHome {
    fn gpg(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("gpg")
            .env("GNUPGHOME", self.dir.path())
            .args([
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "gpg-phrase",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .env("GNUPGHOME", self.dir.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

#[test]
fn git_gpg_signed_commit_verifies_with_gpg() {
    let server = GitServer::shared();
    let urls = server.new_repo("gpg-signed", false);
    let home = GpgHome {
        dir: tempfile::tempdir().unwrap(),
    };
    // A low key-derivation count keeps the unoptimized test build fast.
    std::fs::write(home.dir.path().join("gpg-agent.conf"), "s2k-count 65536\n").unwrap();
    home.gpg(&[
        "--quick-gen-key",
        "Bot <bot@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    let ring = home.gpg(&["--armor", "--export-secret-keys", "bot@example.com"]);
    let key_id = home
        .gpg(&["--with-colons", "--list-keys", "bot@example.com"])
        .lines()
        .find(|l| l.starts_with("pub:"))
        .map(|l| l.split(':').nth(4).unwrap().to_string())
        .unwrap();

    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    for (n, id) in [None, Some(format!("0x{key_id}"))].into_iter().enumerate() {
        let mut t = tx(&format!("signed {n}"), &[("s", &n.to_string())]);
        t.signing = Some(flux_core::git::Signing::Gpg {
            key_ring: Sensitive::new(ring.clone().into_bytes()),
            key_id: id,
            passphrase: Some(Sensitive::new("gpg-phrase".into())),
        });
        cache.commit(&remote, &t).unwrap();
        let out = std::process::Command::new("git")
            .env("GNUPGHOME", home.dir.path())
            .arg("--git-dir")
            .arg(server.repo_path("gpg-signed"))
            .args(["log", "-1", "--format=%G?|%GK", "main"])
            .output()
            .unwrap();
        let verdict = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(verdict, format!("G|{key_id}"));
    }

    let mut wrong = tx("wrong", &[("s", "x")]);
    wrong.signing = Some(flux_core::git::Signing::Gpg {
        key_ring: Sensitive::new(ring.into_bytes()),
        key_id: None,
        passphrase: Some(Sensitive::new("not-it".into())),
    });
    let err = cache.commit(&remote, &wrong).unwrap_err();
    assert!(matches!(err, GitError::Signing { .. }), "{err:?}");
    assert_eq!(
        server.git("gpg-signed", &["rev-list", "--count", "main"]),
        "3"
    );
}

#[test]
fn git_unreachable_server_is_a_retryable_network_error() {
    let server = GitServer::shared();
    let remote = server.http_remote("http://127.0.0.1:1/git/nothing.git");
    let (_d, cache) = new_cache();
    let err = cache.read_files(&remote, &["a"]).unwrap_err();
    assert!(matches!(err, GitError::Network { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}

#[test]
fn git_repo_cache_is_send_and_sync_for_spawn_blocking() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<RepoCache>();
    assert_send_sync::<flux_core::git::Remote>();
    assert_send_sync::<Transaction>();
    assert_send_sync::<GitError>();
}

#[test]
fn git_missing_repository_is_a_not_found_error() {
    let server = GitServer::shared();
    let (_d, cache) = new_cache();
    for remote in [
        server.http_remote(&format!(
            "{}/no-such.git",
            server.var("FLUX_TEST_GIT_HTTP_URL")
        )),
        server.ssh_remote(&format!(
            "{}/no-such.git",
            server.var("FLUX_TEST_GIT_SSH_URL")
        )),
    ] {
        let err = cache.read_files(&remote, &["a"]).unwrap_err();
        assert!(
            matches!(err, GitError::RepositoryNotFound { .. }),
            "{err:?}"
        );
        assert!(!err.is_retryable());
    }
}

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn git_logs_at_trace_level_hold_no_secret() {
    let server = GitServer::shared();
    let urls = server.new_repo("logs", false);
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let password = server.var("FLUX_TEST_GIT_PASSWORD").to_string();
    // A process-wide subscriber, not a scoped one: the other tests of this binary
    // run on other threads at the same time, and tracing's per-callsite interest
    // cache made a thread-scoped subscriber miss events (seen in CI). Catching every
    // thread's events also widens the check to all of this binary's tests.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    {
        let (_d, cache) = new_cache();
        let remote = server.http_remote(&urls.http);
        cache.commit(&remote, &tx("logged", &[("l", "1")])).unwrap();
        let mut wrong = remote.clone();
        wrong.auth = Auth::Basic {
            username: "flux".into(),
            password: Sensitive::new("hunter2-in-logs".into()),
        };
        let (_d2, other) = new_cache();
        other.read_files(&wrong, &["l"]).unwrap_err();
        let ssh = server.ssh_remote(&urls.ssh);
        cache.read_files(&ssh, &["l"]).unwrap();
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("pushed"), "{text}");
    let key = server.file("FLUX_TEST_SSH_KEY_FILE");
    let key_body = key.lines().nth(1).unwrap();
    for secret in [password.as_str(), "hunter2-in-logs", key_body] {
        assert!(!text.contains(secret), "secret in logs:\n{text}");
    }
}

#[test]
fn git_includes_tells_a_later_commit_from_an_unrelated_one() {
    let server = GitServer::shared();
    let urls = server.new_repo("includes", false);
    let remote = server.http_remote(&urls.http);
    let (_dir, cache) = new_cache();
    let first = cache
        .commit(&remote, &tx("one", &[("a.txt", "1\n")]))
        .unwrap()
        .commit
        .unwrap();
    // Another writer moves the branch on; this cache has not seen it yet.
    let (_other_dir, other) = new_cache();
    let second = other
        .commit(&remote, &tx("two", &[("a.txt", "2\n")]))
        .unwrap()
        .commit
        .unwrap();
    assert!(cache.includes(&remote, &first, &first).unwrap());
    assert!(cache.includes(&remote, &second, &first).unwrap());
    assert!(!cache.includes(&remote, &first, &second).unwrap());
    let initial = server.git("includes", &["rev-list", "--max-parents=0", "main"]);
    assert!(!cache.includes(&remote, initial.trim(), &first).unwrap());
    assert!(!cache.includes(&remote, "not-a-commit", &first).unwrap());
}

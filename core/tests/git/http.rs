//! Smart HTTP and HTTPS: credentials, certificates, unreachable and missing repositories.

use super::*;

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

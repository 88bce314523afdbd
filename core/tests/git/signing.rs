//! Signed commits that git and gpg verify.

use super::*;

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

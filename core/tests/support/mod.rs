//! Test support: the real git servers of `tests/acceptance/env/git`, started with
//! the same scripts the acceptance environment uses.
#![allow(dead_code)]
// Test-only helper: a failed setup step should abort the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use flux_core::git::{Auth, HostKeyPolicy, KnownHosts, Remote, SshAuth};
use flux_core::Sensitive;

/// Running lighttpd (http, https) and sshd serving `STATE/repos`.
pub struct GitServer {
    pub state: PathBuf,
    env: HashMap<String, String>,
    owned: bool,
}

/// The three URLs of one repository.
pub struct RepoUrls {
    pub http: String,
    pub https: String,
    pub ssh: String,
}

pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/acceptance/env/git")
}

fn parse_exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl GitServer {
    /// Servers shared by every test of this binary; a watchdog stops them and
    /// removes their state when the test process exits.
    pub fn shared() -> &'static GitServer {
        static SHARED: OnceLock<GitServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            let mut server = Self::start_in(tempfile::tempdir().unwrap().keep());
            server.owned = false;
            let script = format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; '{down}' '{state}'; rm -rf '{state}'",
                pid = std::process::id(),
                down = scripts_dir().join("down").display(),
                state = server.state.display(),
            );
            use std::os::unix::process::CommandExt;
            // The watchdog outlives this process on purpose; nothing waits for it.
            #[allow(clippy::zombie_processes)]
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the server watchdog");
            server
        })
    }

    /// Servers of one's own, stopped on drop.
    pub fn start() -> GitServer {
        Self::start_in(tempfile::tempdir().unwrap().keep())
    }

    fn start_in(state: PathBuf) -> GitServer {
        let out = Command::new(scripts_dir().join("up"))
            .arg(&state)
            .stdin(Stdio::null())
            .output()
            .expect("run tests/acceptance/env/git/up");
        assert!(
            out.status.success(),
            "git servers failed to start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = parse_exports(&String::from_utf8_lossy(&out.stdout));
        GitServer {
            state,
            env,
            owned: true,
        }
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("up did not print {name}"))
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.var(name)).unwrap()
    }

    pub fn new_repo(&self, name: &str, empty: bool) -> RepoUrls {
        let mut cmd = Command::new(scripts_dir().join("new-repo"));
        cmd.arg(&self.state).arg(name);
        if empty {
            cmd.arg("--empty");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "new-repo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let vars = parse_exports(&String::from_utf8_lossy(&out.stdout));
        RepoUrls {
            http: vars["FLUX_TEST_GIT_REPO_HTTP_URL"].clone(),
            https: vars["FLUX_TEST_GIT_REPO_HTTPS_URL"].clone(),
            ssh: vars["FLUX_TEST_GIT_REPO_SSH_URL"].clone(),
        }
    }

    /// The bare repository on the server side.
    pub fn repo_path(&self, name: &str) -> PathBuf {
        self.state.join("repos").join(format!("{name}.git"))
    }

    pub fn basic_auth(&self) -> Auth {
        Auth::Basic {
            username: self.var("FLUX_TEST_GIT_USERNAME").to_string(),
            password: Sensitive::new(self.var("FLUX_TEST_GIT_PASSWORD").to_string()),
        }
    }

    pub fn http_remote(&self, url: &str) -> Remote {
        Remote {
            url: url.to_string(),
            branch: "main".to_string(),
            auth: self.basic_auth(),
            ca_pem: None,
            allow_insecure_http: true,
        }
    }

    pub fn https_remote(&self, url: &str) -> Remote {
        Remote {
            url: url.to_string(),
            branch: "main".to_string(),
            auth: self.basic_auth(),
            ca_pem: Some(self.file("FLUX_TEST_GIT_CA_FILE")),
            allow_insecure_http: false,
        }
    }

    pub fn ssh_auth(&self) -> SshAuth {
        SshAuth {
            username: Some(self.var("FLUX_TEST_SSH_USERNAME").to_string()),
            private_key: Sensitive::new(self.file("FLUX_TEST_SSH_KEY_FILE")),
            passphrase: None,
            host_keys: HostKeyPolicy::KnownHosts(
                KnownHosts::parse(&self.file("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")).unwrap(),
            ),
        }
    }

    pub fn ssh_remote(&self, url: &str) -> Remote {
        Remote {
            url: url.to_string(),
            branch: "main".to_string(),
            auth: Auth::Ssh(self.ssh_auth()),
            ca_pem: None,
            allow_insecure_http: false,
        }
    }

    /// Runs the git CLI on the server-side bare repository.
    pub fn git(&self, repo: &str, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(self.repo_path(repo))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        if self.owned {
            let _ = Command::new(scripts_dir().join("down"))
                .arg(&self.state)
                .status();
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

//! The real test environment (git servers, kube-apiserver, Flux controllers,
//! Terraform CLIs), started or reused through the same `tests/acceptance/env/up`
//! script that people and benchmarks use.
//!
//! If the `FLUX_TEST_*` variables are already set (someone ran
//! `eval "$(tests/acceptance/env/up)"`), they are used as they are. Otherwise
//! `up` runs once per test binary into a state directory (`FLUX_TEST_STATE`, or
//! `target/flux-test-env`) and its `export` lines are parsed. `up` reuses an
//! environment that still runs there, so later test runs start in about a second;
//! `tests/acceptance/env/down --state DIR` stops it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Variable naming the host of the first cluster; its presence means "reuse".
const KUBE_HOST_VAR: &str = "FLUX_TEST_KUBE_HOST";
/// Variable naming the state directory of a running environment.
const STATE_VAR: &str = "FLUX_TEST_ENV_STATE";

/// Failures to start, reuse or extend the test environment.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// An environment script could not be run at all.
    #[error("failed to run {script}")]
    Spawn {
        /// The script that was run.
        script: PathBuf,
        /// Why it did not run.
        #[source]
        source: std::io::Error,
    },
    /// An environment script ran and failed; `stderr` holds its last lines.
    #[error("{script} exited with {status}: {stderr}")]
    Script {
        /// The script that was run.
        script: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The tail of what it wrote to stderr.
        stderr: String,
    },
    /// A variable the caller needs is not part of the environment.
    #[error("the test environment does not provide {name}")]
    MissingVar {
        /// The variable's name.
        name: String,
    },
    /// `new-repo` printed no URL for one of the protocols.
    #[error("new-repo printed no {protocol} url for repository {repo}")]
    MissingUrl {
        /// The repository's name.
        repo: String,
        /// The protocol whose URL is missing.
        protocol: &'static str,
    },
    /// The shared environment failed to start earlier in this test binary.
    #[error("the shared test environment failed to start earlier: {reason}")]
    SharedStart {
        /// The error of the first attempt.
        reason: String,
    },
}

impl EnvError {
    /// Whether the environment is absent because its parts are not built
    /// (the message of `up` points at `setup`), rather than broken.
    pub fn is_not_set_up(&self) -> bool {
        match self {
            EnvError::Script { stderr, .. } => stderr.contains("run tests/acceptance/env/setup"),
            EnvError::SharedStart { reason } => reason.contains("run tests/acceptance/env/setup"),
            _ => false,
        }
    }
}

/// The three URLs of one repository on the git servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrls {
    /// Smart HTTP with basic auth (`FLUX_TEST_GIT_USERNAME`/`_PASSWORD`).
    pub http: String,
    /// Smart HTTPS, signed by `FLUX_TEST_GIT_CA_FILE`.
    pub https: String,
    /// SSH with `FLUX_TEST_SSH_KEY_FILE` and `FLUX_TEST_SSH_KNOWN_HOSTS_FILE`.
    pub ssh: String,
}

/// Access to one extra kube-apiserver added with [`Environment::add_cluster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAccess {
    /// Path of a kubeconfig with the admin client certificate.
    pub kubeconfig: PathBuf,
    /// Path of a kubeconfig with the bearer token.
    pub kubeconfig_token: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub host: String,
    /// A bearer token in group system:masters.
    pub token: String,
    /// The CA that signed the apiserver's certificate.
    pub ca_file: PathBuf,
}

/// A running test environment: the variables `up` exported.
#[derive(Debug, Clone)]
pub struct Environment {
    vars: BTreeMap<String, String>,
}

impl Environment {
    /// The environment shared by every test of this binary, started on first use.
    pub fn shared() -> Result<&'static Environment, EnvError> {
        static SHARED: OnceLock<Result<Environment, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                Environment::find_in_process_env()
                    .map_or_else(|| Environment::start(&default_state_dir()), Ok)
                    .map_err(|e| error_chain(&e))
            })
            .as_ref()
            .map_err(|reason| EnvError::SharedStart {
                reason: reason.clone(),
            })
    }

    /// The environment described by this process's `FLUX_TEST_*` variables, if set.
    pub fn find_in_process_env() -> Option<Environment> {
        std::env::var_os(KUBE_HOST_VAR)?;
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("FLUX_TEST_") || k == "KUBECONFIG")
            .collect();
        Some(Environment { vars })
    }

    /// Starts an environment in `state_dir`, or reuses the one running there.
    pub fn start(state_dir: &Path) -> Result<Environment, EnvError> {
        let state = state_dir.to_string_lossy().into_owned();
        let out = run_script("up", &["--state", &state])?;
        Ok(Environment {
            vars: parse_exports(&out),
        })
    }

    /// Stops the environment whose state directory is `state_dir`.
    pub fn stop(state_dir: &Path) -> Result<(), EnvError> {
        let state = state_dir.to_string_lossy().into_owned();
        run_script("down", &["--state", &state]).map(|_| ())
    }

    /// The value of one exported variable, e.g. `FLUX_TEST_GIT_HTTP_URL`.
    pub fn get_var(&self, name: &str) -> Result<&str, EnvError> {
        self.find_var(name).ok_or_else(|| EnvError::MissingVar {
            name: name.to_owned(),
        })
    }

    /// The value of one exported variable, if the environment has it (e.g.
    /// `FLUX_TEST_TOFU` only when OpenTofu was built).
    pub fn find_var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every exported variable, to pass on to a child process.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// The kubeconfig of the first cluster (admin client certificate).
    pub fn get_kubeconfig(&self) -> Result<PathBuf, EnvError> {
        self.get_var("KUBECONFIG").map(PathBuf::from)
    }

    /// The state directory of the running environment.
    pub fn get_state_dir(&self) -> Result<PathBuf, EnvError> {
        self.get_var(STATE_VAR).map(PathBuf::from)
    }

    /// Creates repository `name` (`name.git`) on the git servers, seeded with one
    /// commit unless `empty`, and returns its URLs.
    pub fn create_repo(&self, name: &str, empty: bool) -> Result<RepoUrls, EnvError> {
        let state = self.get_var(STATE_VAR)?.to_owned();
        let mut args = vec!["--state", state.as_str(), name];
        if empty {
            args.push("--empty");
        }
        let out = run_script("new-repo", &args)?;
        parse_repo_urls(name, &out)
    }

    /// Adds (or finds) a second kube-apiserver named `name`, sharing etcd under
    /// its own prefix, with its own controller manager and Flux controllers.
    pub fn add_cluster(&self, name: &str) -> Result<ClusterAccess, EnvError> {
        let state = self.get_var(STATE_VAR)?.to_owned();
        let out = run_script("add-cluster", &["--state", &state, name])?;
        let vars = parse_exports(&out);
        let prefix = format!(
            "FLUX_TEST_CLUSTER_{}_",
            name.to_ascii_uppercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let get = |suffix: &str| {
            let key = format!("{prefix}{suffix}");
            vars.get(&key)
                .cloned()
                .ok_or(EnvError::MissingVar { name: key })
        };
        Ok(ClusterAccess {
            kubeconfig: get("KUBECONFIG")?.into(),
            kubeconfig_token: get("KUBECONFIG_TOKEN")?.into(),
            host: get("KUBE_HOST")?,
            token: get("KUBE_TOKEN")?,
            ca_file: get("KUBE_CA_FILE")?.into(),
        })
    }

    /// Replaces the cluster `name` (added by [`Environment::add_cluster`]) by an empty
    /// one at the same address and with the same credentials, as when a cluster is
    /// deleted and created again: nothing of the old one is left.
    pub fn recreate_cluster(&self, name: &str) -> Result<(), EnvError> {
        let state = self.get_var(STATE_VAR)?.to_owned();
        run_script("recreate-cluster", &["--state", &state, name]).map(|_| ())
    }
}

/// A file of the setup's Go builds (`build/go-servers.sh`): `go/bin/<name>` in
/// `FLUX_TEST_CACHE`, by default `~/.cache/flux-provider-test`.
pub fn go_bin(name: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("FLUX_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/flux-provider-test"))
        })?;
    Some(cache.join("go/bin").join(name))
}

/// Where the shared environment keeps its state when `FLUX_TEST_STATE` is unset.
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("FLUX_TEST_STATE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/flux-test-env"),
        PathBuf::from,
    )
}

/// The directory of the environment scripts (`tests/acceptance/env`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("env")
}

fn run_script(name: &str, args: &[&str]) -> Result<String, EnvError> {
    let script = scripts_dir().join(name);
    let out = Command::new(&script)
        .args(args)
        .output()
        .map_err(|source| EnvError::Spawn {
            script: script.clone(),
            source,
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        return Err(EnvError::Script {
            script,
            status: out.status,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parses `export NAME=value` lines as printed by the env scripts (values are
/// plain or single-quoted).
pub fn parse_exports(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|assignment| assignment.split_once('='))
        .map(|(name, value)| (name.to_owned(), unquote(value)))
        .collect()
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("'\\''", "'"),
        None => value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .to_owned(),
    }
}

/// Picks the three URLs out of `new-repo`'s output, whether it prints bare URLs
/// or `export` lines.
fn parse_repo_urls(repo: &str, text: &str) -> Result<RepoUrls, EnvError> {
    let mut urls: Vec<String> = parse_exports(text).into_values().collect();
    urls.extend(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("export "))
            .flat_map(str::split_whitespace)
            .map(str::to_owned),
    );
    let find = |scheme: &'static str| {
        urls.iter()
            .find(|u| u.starts_with(scheme))
            .cloned()
            .ok_or(EnvError::MissingUrl {
                repo: repo.to_owned(),
                protocol: scheme.trim_end_matches("://"),
            })
    };
    Ok(RepoUrls {
        http: find("http://")?,
        https: find("https://")?,
        ssh: find("ssh://")?,
    })
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A turn on the shared cluster for tests that need Flux's cluster-wide CRDs as they
/// left them: a bootstrap's destroy removes the CRDs that another test's Flux objects
/// live in, so such tests run one at a time within the test binary.
pub fn cluster_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_exports_quoted_and_plain_values_unquoted() {
        let vars = parse_exports("export A=plain\nexport B='it'\\''s'\nnoise\nexport C=\"x y\"\n");
        assert_eq!(vars.get("A").map(String::as_str), Some("plain"));
        assert_eq!(vars.get("B").map(String::as_str), Some("it's"));
        assert_eq!(vars.get("C").map(String::as_str), Some("x y"));
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn parse_repo_urls_bare_lines_each_protocol_found() {
        let urls = parse_repo_urls(
            "r",
            "http://127.0.0.1:1/r.git\nhttps://127.0.0.1:2/r.git\nssh://git@127.0.0.1:3/r.git\n",
        );
        assert_eq!(
            urls.ok(),
            Some(RepoUrls {
                http: "http://127.0.0.1:1/r.git".into(),
                https: "https://127.0.0.1:2/r.git".into(),
                ssh: "ssh://git@127.0.0.1:3/r.git".into(),
            })
        );
    }

    #[test]
    fn parse_repo_urls_no_ssh_names_protocol() {
        let err = parse_repo_urls("r", "http://a/r.git https://a/r.git").err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("new-repo printed no ssh url for repository r".to_owned())
        );
    }
}

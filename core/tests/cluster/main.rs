//! Component tests of the cluster engine against the real test environment: a real
//! kube-apiserver, the real Flux controllers and the real git servers
//! (`tests/acceptance/env/up`).
//!
//! The environment is reused when `KUBECONFIG` and `FLUX_TEST_KUBE_HOST` are set (as after
//! `eval "$(tests/acceptance/env/up)"`); otherwise `up` is run with the state directory
//! `$FLUX_TEST_CORE_STATE` or `<target>/tmp/cluster-env` and left running for the next run
//! (`tests/acceptance/env/down --state DIR` stops it). The scripts are found in
//! `$FLUX_TEST_ENV_DIR`, else in the repository's `tests/acceptance/env`.
//!
//! The tests share one cluster and change cluster-wide objects (CRDs), so they take a lock
//! and run one at a time.

// Test helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod apply;
mod connect;
mod hung;
mod secrets;
mod uninstall;
mod waits;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use flux_core::cluster::{
    git_secret_data, Cluster, ClusterError, ConnectionSpec, ExecSpec, GitCredentials,
    NamespaceOutcome, ObjectRef, ObserveSpec, Readiness, SecretOutcome, SecretSpec, SecretType,
    UninstallSpec, WaitRule, WaitTarget,
};
use flux_core::Sensitive;
use serde_json::{json, Value};

const NS: &str = "flux-system";
const COMPONENTS: [&str; 4] = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
];

// The harness the subject modules share.

struct Env {
    vars: HashMap<String, String>,
    scripts: PathBuf,
}

impl Env {
    fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("the test environment did not export {name}"))
    }

    fn kubeconfig(&self) -> PathBuf {
        PathBuf::from(self.var("KUBECONFIG"))
    }

    fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.var("FLUX_TEST_KUBE_CA_FILE")).unwrap()
    }

    fn state(&self) -> &str {
        self.var("FLUX_TEST_ENV_STATE")
    }

    /// Creates an empty repository on the git servers; returns its HTTP URL.
    fn new_repo(&self, name: &str) -> String {
        let unique = format!("{name}-{}", std::process::id());
        let out = Command::new(self.scripts.join("new-repo"))
            .args(["--state", self.state(), &unique, "--empty"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "new-repo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse_exports(&String::from_utf8_lossy(&out.stdout))
            .remove("FLUX_TEST_GIT_REPO_HTTP_URL")
            .expect("new-repo printed no FLUX_TEST_GIT_REPO_HTTP_URL")
    }
}

fn parse_exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|rest| rest.split_once('='))
        .map(|(k, v)| {
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .map(|v| v.replace("'\\''", "'"))
                .unwrap_or_else(|| v.trim_matches('"').to_owned());
            (k.to_owned(), v)
        })
        .collect()
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let scripts = std::env::var_os("FLUX_TEST_ENV_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root.join("tests/acceptance/env"));
        if std::env::var_os("KUBECONFIG").is_some() && std::env::var_os("FLUX_TEST_KUBE_HOST").is_some() {
            return Env { vars: std::env::vars().collect(), scripts };
        }
        let up = scripts.join("up");
        assert!(
            up.exists(),
            "{} is missing: the cluster tests need the test environment (tests/acceptance/env, run its `setup` once)",
            up.display()
        );
        // Not FLUX_TEST_STATE: the acceptance tests install Flux in that environment,
        // and these tests count what a first apply creates on an untouched cluster.
        let state = std::env::var("FLUX_TEST_CORE_STATE")
            .unwrap_or_else(|_| format!("{}/cluster-env", env!("CARGO_TARGET_TMPDIR")));
        let out = Command::new(&up).args(["--state", &state]).output().unwrap();
        assert!(
            out.status.success(),
            "{} failed: {}",
            up.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Env { vars: parse_exports(&String::from_utf8_lossy(&out.stdout)), scripts }
    })
}

/// The end of the logs of the environment's supervisor and of the controllers a wait
/// on Flux objects depends on, for the message of a test that timed out: CI keeps
/// nothing else of the environment.
fn controller_logs() -> String {
    let logs = Path::new(env().state()).join("logs");
    [
        "supervisor-default",
        "flux-default-source-controller",
        "flux-default-kustomize-controller",
    ]
    .iter()
    .map(|name| {
        let path = logs.join(format!("{name}.log"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| format!("({e})"));
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(25)..].join("\n");
        format!("--- {} (last 25 lines)\n{tail}", path.display())
    })
    .collect::<Vec<_>>()
    .join("\n")
}

/// One test at a time: they share cluster-wide objects.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn admin() -> Cluster {
    Cluster::new(ConnectionSpec {
        config_path: Some(env().kubeconfig()),
        ..ConnectionSpec::default()
    })
    .unwrap()
}

fn install_set() -> Vec<Value> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flux_cli/golden/install/default.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| <Value as serde::Deserialize>::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// Uninstalls and waits until the namespace is gone, so a test starts from a clean cluster.
async fn clean(cluster: &Cluster) {
    let spec = UninstallSpec {
        namespace: NS.into(),
        root_name: NS.into(),
        keep_namespace: false,
        drain: None,
    };
    cluster.uninstall(&spec).await.unwrap();
    wait_gone(cluster, &ObjectRef::new("v1", "Namespace", None, NS)).await;
}

async fn wait_gone(cluster: &Cluster, object: &ObjectRef) {
    for _ in 0..240 {
        if cluster.find_object(object).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{object} still exists after 60 s");
}

async fn install(cluster: &Cluster) {
    cluster.apply(&install_set()).await.unwrap();
    let targets: Vec<WaitTarget> = COMPONENTS
        .iter()
        .map(|c| WaitTarget {
            object: ObjectRef::new("apps/v1", "Deployment", Some(NS), c),
            rule: WaitRule::Kstatus,
        })
        .collect();
    cluster
        .wait_with_interval(
            &targets,
            Duration::from_secs(60),
            Duration::from_millis(500),
        )
        .await
        .unwrap();
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Pushes `files` as one commit to `main` of the repository; returns the commit id.
fn push_files(url: &str, files: &[(&str, &str)]) -> String {
    let env = env();
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    for (path, content) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "test"]);
    let authed = url.replacen(
        "://",
        &format!(
            "://{}:{}@",
            env.var("FLUX_TEST_GIT_USERNAME"),
            env.var("FLUX_TEST_GIT_PASSWORD")
        ),
        1,
    );
    git(
        dir.path(),
        &["push", "-q", "--force", &authed, "HEAD:refs/heads/main"],
    );
    git(dir.path(), &["rev-parse", "HEAD"])
}

fn git_credentials_secret() -> SecretSpec {
    let env = env();
    SecretSpec {
        namespace: NS.into(),
        name: NS.into(),
        secret_type: SecretType::Opaque,
        data: git_secret_data(&GitCredentials::Http {
            username: Some(env.var("FLUX_TEST_GIT_USERNAME").into()),
            password: Some(Sensitive::new(env.var("FLUX_TEST_GIT_PASSWORD").into())),
            bearer_token: None,
            ca_certificate: None,
        }),
        labels: Default::default(),
    }
}

fn sync_objects(url: &str, path: &str) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": NS, "namespace": NS},
            "spec": {"interval": "1m", "ref": {"branch": "main"}, "secretRef": {"name": NS}, "url": url}
        }),
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": NS, "namespace": NS},
            "spec": {"interval": "10m", "path": path, "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": NS}}
        }),
    ]
}

fn root_targets(revision: &str) -> Vec<WaitTarget> {
    ["GitRepository", "Kustomization"]
        .iter()
        .map(|kind| WaitTarget {
            object: ObjectRef::new(
                if *kind == "GitRepository" {
                    "source.toolkit.fluxcd.io/v1"
                } else {
                    "kustomize.toolkit.fluxcd.io/v1"
                },
                kind,
                Some(NS),
                NS,
            ),
            rule: WaitRule::Flux {
                expected_revision: Some(revision.to_owned()),
            },
        })
        .collect()
}

/// Installs, then syncs a repository holding `files` under `./cluster`; waits until ready.
async fn bootstrap(cluster: &Cluster, repo: &str, files: &[(&str, &str)]) -> String {
    install(cluster).await;
    let url = env().new_repo(repo);
    let sha = push_files(&url, files);
    cluster
        .ensure_secret(&git_credentials_secret())
        .await
        .unwrap();
    cluster
        .apply(&sync_objects(&url, "./cluster"))
        .await
        .unwrap();
    let revision = format!("main@sha1:{sha}");
    cluster
        .wait_with_interval(
            &root_targets(&revision),
            Duration::from_secs(120),
            Duration::from_millis(500),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", controller_logs()));
    revision
}

fn config_map(ns: &str, name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  k: v\n")
}

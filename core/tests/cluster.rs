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

// ---------------------------------------------------------------- harness

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
        .unwrap();
    revision
}

fn config_map(ns: &str, name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  k: v\n")
}

// ---------------------------------------------------------------- connection forms

async fn assert_reaches_server(spec: ConnectionSpec) {
    let cluster = Cluster::new(spec).unwrap();
    let client = cluster.client().await.unwrap();
    let version = client.apiserver_version().await.unwrap();
    assert!(
        version.git_version.starts_with("v1."),
        "{}",
        version.git_version
    );
    // And an authenticated request, not only /version.
    let ns = ObjectRef::new("v1", "Namespace", None, "default");
    assert!(cluster.find_object(&ns).await.unwrap().is_some());
}

#[tokio::test]
async fn connect_kubeconfig_path_with_client_certificate_reaches_server() {
    assert_reaches_server(ConnectionSpec {
        config_path: Some(env().kubeconfig()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_kubeconfig_paths_merged_with_context_override_reaches_server() {
    let dir = tempfile::tempdir().unwrap();
    // A first file whose current context points nowhere useful; the second file holds the
    // real entries and `config_context` selects them.
    let decoy = dir.path().join("decoy");
    std::fs::write(
        &decoy,
        "apiVersion: v1\nkind: Config\ncurrent-context: decoy\ncontexts:\n- name: decoy\n  context: {cluster: decoy, user: decoy}\nclusters:\n- name: decoy\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: decoy\n  user: {token: nope}\n",
    )
    .unwrap();
    let real: Value =
        serde_norway::from_str(&std::fs::read_to_string(env().kubeconfig()).unwrap()).unwrap();
    let context = real["current-context"].as_str().unwrap().to_owned();
    assert_reaches_server(ConnectionSpec {
        config_paths: vec![decoy, env().kubeconfig()],
        config_context: Some(context),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_host_token_and_ca_reaches_server() {
    let env = env();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        cluster_ca_certificate: Some(env.ca_pem()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_host_client_certificate_and_key_reaches_server() {
    let env = env();
    let kubeconfig: Value =
        serde_norway::from_str(&std::fs::read_to_string(env.kubeconfig()).unwrap()).unwrap();
    let user = &kubeconfig["users"][0]["user"];
    let pem = |data_key: &str, file_key: &str| -> String {
        match user[data_key].as_str() {
            Some(data) => String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
            .unwrap(),
            None => {
                let file = user[file_key].as_str().unwrap();
                let base = env.kubeconfig().parent().unwrap().to_path_buf();
                std::fs::read_to_string(base.join(file)).unwrap()
            }
        }
    };
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        client_certificate: Some(pem("client-certificate-data", "client-certificate")),
        client_key: Some(Sensitive::new(pem("client-key-data", "client-key"))),
        cluster_ca_certificate: Some(env.ca_pem()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_insecure_without_ca_reaches_server() {
    let env = env();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        insecure: Some(true),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_token_overrides_kubeconfig_user_and_wrong_token_is_unauthorized() {
    let env = env();
    let cluster = Cluster::new(ConnectionSpec {
        config_path: Some(PathBuf::from(env.var("FLUX_TEST_KUBECONFIG_TOKEN"))),
        token: Some(Sensitive::new("wrong-token".into())),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-token"));
}

#[tokio::test]
async fn connect_without_ca_fails_tls_verification() {
    let env = env();
    let cluster = Cluster::new(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}

#[tokio::test]
async fn connect_exec_plugin_token_reaches_server() {
    let env = env();
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("credential-plugin");
    // The token comes from the plugin's environment, as `exec.env` passes it.
    std::fs::write(
        &plugin,
        "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$PLUGIN_TOKEN\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        cluster_ca_certificate: Some(env.ca_pem()),
        exec: Some(ExecSpec {
            api_version: "client.authentication.k8s.io/v1".into(),
            command: plugin.display().to_string(),
            env: vec![(
                "PLUGIN_TOKEN".into(),
                Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into()),
            )],
            args: vec![],
        }),
        ..ConnectionSpec::default()
    })
    .await;
}

/// A minimal HTTP CONNECT proxy on loopback that counts the tunnels it opened.
async fn start_connect_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).await.unwrap();
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).await.unwrap();
                    if header == "\r\n" || header.is_empty() {
                        break;
                    }
                }
                let target = request_line.split_whitespace().nth(1).unwrap().to_owned();
                let mut upstream = tokio::net::TcpStream::connect(target).await.unwrap();
                let mut client = reader.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (format!("http://{address}"), tunnels)
}

#[tokio::test]
async fn connect_through_proxy_url_tunnels_requests() {
    let env = env();
    let (proxy, tunnels) = start_connect_proxy().await;
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        cluster_ca_certificate: Some(env.ca_pem()),
        proxy_url: Some(proxy),
        ..ConnectionSpec::default()
    })
    .await;
    assert!(tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn connect_is_lazy_until_the_first_operation() {
    // Neither the missing file nor the closed port matters until something is asked.
    let cluster = Cluster::new(ConnectionSpec {
        config_path: Some("/nonexistent/kubeconfig".into()),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster.client().await.err().unwrap();
    assert!(err.to_string().contains("/nonexistent/kubeconfig"), "{err}");

    let cluster = Cluster::new(ConnectionSpec {
        host: Some("https://127.0.0.1:1".into()),
        insecure: Some(true),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

// ---------------------------------------------------------------- apply

#[tokio::test]
async fn apply_fixture_install_set_creates_then_reapply_is_unchanged() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    let objects = install_set();
    assert_eq!(objects.len(), 32);

    let first = cluster.apply(&objects).await.unwrap();
    assert_eq!(first.created.len(), 32, "{first:?}");
    assert_eq!(first.created[0].kind, "CustomResourceDefinition");
    for object in &first.created {
        assert!(
            cluster.find_object(object).await.unwrap().is_some(),
            "{object} missing"
        );
    }

    let again = cluster.apply(&objects).await.unwrap();
    assert_eq!(again.unchanged.len(), 32, "{again:?}");

    // An outside edit is put back and reported as configured.
    let mut edited = objects.clone();
    let deployment = edited
        .iter_mut()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "helm-controller")
        .unwrap();
    deployment["metadata"]["labels"]["test-edit"] = json!("1");
    let changed = cluster.apply(&edited).await.unwrap();
    assert_eq!(changed.configured.len(), 1, "{changed:?}");
    assert_eq!(changed.configured[0].name, "helm-controller");
}

/// A watch from a version read earlier replays every later version in order, also the
/// ones overwritten before anybody read them, and stops at the object's deletion.
#[tokio::test]
async fn watch_object_replays_every_version_after_the_one_read() {
    let cluster = admin();
    let object = ObjectRef::new("v1", "ConfigMap", Some("default"), "history-test");
    let _ = cluster.delete_object(&object).await.unwrap();
    wait_gone(&cluster, &object).await;
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "history-test", "namespace": "default"},
        "data": {"step": "0"},
    });
    cluster.apply(&[config_map]).await.unwrap();
    let read = cluster.find_object(&object).await.unwrap().unwrap();
    let version = read["metadata"]["resourceVersion"].as_str().unwrap();
    for step in 1..=3 {
        let patch = json!({"data": {"step": step.to_string()}});
        assert!(cluster.merge_patch(&object, &patch).await.unwrap());
    }
    let mut history = cluster.watch_object(&object, version).await.unwrap();
    let mut steps = Vec::new();
    for _ in 0..100 {
        steps.extend(
            history
                .take()
                .await
                .iter()
                .map(|v| v["data"]["step"].as_str().unwrap().to_string()),
        );
        if steps.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(steps, ["1", "2", "3"]);
    assert!(history.complete());

    assert!(cluster.delete_object(&object).await.unwrap());
    for _ in 0..100 {
        if !history.complete() {
            break;
        }
        assert!(history.take().await.is_empty());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!history.complete(), "the deletion did not end the history");
}

#[tokio::test]
async fn apply_unknown_kind_fails_naming_kind_and_changes_nothing_before() {
    let _serial = serial().await;
    let cluster = admin();
    let err = cluster
        .apply(&[
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
            json!({"apiVersion": "v1", "metadata": {"name": "no-kind"}}),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("kind"), "{err}");
    assert!(cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "x"))
        .await
        .unwrap()
        .is_none());

    let err = cluster
        .apply(&[json!({"apiVersion": "example.invalid/v1", "kind": "Nope", "metadata": {"name": "a", "namespace": "default"}})])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Nope"), "{err}");
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn ensure_secret_rotation_reaches_cluster_and_same_content_is_unchanged() {
    let _serial = serial().await;
    let cluster = admin();
    let ns = "secret-rotation";
    cluster
        .apply(&[json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})])
        .await
        .unwrap();
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(cluster.client().await.unwrap(), ns);
    let _ = api.delete("git", &Default::default()).await;

    let spec = |password: &str, ssh: bool| SecretSpec {
        namespace: ns.into(),
        name: "git".into(),
        secret_type: SecretType::Opaque,
        data: if ssh {
            git_secret_data(&GitCredentials::Ssh {
                identity: Sensitive::new("-----BEGIN PRIVATE KEY-----\nx\n".into()),
                identity_pub: "ssh-ed25519 AAAA".into(),
                known_hosts: "host ssh-ed25519 AAAA".into(),
                password: None,
            })
        } else {
            git_secret_data(&GitCredentials::Http {
                username: Some("git".into()),
                password: Some(Sensitive::new(password.into())),
                bearer_token: None,
                ca_certificate: None,
            })
        },
        labels: Default::default(),
    };
    assert_eq!(
        cluster.ensure_secret(&spec("one", false)).await.unwrap(),
        SecretOutcome::Created
    );
    let first = cluster
        .find_secret_fingerprint(ns, "git")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, spec("one", false).data.fingerprint());
    assert_eq!(
        cluster.ensure_secret(&spec("one", false)).await.unwrap(),
        SecretOutcome::Unchanged
    );

    // TPF #596/#566: a rotated password reaches the cluster.
    assert_eq!(
        cluster.ensure_secret(&spec("two", false)).await.unwrap(),
        SecretOutcome::Updated
    );
    let live = api.get("git").await.unwrap();
    let data = live.data.unwrap();
    assert_eq!(data["password"].0, b"two");
    assert_ne!(
        cluster
            .find_secret_fingerprint(ns, "git")
            .await
            .unwrap()
            .unwrap(),
        first
    );

    // Switching transport leaves no stale key behind.
    assert_eq!(
        cluster.ensure_secret(&spec("", true)).await.unwrap(),
        SecretOutcome::Updated
    );
    let live = api.get("git").await.unwrap();
    let keys: Vec<_> = live.data.unwrap().into_keys().collect();
    assert_eq!(keys, vec!["identity", "identity.pub", "known_hosts"]);
}

#[tokio::test]
async fn ensure_secret_image_pull_secret_has_dockerconfigjson_type() {
    let _serial = serial().await;
    let cluster = admin();
    let ns = "secret-pull";
    cluster
        .apply(&[json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})])
        .await
        .unwrap();
    let spec = SecretSpec {
        namespace: ns.into(),
        name: "pull".into(),
        secret_type: SecretType::DockerConfigJson,
        data: flux_core::cluster::image_pull_secret_data(
            "ghcr.io",
            "bot",
            &Sensitive::new("pw".into()),
        )
        .unwrap(),
        labels: Default::default(),
    };
    let outcome = cluster.ensure_secret(&spec).await.unwrap();
    assert_ne!(outcome, SecretOutcome::Updated);
    let live = cluster
        .find_object(&ObjectRef::new("v1", "Secret", Some(ns), "pull"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        cluster.ensure_secret(&spec).await.unwrap(),
        SecretOutcome::Unchanged
    );
}

// ---------------------------------------------------------------- waits and drift

#[tokio::test]
async fn wait_root_objects_reach_pushed_revision_through_real_controllers_and_drift_is_read() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    let revision = bootstrap(
        &cluster,
        "ready",
        &[("cluster/cm.yaml", &config_map("default", "synced-by-flux"))],
    )
    .await;
    // The real kustomize-controller applied the pushed manifest.
    assert!(cluster
        .find_object(&ObjectRef::new(
            "v1",
            "ConfigMap",
            Some("default"),
            "synced-by-flux"
        ))
        .await
        .unwrap()
        .is_some());

    let spec = ObserveSpec {
        namespace: NS.into(),
        root_name: NS.into(),
        components: COMPONENTS.iter().map(|c| c.to_string()).collect(),
        secret_name: Some(NS.into()),
        expected_revision: Some(revision.clone()),
    };
    let seen = cluster.observe(&spec).await.unwrap();
    assert_eq!(
        seen.git_repository.as_ref().unwrap().readiness,
        Readiness::Current
    );
    assert_eq!(
        seen.kustomization.as_ref().unwrap().revision.as_deref(),
        Some(revision.as_str())
    );
    assert_eq!(seen.flux_version.as_deref(), Some("v2.9.4"));
    assert_eq!(
        seen.secret_fingerprint,
        Some(git_credentials_secret().data.fingerprint())
    );
    assert!(
        seen.components
            .iter()
            .all(|c| c.present && c.readiness.is_current()),
        "{:?}",
        seen.components
    );

    // Outside changes: an image edited, the GitRepository deleted.
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(cluster.client().await.unwrap(), NS);
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "manager", "image": "example.invalid/edited:v0"}]}}}});
    deployments
        .patch(
            "source-controller",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(&patch),
        )
        .await
        .unwrap();
    let git_repository =
        ObjectRef::new("source.toolkit.fluxcd.io/v1", "GitRepository", Some(NS), NS);
    // source-controller runs its finalizer, so the delete completes.
    cluster.delete_object(&git_repository).await.unwrap();
    wait_gone(&cluster, &git_repository).await;
    let seen = cluster.observe(&spec).await.unwrap();
    assert!(seen.git_repository.is_none());
    let source = seen
        .components
        .iter()
        .find(|c| c.name == "source-controller")
        .unwrap();
    assert_eq!(source.images, vec!["example.invalid/edited:v0"]);
}

#[tokio::test]
async fn wait_ready_false_fails_at_once_with_the_object_message() {
    let _serial = serial().await;
    let cluster = admin();
    install(&cluster).await;
    let missing = format!("{}/does-not-exist.git", env().var("FLUX_TEST_GIT_HTTP_URL"));
    let broken = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "broken", "namespace": NS},
        "spec": {"interval": "1m", "ref": {"branch": "main"}, "url": missing, "timeout": "10s"}
    });
    cluster.apply(&[broken]).await.unwrap();
    let started = std::time::Instant::now();
    let err = cluster
        .wait_with_interval(
            &[WaitTarget {
                object: ObjectRef::new(
                    "source.toolkit.fluxcd.io/v1",
                    "GitRepository",
                    Some(NS),
                    "broken",
                ),
                rule: WaitRule::Flux {
                    expected_revision: None,
                },
            }],
            Duration::from_secs(120),
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ClusterError::Failed { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // The message is source-controller's own, which names the failing fetch.
    let text = err.to_string();
    assert!(
        text.contains("GitRepository/flux-system/broken failed:"),
        "{text}"
    );
    assert!(
        text.len() > "GitRepository/flux-system/broken failed: ".len() + 5,
        "{text}"
    );
}

#[tokio::test]
async fn wait_timeout_lists_objects_still_not_ready() {
    let _serial = serial().await;
    let cluster = admin();
    let started = std::time::Instant::now();
    let err = cluster
        .wait_with_interval(
            &[
                WaitTarget {
                    object: ObjectRef::new(
                        "apps/v1",
                        "Deployment",
                        Some("default"),
                        "never-created",
                    ),
                    rule: WaitRule::Kstatus,
                },
                WaitTarget {
                    object: ObjectRef::new("v1", "Namespace", None, "default"),
                    rule: WaitRule::Kstatus,
                },
            ],
            Duration::from_secs(2),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = err.to_string();
    assert!(
        text.contains("Deployment/default/never-created (not found)"),
        "{text}"
    );
    assert!(!text.contains("Namespace/default"), "{text}");
}

// ---------------------------------------------------------------- uninstall

#[tokio::test]
async fn uninstall_twice_succeeds_and_second_run_finds_nothing() {
    let _serial = serial().await;
    let cluster = admin();
    install(&cluster).await;
    // A Flux object with a finalizer that no controller will remove would block the CRD
    // deletion if the uninstall did not strip it.
    cluster
        .apply(&[json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "held", "namespace": "default", "finalizers": ["test.invalid/hold"]},
            "spec": {"interval": "1m", "url": "http://127.0.0.1:1/x.git", "suspend": true}
        })])
        .await
        .unwrap();
    let spec = UninstallSpec {
        namespace: NS.into(),
        root_name: NS.into(),
        keep_namespace: false,
        drain: None,
    };
    let first = cluster.uninstall(&spec).await.unwrap();
    assert_eq!(first.namespace, NamespaceOutcome::Deleted);
    assert!(first
        .deleted
        .iter()
        .any(|o| o.kind == "CustomResourceDefinition"));
    assert!(first.deleted.iter().any(|o| o.kind == "Deployment"));
    assert!(
        first.finalizers_removed.iter().any(|o| o.name == "held"),
        "{first:?}"
    );
    wait_gone(&cluster, &ObjectRef::new("v1", "Namespace", None, NS)).await;
    wait_gone(
        &cluster,
        &ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "gitrepositories.source.toolkit.fluxcd.io",
        ),
    )
    .await;

    // TPF #500: already gone is success.
    let second = cluster.uninstall(&spec).await.unwrap();
    assert_eq!(second.namespace, NamespaceOutcome::AlreadyGone);
    assert!(second.deleted.is_empty(), "{second:?}");
}

#[tokio::test]
async fn uninstall_with_drain_deletes_what_flux_deployed() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    // The root syncs an app Kustomization, which deploys a ConfigMap in its own namespace.
    let app = format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: {NS}\nspec:\n  interval: 10m\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: {NS}\n"
    );
    let app_ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: drain-app\n";
    bootstrap(
        &cluster,
        "drain",
        &[
            ("cluster/app.yaml", &app),
            ("cluster/ns.yaml", app_ns),
            ("app/cm.yaml", &config_map("drain-app", "deployed-by-app")),
        ],
    )
    .await;
    let deployed = ObjectRef::new("v1", "ConfigMap", Some("drain-app"), "deployed-by-app");
    for _ in 0..120 {
        if cluster.find_object(&deployed).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        cluster.find_object(&deployed).await.unwrap().is_some(),
        "the app was never deployed"
    );

    let outcome = cluster
        .uninstall(&UninstallSpec {
            namespace: NS.into(),
            root_name: NS.into(),
            keep_namespace: false,
            drain: Some(Duration::from_secs(60)),
        })
        .await
        .unwrap();
    assert!(
        outcome.drained.iter().any(|o| o.name == "app"),
        "{outcome:?}"
    );
    assert!(
        cluster.find_object(&deployed).await.unwrap().is_none(),
        "the drain left {deployed}"
    );
    wait_gone(&cluster, &ObjectRef::new("v1", "Namespace", None, NS)).await;
}

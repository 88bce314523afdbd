//! kubectl against the environment's clusters: reads of objects, the root Flux
//! objects of a bootstrap, Flux CRDs from the built-in manifests, and manifests
//! to deliver.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::PathBuf;
use std::process::Command;

use crate::fixture::var;

/// `kubectl ARGS` against the cluster of `kubeconfig`: stdout, or the failure's stderr.
pub fn try_kubectl_at(kubeconfig: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap_or_else(|e| panic!("kubectl {args:?}: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `kubectl ARGS` against the first cluster: stdout, or the failure's stderr.
pub fn try_kubectl(args: &[&str]) -> Result<String, String> {
    try_kubectl_at(&var("KUBECONFIG"), args)
}

/// `kubectl ARGS` against the cluster of `kubeconfig`, which must succeed.
pub fn kubectl_at(kubeconfig: &str, args: &[&str]) -> String {
    try_kubectl_at(kubeconfig, args).unwrap_or_else(|e| panic!("kubectl {args:?} failed: {e}"))
}

/// `kubectl ARGS` against the first cluster, which must succeed.
pub fn kubectl(args: &[&str]) -> String {
    kubectl_at(&var("KUBECONFIG"), args)
}

/// Whether `kubectl get ARGS` finds the object (any failure counts as not found).
pub fn object_exists(kubeconfig: &str, args: &[&str]) -> bool {
    let mut get = vec!["get"];
    get.extend_from_slice(args);
    try_kubectl_at(kubeconfig, &get).is_ok()
}

/// Holds an object's deletion with a finalizer of the tests (`hold`), or releases it:
/// deleted while held, the object stays terminating, as one does while a controller
/// finishes its cleanup.
pub fn hold_deletion_at(kubeconfig: &str, kind: &str, name: &str, hold: bool) {
    let finalizers = if hold {
        r#"["flux.test/hold"]"#
    } else {
        "null"
    };
    let patch = format!(r#"{{"metadata":{{"finalizers":{finalizers}}}}}"#);
    kubectl_at(
        kubeconfig,
        &["patch", kind, name, "--type", "merge", "-p", &patch],
    );
}

/// A field of an object on the first cluster by a kubectl JSONPath; `None` when the
/// object is not there.
pub fn jsonpath(kind: &str, namespace: &str, name: &str, path: &str) -> Option<String> {
    jsonpath_at(&var("KUBECONFIG"), kind, namespace, name, path)
}

/// A field of an object on the cluster of `kubeconfig` by a kubectl JSONPath; `None`
/// when the object is not there.
pub fn jsonpath_at(
    kubeconfig: &str,
    kind: &str,
    namespace: &str,
    name: &str,
    path: &str,
) -> Option<String> {
    try_kubectl_at(
        kubeconfig,
        &[
            "-n",
            namespace,
            "get",
            kind,
            name,
            "-o",
            &format!("jsonpath={path}"),
        ],
    )
    .ok()
}

/// The phase of a namespace on the cluster of `kubeconfig` (`Active`, `Terminating`);
/// `None` when it is not there.
pub fn namespace_phase_at(kubeconfig: &str, name: &str) -> Option<String> {
    jsonpath_at(kubeconfig, "namespace", "", name, "{.status.phase}")
}

/// A field of the root Kustomization (`flux-system/flux-system`) of the first cluster.
pub fn root_kustomization(path: &str) -> String {
    root_object("kustomization", path)
}

/// A field of the root GitRepository (`flux-system/flux-system`) of the first cluster.
pub fn root_git_repository(path: &str) -> String {
    root_object("gitrepository", path)
}

fn root_object(kind: &str, path: &str) -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        kind,
        "flux-system",
        "-o",
        &format!("jsonpath={path}"),
    ])
}

/// Asks source-controller to fetch the root GitRepository now (the reconcile
/// annotation, as `flux reconcile source git` sets it).
pub fn request_root_fetch() {
    request_root_fetch_at(&var("KUBECONFIG"));
}

/// [`request_root_fetch`] on the cluster of `kubeconfig`.
pub fn request_root_fetch_at(kubeconfig: &str) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    kubectl_at(
        kubeconfig,
        &[
            "-n",
            "flux-system",
            "annotate",
            "--overwrite",
            "gitrepository",
            "flux-system",
            &format!("reconcile.fluxcd.io/requestedAt={stamp}"),
        ],
    );
}

/// One file of the built-in Flux manifests (`source-controller.yaml`, ...).
pub fn flux_manifest(name: &str) -> PathBuf {
    crate::terraform::workspace_root()
        .join("core/flux-manifests/v2.9.4")
        .join(name)
}

/// Applies the CustomResourceDefinitions of the built-in Flux manifests `files`
/// server-side and waits until they are Established; the environment starts the
/// controllers once their CRDs exist.
pub fn apply_flux_crds(files: &[&str]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut crds = String::new();
    for file in files {
        let text = std::fs::read_to_string(flux_manifest(file))
            .unwrap_or_else(|e| panic!("read fixture {file}: {e}"));
        for doc in text.split("\n---") {
            if doc.contains("\nkind: CustomResourceDefinition") {
                crds.push_str("---\n");
                crds.push_str(doc.trim_start_matches('\n'));
                crds.push('\n');
            }
        }
    }
    let path = dir.path().join("crds.yaml");
    std::fs::write(&path, crds).unwrap_or_else(|e| panic!("{e}"));
    let path = path.to_string_lossy().into_owned();
    kubectl(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=flux-acceptance-objects",
        "-f",
        &path,
    ]);
    kubectl(&[
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "-f",
        &path,
    ]);
}

/// A ConfigMap manifest with one `value` key.
pub fn configmap(namespace: &str, name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  value: {value:?}\n"
    )
}

//! Install renders for non-default option sets against `kubectl kustomize` running a
//! kustomization built the way Flux's install generator builds its own (namespace, labels,
//! RBAC under a name suffix, Deployment patches, argument replaces, images).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use flux_core::manifests::{
    parse_documents, render_install, BaseManifests, Component, InstallOptions, InstallSpec,
    ObjectRef,
};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/flux-manifests/v2.9.4")
}

/// Writes the generator's kustomization for `options` into `dir`.
fn write_generator_kustomization(dir: &Path, options: &InstallOptions) {
    let ns = &options.namespace;
    let mut components: Vec<String> = options.components.clone();
    components.extend(options.components_extra.iter().cloned());
    let has = |c: &str| components.iter().any(|x| x == c);
    for c in &components {
        std::fs::copy(
            fixture_dir().join(format!("{c}.yaml")),
            dir.join(format!("{c}.yaml")),
        )
        .unwrap();
    }
    std::fs::copy(
        fixture_dir().join("policies.yaml"),
        dir.join("policies.yaml"),
    )
    .unwrap();
    std::fs::create_dir(dir.join("roles")).unwrap();
    let rbac = std::fs::read_to_string(fixture_dir().join("rbac.yaml")).unwrap();
    std::fs::write(dir.join("roles/rbac.yaml"), rbac.replace("flux-system", ns)).unwrap();
    std::fs::write(
        dir.join("roles/kustomization.yaml"),
        format!("namespace: {ns}\nnameSuffix: -{ns}\nresources:\n- rbac.yaml\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("namespace.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: latest\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("labels.yaml"),
        format!(
            "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: labels\nlabels:\n  app.kubernetes.io/instance: {ns}\n  app.kubernetes.io/part-of: flux\n  app.kubernetes.io/version: {}\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- path: spec/template/metadata/labels\n  create: true\n  kind: Deployment\n",
            options.version
        ),
    )
    .unwrap();

    let mut k = format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\ntransformers:\n- labels.yaml\nresources:\n- namespace.yaml\n");
    if options.network_policy {
        k.push_str("- policies.yaml\n");
    }
    k.push_str("- roles\n");
    for c in &components {
        let _ = writeln!(k, "- {c}.yaml");
    }
    k.push_str("patches:\n- target:\n    kind: Deployment\n  patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: all\n    spec:\n      template:\n        spec:\n          nodeSelector:\n            kubernetes.io/os: linux\n");
    if let Some(secret) = &options.image_pull_secret {
        let _ = write!(
            k,
            "          imagePullSecrets:\n          - name: {secret}\n"
        );
    }
    if !options.toleration_keys.is_empty() {
        k.push_str("          tolerations:\n");
        for key in &options.toleration_keys {
            let _ = write!(k, "          - key: {key}\n            operator: Exists\n");
        }
    }
    let events = if has("notification-controller") {
        format!(
            "http://notification-controller.$(RUNTIME_NAMESPACE).svc.{}./",
            options.cluster_domain
        )
    } else {
        String::new()
    };
    let watch = format!("--watch-all-namespaces={}", options.watch_all_namespaces);
    let log = format!("--log-level={}", options.log_level);
    for c in &components {
        let mut ops: Vec<(String, &str, String)> = Vec::new();
        let arg = |i: usize| format!("/spec/template/spec/containers/0/args/{i}");
        if c == "notification-controller" {
            ops.push((arg(0), "replace", watch.clone()));
            ops.push((arg(1), "replace", log.clone()));
        } else {
            ops.push((arg(0), "replace", format!("--events-addr={events}")));
            ops.push((arg(1), "replace", watch.clone()));
            ops.push((arg(2), "replace", log.clone()));
        }
        if c == "source-controller" || c == "source-watcher" {
            ops.push((
                arg(6),
                "replace",
                format!(
                    "--storage-adv-addr={c}.$(RUNTIME_NAMESPACE).svc.{}.",
                    options.cluster_domain
                ),
            ));
        }
        if has("source-watcher") && (c == "kustomize-controller" || c == "helm-controller") {
            ops.push((
                "/spec/template/spec/containers/0/args/-".into(),
                "add",
                "--feature-gates=ExternalArtifact=true".into(),
            ));
        }
        let _ = write!(
            k,
            "- target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: {c}\n  patch: |\n"
        );
        for (path, op, value) in ops {
            let _ = write!(
                k,
                "    - op: {op}\n      path: {path}\n      value: \"{value}\"\n"
            );
        }
    }
    if !options.registry.is_empty() {
        k.push_str("images:\n");
        for c in &components {
            let _ = write!(
                k,
                "- name: fluxcd/{c}\n  newName: {}/{c}\n",
                options.registry
            );
        }
    }
    std::fs::write(dir.join("kustomization.yaml"), k).unwrap();
}

fn by_id(objects: Vec<Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .map(|o| (ObjectRef::from_object(&o).unwrap().id(), o))
        .collect()
}

fn check(options: InstallOptions) {
    let dir = tempfile::tempdir().unwrap();
    write_generator_kustomization(dir.path(), &options);
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path())
        .output()
        .expect("kubectl (with kustomize v5) must be installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs = by_id(parse_documents(&String::from_utf8_lossy(&output.stdout)).unwrap());
    let spec = InstallSpec::from_options(options).unwrap();
    let base = BaseManifests::embedded().unwrap();
    let rendered = render_install(&spec, &base).unwrap();
    // The text is what gets written; it must read back to the same objects.
    assert_eq!(parse_documents(&rendered.text).unwrap(), rendered.objects);
    let ours = by_id(rendered.objects);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (id, object) in &ours {
        assert_eq!(object, &theirs[id], "{id} differs from kustomize's");
    }
}

#[test]
fn render_install_every_option_changed_equals_kustomize() {
    check(InstallOptions {
        namespace: "gitops-system".into(),
        components_extra: Component::EXTRAS.iter().map(|c| c.name().into()).collect(),
        registry: "registry.example.com:5000/mirror".into(),
        image_pull_secret: Some("regcred".into()),
        toleration_keys: vec!["dedicated".into(), "flux.io_infra".into()],
        watch_all_namespaces: false,
        network_policy: false,
        log_level: "debug".into(),
        cluster_domain: "k8s.internal".into(),
        version: "v2.9.0".into(),
        ..InstallOptions::default()
    });
}

#[test]
fn render_install_without_notification_controller_equals_kustomize() {
    check(InstallOptions {
        components: vec!["source-controller".into(), "kustomize-controller".into()],
        components_extra: vec!["source-watcher".into()],
        registry: String::new(),
        log_level: "error".into(),
        version: "latest".into(),
        ..InstallOptions::default()
    });
}

#[test]
fn render_install_image_automation_in_custom_namespace_equals_kustomize() {
    check(InstallOptions {
        namespace: "flux".into(),
        components: vec![
            "source-controller".into(),
            "kustomize-controller".into(),
            "helm-controller".into(),
        ],
        components_extra: vec![
            "image-reflector-controller".into(),
            "image-automation-controller".into(),
        ],
        ..InstallOptions::default()
    });
}

//! The override engine against `kubectl kustomize` (kustomize v5) over the same inputs.
//!
//! Each file of `testdata/manifests/overrides/` is a `kustomization.yaml` whose resources
//! are the two gotk files. The test writes the gotk files next to it, runs
//! `kubectl kustomize`, and compares its objects with [`apply_override`]'s, key for key,
//! then each object's YAML text byte for byte. kustomize re-sorts objects, so they are
//! matched by identity.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use flux_core::manifests::{
    apply_override, parse_documents, render_install, render_sync, write_documents, BaseManifests,
    InstallOptions, InstallSpec, ManifestError, ObjectRef, Override, SyncOptions, SyncSpec,
};
use serde_json::Value;

struct Inputs {
    components: String,
    sync: String,
    objects: Vec<Value>,
}

/// The install with all seven components, or the four defaults (cases named
/// `*-default-components`, where some RBAC subjects name absent ServiceAccounts).
fn inputs_for(all_components: bool) -> Inputs {
    let base = BaseManifests::embedded().unwrap();
    let extras = if all_components {
        vec![
            "image-reflector-controller".into(),
            "image-automation-controller".into(),
            "source-watcher".into(),
        ]
    } else {
        Vec::new()
    };
    let install = InstallSpec::from_options(InstallOptions {
        components_extra: extras,
        ..InstallOptions::default()
    })
    .unwrap();
    let install = render_install(&install, &base).unwrap();
    let sync = SyncSpec::from_options(SyncOptions {
        url: "ssh://git@git.example.com/org/fleet".into(),
        path: "clusters/dev".into(),
        ..SyncOptions::default()
    })
    .unwrap();
    let sync = render_sync(&sync);
    let mut objects = install.objects;
    objects.extend(sync.objects);
    Inputs {
        components: install.text,
        sync: sync.text,
        objects,
    }
}

fn inputs() -> Inputs {
    inputs_for(true)
}

fn by_id(objects: Vec<Value>) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for object in objects {
        let id = ObjectRef::from_object(&object).unwrap().id();
        assert!(map.insert(id.clone(), object).is_none(), "duplicate {id}");
    }
    map
}

/// kustomize's output split into one text per object, keyed by identity.
fn texts_by_id(stream: &str) -> BTreeMap<String, String> {
    stream
        .split("\n---\n")
        .map(|doc| {
            let text = format!("{}\n", doc.trim_end_matches('\n'));
            let object = parse_documents(&text).unwrap().remove(0);
            (ObjectRef::from_object(&object).unwrap().id(), text)
        })
        .collect()
}

fn kubectl_kustomize_text(dir: &Path) -> Result<String, String> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run kubectl (install kubectl with kustomize v5): {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/manifests/overrides");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn diff(ours: &BTreeMap<String, Value>, theirs: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for id in ours.keys().chain(theirs.keys()) {
        match (ours.get(id), theirs.get(id)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => out.push(format!(
                "{id}:\n  ours:      {}\n  kustomize: {}",
                serde_json::to_string(a).unwrap(),
                serde_json::to_string(b).unwrap()
            )),
            (Some(_), None) => out.push(format!("{id}: only ours")),
            (None, Some(_)) => out.push(format!("{id}: only kustomize's")),
            (None, None) => {}
        }
    }
    out.dedup();
    out
}

#[test]
fn apply_override_corpus_equals_kubectl_kustomize() {
    let all = inputs_for(true);
    let defaults = inputs_for(false);
    let cases = corpus();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let inputs = if name.ends_with("default-components") {
            &defaults
        } else {
            &all
        };
        let text = std::fs::read_to_string(case).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gotk-components.yaml"), &inputs.components).unwrap();
        std::fs::write(dir.path().join("gotk-sync.yaml"), &inputs.sync).unwrap();
        std::fs::write(dir.path().join("kustomization.yaml"), &text).unwrap();
        let their_text = match kubectl_kustomize_text(dir.path()) {
            Ok(text) => text,
            Err(e) => {
                failures.push(format!("{name}: kubectl kustomize failed: {e}"));
                continue;
            }
        };
        let theirs = by_id(parse_documents(&their_text).unwrap());
        let over = match Override::parse(&text) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: parse failed: {e}"));
                continue;
            }
        };
        let ours = match apply_override(inputs.objects.clone(), &over) {
            Ok(objects) => by_id(objects),
            Err(e) => {
                failures.push(format!("{name}: apply failed: {e}"));
                continue;
            }
        };
        let differences = diff(&ours, &theirs);
        if !differences.is_empty() {
            failures.push(format!("{name}:\n{}", differences.join("\n")));
            continue;
        }
        // Same bytes per object as kustomize writes them.
        let their_texts = texts_by_id(&their_text);
        for (id, object) in &ours {
            let text = write_documents(std::slice::from_ref(object));
            if their_texts.get(id) != Some(&text) {
                failures.push(format!(
                    "{name}: {id} text differs:\nours:\n{text}\nkustomize:\n{}",
                    their_texts.get(id).cloned().unwrap_or_default()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from kubectl kustomize:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn parse_err(text: &str) -> ManifestError {
    Override::parse(text).unwrap_err()
}

const RESOURCES: &str = "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n";

#[test]
fn override_without_the_gotk_files_names_resources() {
    let err = parse_err("resources:\n- gotk-components.yaml\n");
    assert_eq!(
        err.to_string(),
        "kustomization_override: resources must include gotk-sync.yaml"
    );
    assert_eq!(err.option(), Some("kustomization_override"));
    let err = parse_err("namespace: x\n");
    assert!(err.to_string().contains("resources must list"), "{err}");
}

#[test]
fn override_invalid_yaml_is_a_yaml_error() {
    let err = parse_err("resources: [gotk-components.yaml\n");
    assert!(matches!(err, ManifestError::Yaml { .. }), "{err}");
    assert_eq!(err.to_string(), "kustomization_override is not valid YAML");
    assert_eq!(err.option(), Some("kustomization_override"));
}

#[test]
fn override_fields_only_kustomize_builds_are_deferred_not_refused() {
    for (text, field) in [
        (
            "configMapGenerator:\n- name: a\n  literals: [a=b]\n",
            "configMapGenerator",
        ),
        ("namePrefix: x-\n", "namePrefix"),
        ("components: [../extra]\n", "components"),
        (
            "patches:\n- path: patch.yaml\n  target: {kind: Deployment}\n",
            "patches[0].path",
        ),
        (
            "labels:\n- pairs: {a: b}\n  fields: [{path: spec/x}]\n",
            "labels[0].fields",
        ),
        (
            "patchesStrategicMerge:\n- patch.yaml\n",
            "patchesStrategicMerge[0]",
        ),
        (
            "patchesJson6902:\n- path: ops.yaml\n  target: {kind: Deployment}\n",
            "patchesJson6902[0].path",
        ),
    ] {
        let over = Override::parse(&format!("{RESOURCES}{text}"))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(over.deferred(), [field.to_string()], "{text}");
        let err = apply_override(inputs().objects, &over).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("kustomization_override: {field} can only be built by kustomize")
        );
    }
    let over = Override::parse(&format!("{RESOURCES}- ./other.yaml\n- ../apps\n")).unwrap();
    assert_eq!(over.deferred(), ["resources[2]", "resources[3]"]);
    // Empty fields are what kustomize ignores.
    let over = Override::parse(&format!("{RESOURCES}namePrefix: ''\ncomponents: []\n")).unwrap();
    assert!(over.deferred().is_empty(), "{:?}", over.deferred());
}

#[test]
fn override_fields_kustomize_does_not_know_are_named() {
    for (text, field) in [
        ("patchesJson: []\n", "patchesJson"),
        (
            "patches:\n- patch: 'metadata: {name: a}'\n  target: {kind: A, foo: b}\n",
            "patches[0].target.foo",
        ),
        (
            "replicas:\n- name: a\n  replicas: 2\n",
            "replicas[0].replicas",
        ),
    ] {
        let err = parse_err(&format!("{RESOURCES}{text}"));
        assert_eq!(
            err.to_string(),
            format!("kustomization_override: {field} is not a field of a kustomize Kustomization"),
            "{text}"
        );
        assert_eq!(err.option(), Some("kustomization_override"));
    }
}

#[test]
fn replicas_naming_no_workload_is_an_error_at_apply() {
    let over = Override::parse(&format!(
        "{RESOURCES}replicas:\n- name: flux-system\n  count: 2\n"
    ))
    .unwrap();
    let err = apply_override(inputs().objects, &over).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "kustomization_override: replicas[0] names flux-system, which is no Deployment"
        ),
        "{err}"
    );
}

#[test]
fn override_bad_values_name_the_field() {
    for (text, field) in [
        (
            "patches:\n- patch: |\n    - op: add\n      path: /a\n      value: 1\n",
            "patches[0].target",
        ),
        (
            "patches:\n- target: {kind: Deployment}\n",
            "patches[0].patch",
        ),
        (
            "patches:\n- patch: '[{\"op\": \"jump\"}]'\n  target: {kind: A}\n",
            "patches[0].patch",
        ),
        (
            "patches:\n- patch: 'a: b'\n  target: {name: '(unclosed'}\n",
            "patches[0].target.name",
        ),
        (
            "patches:\n- patch: 'a: b'\n  target: {labelSelector: 'a in b'}\n",
            "patches[0].target.labelSelector",
        ),
        ("commonLabels:\n  version: 2\n", "commonLabels.version"),
        ("namespace: Not_A_Label\n", "namespace"),
        ("images:\n- newTag: v1\n", "images[0].name"),
        ("kind: Component\n", "kind"),
        ("replicas:\n- count: 1\n", "replicas[0].name"),
        ("replicas:\n- name: a\n  count: -1\n", "replicas[0].count"),
        ("replicas:\n- name: a\n  count: '2'\n", "replicas[0].count"),
    ] {
        let err = parse_err(&format!("{RESOURCES}{text}"));
        assert!(
            err.to_string()
                .starts_with(&format!("kustomization_override: {field} ")),
            "{text}: {err}"
        );
        assert_eq!(err.option(), Some("kustomization_override"));
    }
}

#[test]
fn apply_override_patch_without_a_match_names_the_patch() {
    let over = Override::parse(&format!(
        "{RESOURCES}patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: nope\n      namespace: flux-system\n"
    ))
    .unwrap();
    let err = apply_override(inputs().objects, &over).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("kustomization_override: patches[0].patch matches no object"),
        "{err}"
    );
    let over = Override::parse(&format!(
        "{RESOURCES}patches:\n- patch: '[{{\"op\": \"remove\", \"path\": \"/spec/nothing\"}}]'\n  target: {{kind: GitRepository}}\n"
    ))
    .unwrap();
    let err = apply_override(inputs().objects, &over).unwrap_err();
    assert!(
        err.to_string().starts_with("kustomization_override: patches[0] does not apply to source.toolkit.fluxcd.io/v1/GitRepository/flux-system/flux-system"),
        "{err}"
    );
}

#[test]
fn override_patch_with_invalid_yaml_names_the_patch() {
    let err = parse_err(&format!(
        "{RESOURCES}patches:\n- patch: \"kind: [unclosed\"\n  target: {{kind: Deployment}}\n"
    ));
    assert_eq!(
        err.to_string(),
        "kustomization_override patches[0].patch is not valid YAML"
    );
    assert_eq!(err.option(), Some("kustomization_override"));
}

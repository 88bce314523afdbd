//! A few lines that stand for a manifest file: what a reviewer needs to see of a
//! change to `gotk-components.yaml` (the Flux version, the images, how many objects
//! of each kind) without its thousands of lines, and a digest that changes with any
//! byte of it.

use sha2::{Digest, Sha256};

use super::download::hex;
use super::yaml::parse_yaml_stream;

/// How many hex digits of the SHA-256 a summary shows: enough to tell two versions of
/// a file apart at a glance, short enough for one line.
const DIGEST_DIGITS: usize = 16;

/// The summary of `text`, one fact per line, in a fixed order:
///
/// - `sha256:<digest prefix>, <n> lines`
/// - `Flux <version>` for each `app.kubernetes.io/version` label value found
/// - `objects: <count> <Kind>, ...` in the order the kinds first appear
/// - `image: <reference>` for each container image, in order of appearance
/// - `resources: a, b` for a kustomize `Kustomization` (the `kustomization.yaml`)
///
/// Text that is not YAML gets only the digest line.
pub fn summarize(text: &str) -> String {
    let digest = hex(&Sha256::digest(text.as_bytes()));
    let mut lines = vec![format!(
        "sha256:{}, {} lines",
        &digest[..DIGEST_DIGITS],
        text.lines().count()
    )];
    let Ok(documents) = parse_yaml_stream(text, "file") else {
        return lines.join("\n") + "\n";
    };
    let mut versions: Vec<String> = Vec::new();
    let mut kinds: Vec<(String, usize)> = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    for doc in documents.iter().filter(|d| d.is_object()) {
        let kind = doc["kind"].as_str().unwrap_or("(no kind)").to_string();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
        if let Some(v) = doc["metadata"]["labels"]["app.kubernetes.io/version"].as_str() {
            push_new(&mut versions, v);
        }
        for image in container_images(doc) {
            push_new(&mut images, image);
        }
        if is_kustomize_config(doc) {
            for r in doc["resources"].as_array().into_iter().flatten() {
                if let Some(r) = r.as_str() {
                    push_new(&mut resources, r);
                }
            }
        }
    }
    lines.extend(versions.iter().map(|v| format!("Flux {v}")));
    if !kinds.is_empty() {
        let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        lines.push(format!("objects: {}", counts.join(", ")));
    }
    lines.extend(images.iter().map(|i| format!("image: {i}")));
    if !resources.is_empty() {
        lines.push(format!("resources: {}", resources.join(", ")));
    }
    lines.join("\n") + "\n"
}

fn is_kustomize_config(doc: &serde_json::Value) -> bool {
    doc["kind"] == "Kustomization"
        && doc["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
}

fn container_images(doc: &serde_json::Value) -> impl Iterator<Item = &str> {
    let pod = &doc["spec"]["template"]["spec"];
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(move |list| pod[list].as_array().into_iter().flatten())
        .filter_map(|c| c["image"].as_str())
}

fn push_new(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPONENTS: &str = "\
---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
  labels:
    app.kubernetes.io/version: v2.9.4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: source-controller
  labels:
    app.kubernetes.io/version: v2.9.4
spec:
  template:
    spec:
      containers:
      - name: manager
        image: ghcr.io/fluxcd/source-controller:v1.9.4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kustomize-controller
spec:
  template:
    spec:
      containers:
      - name: manager
        image: ghcr.io/fluxcd/kustomize-controller:v1.9.4
";

    #[test]
    fn components_summary_names_version_kinds_and_images_in_order() {
        let summary = summarize(COMPONENTS);
        let lines: Vec<&str> = summary.lines().collect();
        assert!(lines[0].starts_with("sha256:"), "{summary}");
        assert!(lines[0].ends_with(", 31 lines"), "{summary}");
        assert_eq!(
            lines[1..],
            [
                "Flux v2.9.4",
                "objects: 1 Namespace, 2 Deployment",
                "image: ghcr.io/fluxcd/source-controller:v1.9.4",
                "image: ghcr.io/fluxcd/kustomize-controller:v1.9.4",
            ]
        );
    }

    #[test]
    fn any_byte_changes_the_digest_line_only() {
        let edited = COMPONENTS.replace("name: manager", "name: manager ");
        let (a, b) = (summarize(COMPONENTS), summarize(&edited));
        assert_ne!(a.lines().next(), b.lines().next());
        assert_eq!(
            a.lines().skip(1).collect::<Vec<_>>(),
            b.lines().skip(1).collect::<Vec<_>>()
        );
    }

    #[test]
    fn kustomize_config_lists_its_resources() {
        let summary = summarize(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n",
        );
        assert!(
            summary.ends_with(
                "objects: 1 Kustomization\nresources: gotk-components.yaml, gotk-sync.yaml\n"
            ),
            "{summary}"
        );
    }

    #[test]
    fn text_that_is_not_yaml_has_the_digest_line_only() {
        let summary = summarize("key: [unclosed\n");
        assert_eq!(summary.lines().count(), 1, "{summary}");
    }
}

//! What Read found moved in the cluster, as a few readable lines.
//!
//! The reference blanks `gotk-sync.yaml` in state when the root objects are missing or
//! not ready, which forces an update but shows a whole-file diff. Here the drift is
//! written in place of that file's content as `# drift: ...` lines, so the plan shows
//! what moved, and the update that follows puts it back.

use std::collections::BTreeMap;

use flux_core::cluster::{Observation, Readiness};
use flux_core::manifests::parse_documents;

use super::model::BootstrapModel;
use super::sync_ref::{self, RefFields};

/// The root objects that are suspended, each as a warning: the provider leaves a
/// suspension alone and says how it ends.
pub fn suspensions(model: &BootstrapModel, seen: &Observation) -> Vec<String> {
    let ns = &model.namespace;
    [
        ("GitRepository", "source git", seen.git_repository.as_ref()),
        (
            "Kustomization",
            "kustomization",
            seen.kustomization.as_ref(),
        ),
    ]
    .into_iter()
    .filter(|(_, _, o)| o.is_some_and(|o| o.suspended))
    .map(|(kind, command, _)| {
        format!(
            "{kind} {ns}/{ns} is suspended: Flux applies nothing from git until it is resumed \
             (`flux resume {command} {ns} -n {ns}`, or set spec.suspend to false). The \
             provider leaves a suspension in place and does not plan a change for it."
        )
    })
    .collect()
}

/// Without the committed manifests to compare with (an override may patch images),
/// an image is only checked against the configured registry.
fn unexpected_registry(model: &BootstrapModel, name: &str, images: &[String]) -> Vec<String> {
    let ns = &model.namespace;
    let prefix = if model.registry.is_empty() {
        format!("fluxcd/{name}:")
    } else {
        format!("{}/{name}:", model.registry.trim_end_matches('/'))
    };
    images
        .iter()
        .filter(|image| !image.starts_with(&prefix))
        .map(|image| format!("Deployment {ns}/{name} runs image {image}, expected {prefix}<tag>"))
        .collect()
}

/// The container images of each Deployment in `gotk-components.yaml`, by name: what
/// the controllers run once Flux applied the committed install.
pub fn images_of(components_yaml: &str) -> BTreeMap<String, Vec<String>> {
    let Ok(objects) = parse_documents(components_yaml) else {
        return BTreeMap::new();
    };
    objects
        .iter()
        .filter(|o| o["kind"] == "Deployment")
        .filter_map(|d| {
            let name = d["metadata"]["name"].as_str()?.to_string();
            let images = d["spec"]["template"]["spec"]["containers"]
                .as_array()?
                .iter()
                .filter_map(|c| c["image"].as_str().map(str::to_string))
                .collect();
            Some((name, images))
        })
        .collect()
}

/// The prefix of every drift line in state.
pub const DRIFT_PREFIX: &str = "# drift: ";

/// Cluster drift of a bootstrap, one line per finding; empty when in sync.
///
/// A root Kustomization that is Ready=False is not drift: it usually means an
/// application under the synced path is broken, which reinstalling Flux cannot fix.
/// Nor is a suspended root object ([`suspensions`]): suspending the sync is how a team
/// freezes a cluster during an incident, and an apply that resumed it would undo that.
pub fn describe(
    model: &BootstrapModel,
    seen: &Observation,
    expected_secret: Option<&str>,
    expected_images: Option<&BTreeMap<String, Vec<String>>>,
) -> Vec<String> {
    let ns = &model.namespace;
    let mut lines = Vec::new();
    match &seen.git_repository {
        None => lines.push(format!("GitRepository {ns}/{ns} is missing")),
        Some(o) => {
            if let Readiness::Failed(message) = &o.readiness {
                lines.push(format!("GitRepository {ns}/{ns} is not ready: {message}"));
            }
        }
    }
    match &seen.kustomization {
        None => lines.push(format!("Kustomization {ns}/{ns} is missing")),
        Some(o) => {
            let want = format!("./{}", model.normalized_path().unwrap_or_default());
            let have = o.path.clone().unwrap_or_else(|| "./".to_string());
            let have = format!("./{}", have.trim_start_matches("./"));
            if want.trim_end_matches('/') != have.trim_end_matches('/') {
                lines.push(format!("Kustomization {ns}/{ns} syncs {have}, not {want}"));
            }
        }
    }
    for c in &seen.components {
        if !c.present {
            lines.push(format!("Deployment {ns}/{} is missing", c.name));
            continue;
        }
        match expected_images.and_then(|images| images.get(&c.name)) {
            Some(want) => {
                for (have, want) in c.images.iter().zip(want) {
                    if have != want {
                        lines.push(format!(
                            "Deployment {ns}/{} runs image {have}, expected {want}",
                            c.name
                        ));
                    }
                }
            }
            None => lines.extend(unexpected_registry(model, &c.name, &c.images)),
        }
        if let Some(v) = &c.version {
            if v != &model.version {
                lines.push(format!(
                    "Deployment {ns}/{} is Flux {v}, expected {}",
                    c.name, model.version
                ));
            }
        }
    }
    if let Some(want) = expected_secret {
        match &seen.secret_fingerprint {
            None => lines.push(format!("Secret {ns}/{} is missing", model.secret_name)),
            Some(have) if have != want => lines.push(format!(
                "Secret {ns}/{} holds other credentials than the git settings",
                model.secret_name
            )),
            Some(_) => {}
        }
    }
    lines
}

/// A drift line when the live root GitRepository follows another ref than `wanted`
/// (changed by hand, say). A stale field of lower precedence beside the wanted one is
/// not drift: source-controller ignores it (kustomize-controller leaves a `branch`
/// beside a `commit`, since a commit's `gotk-sync.yaml` cannot name itself).
pub fn describe_ref(
    model: &BootstrapModel,
    live: &RefFields,
    wanted: &RefFields,
) -> Option<String> {
    let ns = &model.namespace;
    (sync_ref::followed(live) != sync_ref::followed(wanted)).then(|| {
        format!(
            "GitRepository {ns}/{ns} follows {} (spec.ref), expected {}",
            sync_ref::describe(live),
            sync_ref::describe(wanted)
        )
    })
}

/// The state content that stands for a drifted `gotk-sync.yaml`.
pub fn as_file(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("{DRIFT_PREFIX}{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::cluster::{ComponentObservation, FluxObjectObservation};
    use tfplug::Value;

    fn model() -> BootstrapModel {
        BootstrapModel::from_value(&Value::object([("path", "clusters/a".into())])).unwrap()
    }

    fn healthy(model: &BootstrapModel) -> Observation {
        let root = FluxObjectObservation {
            readiness: Readiness::Current,
            revision: None,
            suspended: false,
            path: Some("./clusters/a".into()),
            last_applied_revision: None,
        };
        Observation {
            git_repository: Some(root.clone()),
            kustomization: Some(root),
            components: model
                .all_components()
                .into_iter()
                .map(|name| ComponentObservation {
                    images: vec![format!("ghcr.io/fluxcd/{name}:v1.0.0")],
                    name,
                    present: true,
                    version: Some(model.version.clone()),
                    readiness: Readiness::Current,
                })
                .collect(),
            secret_fingerprint: Some("sha256:a".into()),
            flux_version: None,
        }
    }

    #[test]
    fn describe_healthy_install_is_empty() {
        let m = model();
        assert!(describe(&m, &healthy(&m), Some("sha256:a"), None).is_empty());
    }

    #[test]
    fn describe_missing_root_and_changed_image_names_each() {
        let m = model();
        let mut seen = healthy(&m);
        seen.git_repository = None;
        seen.components[0].images = vec!["evil.io/source-controller:v1".into()];
        seen.components[1].version = Some("v2.0.0".into());
        let lines = describe(&m, &seen, Some("sha256:b"), None);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].contains("GitRepository flux-system/flux-system is missing"));
        assert!(lines.iter().any(|l| l.contains("evil.io")));
        assert!(lines.iter().any(|l| l.contains("is Flux v2.0.0")));
        assert!(lines.iter().any(|l| l.contains("other credentials")));
    }

    #[test]
    fn describe_ref_changed_by_hand_names_both_refs_and_ignores_lower_precedence() {
        let m = model();
        let fields = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let wanted = fields(serde_json::json!({"branch": "main"}));
        let by_hand = fields(serde_json::json!({"branch": "main", "tag": "v0.9.0"}));
        assert_eq!(
            describe_ref(&m, &by_hand, &wanted).as_deref(),
            Some("GitRepository flux-system/flux-system follows tag v0.9.0 (spec.ref), expected branch main")
        );
        assert_eq!(describe_ref(&m, &wanted, &wanted), None);
        let commit = fields(serde_json::json!({"commit": "abc"}));
        let with_branch = fields(serde_json::json!({"commit": "abc", "branch": "main"}));
        assert_eq!(describe_ref(&m, &with_branch, &commit), None);
    }

    #[test]
    fn an_image_changed_by_hand_is_drift_against_the_committed_manifests() {
        let m = model();
        let mut seen = healthy(&m);
        let components = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: ghcr.io/fluxcd/kustomize-controller:v1.9.4\n";
        let expected = images_of(components);
        assert_eq!(
            expected.get("kustomize-controller").map(Vec::as_slice),
            Some(&["ghcr.io/fluxcd/kustomize-controller:v1.9.4".to_string()][..])
        );
        let index = seen
            .components
            .iter()
            .position(|c| c.name == "kustomize-controller")
            .unwrap();
        // Same registry and name, another tag: only the committed manifests tell.
        seen.components[index].images = vec!["ghcr.io/fluxcd/kustomize-controller:v0.0.1".into()];
        assert!(describe(&m, &seen, None, None).is_empty());
        assert_eq!(
            describe(&m, &seen, None, Some(&expected)),
            ["Deployment flux-system/kustomize-controller runs image ghcr.io/fluxcd/kustomize-controller:v0.0.1, expected ghcr.io/fluxcd/kustomize-controller:v1.9.4"]
        );
        seen.components[index].images = vec!["ghcr.io/fluxcd/kustomize-controller:v1.9.4".into()];
        assert!(describe(&m, &seen, None, Some(&expected)).is_empty());
    }

    #[test]
    fn suspended_root_is_a_warning_not_drift_but_a_moved_path_still_is() {
        let m = model();
        let mut seen = healthy(&m);
        assert!(suspensions(&m, &seen).is_empty());
        if let Some(k) = seen.kustomization.as_mut() {
            k.suspended = true;
        }
        assert!(describe(&m, &seen, Some("sha256:a"), None).is_empty());
        let warnings = suspensions(&m, &seen);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("Kustomization flux-system/flux-system is suspended"));
        assert!(warnings[0].contains("flux resume kustomization flux-system -n flux-system"));
        if let Some(k) = seen.kustomization.as_mut() {
            k.path = Some("./elsewhere".into());
        }
        let lines = describe(&m, &seen, Some("sha256:a"), None);
        assert_eq!(
            lines,
            ["Kustomization flux-system/flux-system syncs ./elsewhere, not ./clusters/a"]
        );
    }

    #[test]
    fn describe_failing_kustomization_is_not_drift() {
        let m = model();
        let mut seen = healthy(&m);
        if let Some(k) = seen.kustomization.as_mut() {
            k.readiness = Readiness::Failed("app manifest broken".into());
        }
        assert!(describe(&m, &seen, None, None).is_empty());
    }
}

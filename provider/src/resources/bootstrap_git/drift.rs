//! What Read found moved in the cluster, as a few readable lines.
//!
//! The reference blanks `gotk-sync.yaml` in state when the root objects are missing or
//! not ready, which forces an update but shows a whole-file diff. Here each finding is
//! one line of `cluster_drift`, so the plan shows what moved, and the update that
//! follows puts it back.

use std::collections::BTreeMap;

use flux_core::cluster::{DriftChange, ObjectDrift, Observation, Readiness};
use flux_core::manifests::{parse_documents, Rendered};
use flux_core::sync::SpecRef;
use serde_json::Value as Json;
use tfplug::Diagnostics;

use super::files::ExpectedFiles;
use super::model::BootstrapModel;

/// The install and sync objects as committed in git, with `kustomization.yaml`'s
/// patches: what kustomize-controller applies. `None` when a file is missing or
/// unreadable, or when the provider cannot build the kustomization itself (then
/// comparing unpatched objects would report the patches as drift).
pub fn committed_objects(
    model: &BootstrapModel,
    files: &BTreeMap<String, String>,
) -> Option<Vec<Json>> {
    let rendered = |file: &str| {
        let text = files.get(&model.file_key(file))?;
        let objects = parse_documents(text).ok()?;
        Some(Rendered {
            text: text.clone(),
            objects,
        })
    };
    let committed = ExpectedFiles {
        components: rendered("gotk-components.yaml")?,
        sync: rendered("gotk-sync.yaml")?,
        kustomization: files.get(&model.file_key("kustomization.yaml"))?.clone(),
    };
    let mut diags = Diagnostics::new();
    let (mut install, sync) = committed.objects(&mut diags).ok()?;
    if !diags.is_empty() {
        return None;
    }
    install.extend(sync);
    Some(install)
}

/// One line per object that applying the committed objects would change, leaving out
/// what an `earlier` line already says (a missing object, a changed image) and the
/// root GitRepository's `spec.ref` ([`describe_ref`] judges it: a ref set by
/// `sync_tag` or `sync_commit` is not in the committed file).
pub fn describe_applied(found: &[ObjectDrift], earlier: &[String]) -> Vec<String> {
    found
        .iter()
        .filter_map(|d| {
            let o = &d.object;
            let name = match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                None => format!("{} {}", o.kind, o.name),
            };
            let said = |what: &str| {
                earlier
                    .iter()
                    .any(|l| l.starts_with(&format!("{name} {what}")))
            };
            match &d.change {
                DriftChange::Missing if said("is missing") => None,
                DriftChange::Missing => Some(format!("{name} is missing")),
                DriftChange::Fields { fields, more } => {
                    let image_said = said("runs image");
                    let named: Vec<String> = fields
                        .iter()
                        .filter(|f| !(o.kind == "GitRepository" && f.path.starts_with("spec.ref")))
                        .filter(|f| !(image_said && f.path.ends_with(".image")))
                        .map(ToString::to_string)
                        .collect();
                    if named.is_empty() {
                        return None;
                    }
                    let more = if *more > 0 {
                        format!(" (and {more} more fields)")
                    } else {
                        String::new()
                    };
                    Some(format!("{name}: {}{more}", named.join("; ")))
                }
            }
        })
        .collect()
}

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
pub fn describe_ref(model: &BootstrapModel, live: &SpecRef, wanted: &SpecRef) -> Option<String> {
    let ns = &model.namespace;
    let (live, wanted) = (live.followed(), wanted.followed());
    (live != wanted)
        .then(|| format!("GitRepository {ns}/{ns} follows {live} (spec.ref), expected {wanted}"))
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
        let fields =
            |v: serde_json::Value| SpecRef::of_object(&serde_json::json!({"spec": {"ref": v}}));
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

    fn applied(kind: &str, ns: Option<&str>, name: &str, change: DriftChange) -> ObjectDrift {
        ObjectDrift {
            object: flux_core::cluster::ObjectRef::new("v1", kind, ns, name),
            change,
        }
    }

    fn field(path: &str, live: &str, wanted: &str) -> flux_core::cluster::FieldChange {
        flux_core::cluster::FieldChange {
            path: path.into(),
            live: Some(live.into()),
            wanted: Some(wanted.into()),
        }
    }

    #[test]
    fn applied_drift_is_a_line_per_object_without_repeats_or_the_ref() {
        let found = [
            applied(
                "CustomResourceDefinition",
                None,
                "buckets.x",
                DriftChange::Missing,
            ),
            applied(
                "Deployment",
                Some("flux-system"),
                "kustomize-controller",
                DriftChange::Fields {
                    fields: vec![field(
                        "spec.template.spec.containers[manager].image",
                        "x",
                        "y",
                    )],
                    more: 0,
                },
            ),
            applied(
                "Deployment",
                Some("flux-system"),
                "source-controller",
                DriftChange::Fields {
                    fields: vec![field("spec.replicas", "0", "1")],
                    more: 2,
                },
            ),
            applied(
                "GitRepository",
                Some("flux-system"),
                "flux-system",
                DriftChange::Fields {
                    fields: vec![field("spec.ref.commit", "abc", "(absent)")],
                    more: 0,
                },
            ),
        ];
        let earlier =
            ["Deployment flux-system/kustomize-controller runs image x, expected y".to_string()];
        assert_eq!(
            describe_applied(&found, &earlier),
            [
                "CustomResourceDefinition buckets.x is missing",
                "Deployment flux-system/source-controller: spec.replicas is 0, expected 1 (and 2 more fields)",
            ]
        );
    }

    #[tokio::test]
    async fn committed_objects_are_the_install_and_sync_objects_unless_unbuildable() {
        let model = model();
        let base = super::super::files::load_base(&model).await.unwrap();
        let rendered = super::super::files::render(
            &model,
            &base,
            "https://git.example.com/fleet.git",
            "main",
            None,
        )
        .unwrap();
        let files = rendered.by_key(&model);
        let objects = committed_objects(&model, &files).unwrap();
        assert_eq!(
            objects.len(),
            rendered.components.objects.len() + rendered.sync.objects.len()
        );
        let mut odd = files.clone();
        odd.insert(
            model.file_key("kustomization.yaml"),
            "resources: [gotk-components.yaml, gotk-sync.yaml, ../../apps]\n".into(),
        );
        assert_eq!(committed_objects(&model, &odd), None);
        let mut gone = files;
        gone.remove(&model.file_key("gotk-sync.yaml"));
        assert_eq!(committed_objects(&model, &gone), None);
    }
}

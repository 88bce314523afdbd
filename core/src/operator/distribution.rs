//! The Flux an operator installed, against the Flux that runs: what a FluxInstance's
//! status says the operator applied (the distribution version and each component's
//! image) compared with the cluster, read as the operator's FluxReport reads it (the
//! Deployments labelled part of Flux, the version label of Flux's CRDs). The report
//! itself is not used: it is refreshed every few minutes and carries no mark of when
//! it last looked, so a plan made after a change by hand could not tell it was fresh.

use std::collections::BTreeMap;

use kube::core::GroupVersionKind;
use serde_json::Value;

use super::OperatorError;
use crate::cluster::{deployment_readiness, Cluster, ObjectRef, Readiness};

/// The CRD whose labels carry the installed distribution's version; the operator's
/// report reads the same one.
const VERSION_CRD: &str = "gitrepositories.source.toolkit.fluxcd.io";
const VERSION_LABEL: &str = "app.kubernetes.io/version";
/// The label of every Deployment of a Flux installation named `flux`.
const COMPONENT_SELECTOR: &str = "app.kubernetes.io/part-of=flux";

/// One Flux controller found in the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledComponent {
    /// The image of its first container.
    pub image: Option<String>,
    /// Its Deployment's readiness.
    pub readiness: Readiness,
}

impl InstalledComponent {
    /// The component a controller's Deployment runs.
    pub(super) fn of(deployment: &Value) -> Self {
        Self {
            image: deployment
                .pointer("/spec/template/spec/containers/0/image")
                .and_then(Value::as_str)
                .map(str::to_owned),
            readiness: deployment_readiness(deployment),
        }
    }
}

/// The Flux installation found in a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstalledDistribution {
    /// Whether Flux's CRDs exist.
    pub crds_installed: bool,
    /// The version label of Flux's CRDs.
    pub version: Option<String>,
    /// The controllers, by Deployment name.
    pub components: BTreeMap<String, InstalledComponent>,
}

impl Cluster {
    /// The Flux installation in `namespace`.
    pub async fn installed_distribution(
        &self,
        namespace: &str,
    ) -> Result<InstalledDistribution, OperatorError> {
        let crd = ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            VERSION_CRD,
        );
        let crd = self.find_object(&crd).await?;
        let version = crd
            .as_ref()
            .and_then(|c| c.pointer("/metadata/labels"))
            .and_then(|l| l.get(VERSION_LABEL))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let deployments = GroupVersionKind::gvk("apps", "v1", "Deployment");
        let listed = self
            .list_objects(&deployments, Some(namespace), Some(COMPONENT_SELECTOR))
            .await?;
        let mut components = BTreeMap::new();
        for (reference, object) in listed {
            let json = serde_json::to_value(&object).unwrap_or(Value::Null);
            components.insert(reference.name, InstalledComponent::of(&json));
        }
        Ok(InstalledDistribution {
            crds_installed: crd.is_some(),
            version,
            components,
        })
    }
}

/// What differs between what the FluxInstance `instance` says its operator installed
/// and the `installed` Flux, one finding per line; empty when they agree, or when
/// the operator has not installed anything yet (no applied revision in the status).
pub fn distribution_drift(instance: &Value, installed: &InstalledDistribution) -> Vec<String> {
    let Some(revision) = instance
        .pointer("/status/lastAppliedRevision")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    else {
        return Vec::new();
    };
    let namespace = instance
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut findings = Vec::new();
    let expected_version = revision.split('@').next().unwrap_or(revision);
    if !installed.crds_installed {
        findings.push(format!(
            "Flux's CustomResourceDefinition {VERSION_CRD} is missing"
        ));
    } else if let Some(version) = installed.version.as_deref() {
        if version != expected_version {
            findings.push(format!(
                "Flux {version} is installed, the operator installed {expected_version}"
            ));
        }
    }
    for expected in applied_components(instance) {
        let deployment = format!("Deployment {namespace}/{}", expected.name);
        let Some(found) = installed.components.get(&expected.name) else {
            findings.push(format!("{}: {deployment} is missing", expected.name));
            continue;
        };
        if let Some(want) = expected.image() {
            match found.image.as_deref() {
                Some(image) if image_matches(image, &want) => {}
                Some(image) => findings.push(format!(
                    "{}: {deployment} runs {image}, the operator installed {want}",
                    expected.name
                )),
                None => findings.push(format!("{}: {deployment} has no container", expected.name)),
            }
        }
        match &found.readiness {
            Readiness::Current => {}
            Readiness::InProgress(why) | Readiness::Failed(why) => findings.push(format!(
                "{}: {deployment} is not ready: {why}",
                expected.name
            )),
        }
    }
    findings
}

/// A component as the operator recorded it in the instance's status.
struct AppliedComponent {
    name: String,
    repository: Option<String>,
    tag: Option<String>,
}

impl AppliedComponent {
    fn image(&self) -> Option<String> {
        Some(format!(
            "{}:{}",
            self.repository.as_ref()?,
            self.tag.as_ref()?
        ))
    }
}

fn applied_components(instance: &Value) -> Vec<AppliedComponent> {
    let text = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).map(str::to_owned);
    instance
        .pointer("/status/components")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| {
                    Some(AppliedComponent {
                        name: text(c, "name")?,
                        repository: text(c, "repository"),
                        tag: text(c, "tag"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a Deployment's `image` is `repository:tag`, with or without a digest.
fn image_matches(image: &str, want: &str) -> bool {
    image == want
        || image
            .strip_prefix(want)
            .is_some_and(|rest| rest.starts_with('@'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn instance() -> Value {
        json!({
            "metadata": {"name": "flux", "namespace": "flux-system"},
            "status": {
                "lastAppliedRevision": "v2.9.4@sha256:abc",
                "components": [
                    {"name": "source-controller", "repository": "ghcr.io/fluxcd/source-controller", "tag": "v1.7.0", "digest": "sha256:1"},
                    {"name": "kustomize-controller", "repository": "ghcr.io/fluxcd/kustomize-controller", "tag": "v1.7.0"}
                ]
            }
        })
    }

    fn running(image: &str) -> InstalledComponent {
        InstalledComponent {
            image: Some(image.to_owned()),
            readiness: Readiness::Current,
        }
    }

    fn as_installed() -> InstalledDistribution {
        InstalledDistribution {
            crds_installed: true,
            version: Some("v2.9.4".into()),
            components: BTreeMap::from([
                (
                    "source-controller".into(),
                    running("ghcr.io/fluxcd/source-controller:v1.7.0@sha256:1"),
                ),
                (
                    "kustomize-controller".into(),
                    running("ghcr.io/fluxcd/kustomize-controller:v1.7.0"),
                ),
            ]),
        }
    }

    #[test]
    fn drift_is_empty_when_flux_runs_as_installed() {
        assert_eq!(
            distribution_drift(&instance(), &as_installed()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn drift_is_empty_before_the_operator_applied_anything() {
        let mut fresh = instance();
        fresh["status"] = json!({});
        assert!(distribution_drift(&fresh, &InstalledDistribution::default()).is_empty());
    }

    #[test]
    fn drift_names_a_missing_deployment_and_a_changed_image() {
        let mut installed = as_installed();
        installed.components.remove("kustomize-controller");
        installed.components.insert(
            "source-controller".into(),
            running("example.invalid/source-controller:v0"),
        );
        assert_eq!(
            distribution_drift(&instance(), &installed),
            vec![
                "source-controller: Deployment flux-system/source-controller runs example.invalid/source-controller:v0, the operator installed ghcr.io/fluxcd/source-controller:v1.7.0".to_owned(),
                "kustomize-controller: Deployment flux-system/kustomize-controller is missing".to_owned(),
            ]
        );
    }

    #[test]
    fn drift_names_the_version_an_unready_controller_and_missing_crds() {
        let mut installed = as_installed();
        installed.version = Some("v2.8.0".into());
        installed.components.insert(
            "kustomize-controller".into(),
            InstalledComponent {
                image: Some("ghcr.io/fluxcd/kustomize-controller:v1.7.0".into()),
                readiness: Readiness::InProgress("0/1 replicas available".into()),
            },
        );
        let findings = distribution_drift(&instance(), &installed);
        assert_eq!(
            findings,
            vec![
                "Flux v2.8.0 is installed, the operator installed v2.9.4".to_owned(),
                "kustomize-controller: Deployment flux-system/kustomize-controller is not ready: 0/1 replicas available".to_owned(),
            ]
        );
        installed.crds_installed = false;
        installed.version = None;
        assert_eq!(
            distribution_drift(&instance(), &installed)[0],
            format!("Flux's CustomResourceDefinition {VERSION_CRD} is missing")
        );
    }

    #[test]
    fn image_matches_with_or_without_digest_only() {
        assert!(image_matches("r/a:v1", "r/a:v1"));
        assert!(image_matches("r/a:v1@sha256:0", "r/a:v1"));
        assert!(!image_matches("r/a:v10", "r/a:v1"));
    }
}

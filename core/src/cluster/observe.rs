//! Drift read: what the cluster holds of a Flux install, as data a caller can compare and show.

use serde_json::Value;

use super::readiness::{deployment_readiness, flux_readiness, normalize_revision, Readiness};
use super::{Cluster, ClusterError, ObjectRef};

/// What to read.
#[derive(Clone, Debug)]
pub struct ObserveSpec {
    /// The Flux namespace.
    pub namespace: String,
    /// Name of the root GitRepository and Kustomization (the namespace, by convention).
    pub root_name: String,
    /// Controller Deployments to read (`source-controller`, ...).
    pub components: Vec<String>,
    /// The git credentials Secret, if one is managed.
    pub secret_name: Option<String>,
    /// The revision the root objects should be at, when known.
    pub expected_revision: Option<String>,
}

/// What was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The root GitRepository, `None` when missing (or its CRD is).
    pub git_repository: Option<FluxObjectObservation>,
    /// The root Kustomization, `None` when missing (or its CRD is).
    pub kustomization: Option<FluxObjectObservation>,
    /// One entry per requested component, in the requested order.
    pub components: Vec<ComponentObservation>,
    /// Fingerprint of the credentials Secret's content, `None` when it is missing.
    pub secret_fingerprint: Option<String>,
    /// `app.kubernetes.io/version` of the GitRepository CRD (the installed Flux version).
    pub flux_version: Option<String>,
}

/// A root Flux object as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FluxObjectObservation {
    /// Readiness by Flux's rules (against the expected revision, if given).
    pub readiness: Readiness,
    /// The revision it reports (artifact or last attempted), normalised.
    pub revision: Option<String>,
    /// `spec.suspend`.
    pub suspended: bool,
    /// `spec.path` (Kustomization only).
    pub path: Option<String>,
    /// `status.lastAppliedRevision` (Kustomization only).
    pub last_applied_revision: Option<String>,
}

/// A controller Deployment as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentObservation {
    /// The Deployment's name.
    pub name: String,
    /// Whether the Deployment exists.
    pub present: bool,
    /// Container images, in container order.
    pub images: Vec<String>,
    /// The `app.kubernetes.io/version` label.
    pub version: Option<String>,
    /// kstatus readiness.
    pub readiness: Readiness,
}

fn text_at(object: &Value, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reads a root Flux object's state.
fn observe_flux_object(object: &Value, expected_revision: Option<&str>) -> FluxObjectObservation {
    let revision = text_at(object, "/status/artifact/revision")
        .or_else(|| text_at(object, "/status/lastAttemptedRevision"))
        .map(|r| normalize_revision(&r));
    FluxObjectObservation {
        readiness: flux_readiness(object, expected_revision),
        revision,
        suspended: object.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true),
        path: text_at(object, "/spec/path"),
        last_applied_revision: text_at(object, "/status/lastAppliedRevision")
            .map(|r| normalize_revision(&r)),
    }
}

/// Reads a controller Deployment's state.
fn observe_component(name: &str, deployment: Option<&Value>) -> ComponentObservation {
    let Some(deployment) = deployment else {
        return ComponentObservation {
            name: name.to_owned(),
            present: false,
            images: Vec::new(),
            version: None,
            readiness: Readiness::InProgress("not found".into()),
        };
    };
    let images = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|containers| {
            containers
                .iter()
                .filter_map(|c| c.get("image").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ComponentObservation {
        name: name.to_owned(),
        present: true,
        images,
        version: text_at(deployment, "/metadata/labels/app.kubernetes.io~1version"),
        readiness: deployment_readiness(deployment),
    }
}

impl Cluster {
    /// Reads the root GitRepository and Kustomization, the controller Deployments, the
    /// Secret's fingerprint and the installed Flux version. Missing objects (or missing Flux
    /// CRDs) are reported as absent, not as errors.
    #[tracing::instrument(skip_all, fields(namespace = %spec.namespace))]
    pub async fn observe(&self, spec: &ObserveSpec) -> Result<Observation, ClusterError> {
        let ns = Some(spec.namespace.as_str());
        let git_repository = ObjectRef::new(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            ns,
            &spec.root_name,
        );
        let kustomization = ObjectRef::new(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            ns,
            &spec.root_name,
        );
        let crd = ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "gitrepositories.source.toolkit.fluxcd.io",
        );
        let expected = spec.expected_revision.as_deref();
        let components = futures::future::try_join_all(spec.components.iter().map(|name| {
            let reference = ObjectRef::new("apps/v1", "Deployment", ns, name);
            async move {
                let live = self.find_object(&reference).await?;
                Ok::<_, ClusterError>(observe_component(name, live.as_ref()))
            }
        }));
        let secret = async {
            match &spec.secret_name {
                Some(name) => self.find_secret_fingerprint(&spec.namespace, name).await,
                None => Ok(None),
            }
        };
        let (git_repository, kustomization, crd, components, secret_fingerprint) = tokio::try_join!(
            self.find_object(&git_repository),
            self.find_object(&kustomization),
            self.find_object(&crd),
            components,
            secret,
        )?;
        Ok(Observation {
            git_repository: git_repository.map(|o| observe_flux_object(&o, expected)),
            kustomization: kustomization.map(|o| observe_flux_object(&o, expected)),
            components,
            secret_fingerprint,
            flux_version: crd
                .and_then(|c| text_at(&c, "/metadata/labels/app.kubernetes.io~1version")),
        })
    }

    /// The revision of the artifact the GitRepository `namespace/name` reports (one
    /// read, for waits that need nothing else); `None` when it has none or is missing.
    pub async fn source_revision(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        let reference = ObjectRef::new(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            Some(namespace),
            name,
        );
        let live = self.find_object(&reference).await?;
        Ok(live
            .and_then(|o| text_at(&o, "/status/artifact/revision"))
            .map(|r| normalize_revision(&r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn observe_component_reads_images_and_version_label() {
        let deployment = json!({
            "kind": "Deployment",
            "metadata": {"generation": 1, "labels": {"app.kubernetes.io/version": "v2.9.4"}},
            "spec": {"template": {"spec": {"containers": [{"name": "manager", "image": "ghcr.io/fluxcd/source-controller:v1.9.1"}]}}}
        });
        let seen = observe_component("source-controller", Some(&deployment));
        assert!(seen.present);
        assert_eq!(seen.images, vec!["ghcr.io/fluxcd/source-controller:v1.9.1"]);
        assert_eq!(seen.version.as_deref(), Some("v2.9.4"));
        assert!(!seen.readiness.is_current());
        assert!(!observe_component("x", None).present);
    }

    #[test]
    fn observe_flux_object_reads_path_and_revisions() {
        let ks = json!({
            "kind": "Kustomization", "metadata": {"generation": 1},
            "spec": {"path": "./clusters/a", "suspend": true},
            "status": {"lastAttemptedRevision": "main/0123456789abcdef0123456789abcdef01234567", "lastAppliedRevision": "main@sha1:0123456789abcdef0123456789abcdef01234567"}
        });
        let seen = observe_flux_object(&ks, None);
        assert!(seen.suspended);
        assert_eq!(seen.path.as_deref(), Some("./clusters/a"));
        assert_eq!(seen.revision, seen.last_applied_revision);
        assert_eq!(seen.readiness, Readiness::Failed("suspended".into()));
    }
}

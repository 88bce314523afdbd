//! The operator's install manifests at the built-in version, rendered for a namespace,
//! a registry and an image pull secret.

use serde_json::{json, Value};

use super::OperatorError;
use crate::manifests::{is_cluster_scoped, parse_documents};
use crate::objects::Check;

/// The built-in operator version (`core/operator-manifests/VERSION`).
pub const OPERATOR_VERSION: &str = "v0.59.0";

/// The registry of the operator's image in its release manifests.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/controlplaneio-fluxcd";

const INSTALL: &str = include_str!("../../operator-manifests/v0.59.0/install.yaml");
const IMAGE: &str = "flux-operator";

/// Where and from where the operator is installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallSpec {
    /// The operator's namespace (Flux's, usually `flux-system`).
    pub namespace: String,
    /// The registry its image is pulled from, without the image name.
    pub registry: String,
    /// A Secret of the namespace with the registry's credentials.
    pub image_pull_secret: Option<String>,
}

impl Default for InstallSpec {
    fn default() -> Self {
        Self {
            namespace: "flux-system".to_owned(),
            registry: DEFAULT_REGISTRY.to_owned(),
            image_pull_secret: None,
        }
    }
}

impl InstallSpec {
    fn validate(&self) -> Result<(), OperatorError> {
        let invalid = |field, reason: String| Err(OperatorError::Invalid { field, reason });
        if let Err(reason) = Check::Label.check(&self.namespace) {
            return invalid("namespace", reason);
        }
        if let Err(reason) = check_registry(&self.registry) {
            return invalid("registry", reason);
        }
        if let Some(Err(reason)) = self
            .image_pull_secret
            .as_deref()
            .map(|s| Check::Name.check(s))
        {
            return invalid("image_pull_secret", reason);
        }
        Ok(())
    }

    /// The operator's image at the built-in version.
    pub fn image(&self) -> String {
        format!("{}/{IMAGE}:{OPERATOR_VERSION}", self.registry)
    }
}

/// Checks a registry address (`ghcr.io/org`); the error says what is expected.
pub fn check_registry(registry: &str) -> Result<(), String> {
    if registry.is_empty() || registry.ends_with('/') || registry.contains(char::is_whitespace) {
        return Err(format!(
            "{registry:?} must be a registry address with an optional path (`ghcr.io/org`), without a trailing `/`"
        ));
    }
    Ok(())
}

/// The install objects for `spec`, in the manifests' order.
pub fn render(spec: &InstallSpec) -> Result<Vec<Value>, OperatorError> {
    spec.validate()?;
    let mut objects = parse_documents(INSTALL).map_err(OperatorError::Parse)?;
    let mut deployments = 0;
    for object in &mut objects {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match kind.as_str() {
            "Namespace" => object["metadata"]["name"] = json!(spec.namespace),
            "ClusterRoleBinding" => {
                for subject in array_at(object, "/subjects") {
                    subject["namespace"] = json!(spec.namespace);
                }
            }
            "Deployment" => {
                deployments += 1;
                set_image(object, spec)?;
            }
            _ => {}
        }
        if !is_cluster_scoped(object) {
            object["metadata"]["namespace"] = json!(spec.namespace);
        }
    }
    if deployments != 1 {
        return Err(unusable(format!("{deployments} Deployments, not one")));
    }
    Ok(objects)
}

fn unusable(reason: String) -> OperatorError {
    OperatorError::Manifests {
        version: OPERATOR_VERSION,
        reason,
    }
}

fn array_at<'a>(object: &'a mut Value, pointer: &str) -> impl Iterator<Item = &'a mut Value> {
    object
        .pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn set_image(deployment: &mut Value, spec: &InstallSpec) -> Result<(), OperatorError> {
    let released = format!("{DEFAULT_REGISTRY}/{IMAGE}:{OPERATOR_VERSION}");
    let mut replaced = 0;
    for container in array_at(deployment, "/spec/template/spec/containers") {
        if container.get("image").and_then(Value::as_str) == Some(released.as_str()) {
            container["image"] = json!(spec.image());
            replaced += 1;
        }
    }
    if replaced != 1 {
        return Err(unusable(format!("no container runs {released}")));
    }
    if let Some(secret) = &spec.image_pull_secret {
        deployment["spec"]["template"]["spec"]["imagePullSecrets"] = json!([{"name": secret}]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
        objects
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    #[test]
    fn the_built_in_version_is_the_generated_one() {
        let generated = include_str!("../../operator-manifests/VERSION");
        assert_eq!(generated.trim(), OPERATOR_VERSION);
    }

    #[test]
    fn default_render_is_the_release_install() {
        let objects = render(&InstallSpec::default()).unwrap();
        let crds = objects
            .iter()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
            .count();
        assert_eq!(crds, 4);
        let deployment = find(&objects, "Deployment");
        assert_eq!(deployment["metadata"]["namespace"], "flux-system");
        assert_eq!(
            deployment["spec"]["template"]["spec"]["containers"][0]["image"],
            "ghcr.io/controlplaneio-fluxcd/flux-operator:v0.59.0"
        );
        assert!(deployment["spec"]["template"]["spec"]
            .get("imagePullSecrets")
            .is_none());
    }

    #[test]
    fn namespace_registry_and_pull_secret_are_applied_everywhere() {
        let spec = InstallSpec {
            namespace: "ops".into(),
            registry: "registry.example.com/mirror".into(),
            image_pull_secret: Some("regcred".into()),
        };
        let objects = render(&spec).unwrap();
        assert_eq!(find(&objects, "Namespace")["metadata"]["name"], "ops");
        assert_eq!(
            find(&objects, "ClusterRoleBinding")["subjects"][0]["namespace"],
            "ops"
        );
        for kind in ["ServiceAccount", "Service", "Deployment"] {
            assert_eq!(
                find(&objects, kind)["metadata"]["namespace"],
                "ops",
                "{kind}"
            );
        }
        let pod = &find(&objects, "Deployment")["spec"]["template"]["spec"];
        assert_eq!(
            pod["containers"][0]["image"],
            "registry.example.com/mirror/flux-operator:v0.59.0"
        );
        assert_eq!(pod["imagePullSecrets"][0]["name"], "regcred");
        assert!(find(&objects, "CustomResourceDefinition")["metadata"]
            .get("namespace")
            .is_none());
    }

    #[test]
    fn bad_inputs_name_their_field() {
        let bad = |spec: InstallSpec| render(&spec).unwrap_err().to_string();
        let base = InstallSpec::default();
        assert!(bad(InstallSpec {
            namespace: "Flux".into(),
            ..base.clone()
        })
        .starts_with("invalid namespace:"));
        assert!(bad(InstallSpec {
            registry: "ghcr.io/org/".into(),
            ..base.clone()
        })
        .starts_with("invalid registry:"));
        assert!(bad(InstallSpec {
            image_pull_secret: Some("no_such".into()),
            ..base
        })
        .starts_with("invalid image_pull_secret:"));
    }
}

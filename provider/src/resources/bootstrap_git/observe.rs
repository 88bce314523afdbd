//! Reads what the cluster holds of one bootstrap, one object after the other.
//!
//! `Cluster::observe` joins an iterator of borrowed futures, which rustc cannot prove
//! `Send` inside `async_trait` methods (higher-ranked lifetime limitation); the same
//! reads are made here sequentially, with core's readiness rules.

use flux_core::cluster::{
    deployment_readiness, flux_readiness, normalize_revision, Cluster, ClusterError,
    ComponentObservation, FluxObjectObservation, ObjectRef, Observation, Readiness,
};
use flux_core::sync::SpecRef;
use serde_json::Value as Json;

fn text(object: &Json, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn root_object(object: &Json) -> FluxObjectObservation {
    FluxObjectObservation {
        readiness: flux_readiness(object, None),
        revision: text(object, "/status/artifact/revision")
            .or_else(|| text(object, "/status/lastAttemptedRevision"))
            .map(|r| normalize_revision(&r)),
        suspended: object.pointer("/spec/suspend").and_then(Json::as_bool) == Some(true),
        path: text(object, "/spec/path"),
        last_applied_revision: text(object, "/status/lastAppliedRevision")
            .map(|r| normalize_revision(&r)),
    }
}

fn component(name: &str, deployment: Option<&Json>) -> ComponentObservation {
    let Some(d) = deployment else {
        return ComponentObservation {
            name: name.to_owned(),
            present: false,
            images: Vec::new(),
            version: None,
            readiness: Readiness::InProgress("not found".into()),
        };
    };
    ComponentObservation {
        name: name.to_owned(),
        present: true,
        images: d
            .pointer("/spec/template/spec/containers")
            .and_then(Json::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("image").and_then(Json::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        version: text(d, "/metadata/labels/app.kubernetes.io~1version"),
        readiness: deployment_readiness(d),
    }
}

/// A Flux object, `None` when it or its CRD is missing. The CRD is looked up first:
/// the API server answers discovery of a group it does not serve with a plain-text 404
/// that the cluster engine reports as an error rather than as an absent kind.
async fn find_flux_object(
    cluster: &Cluster,
    crd: &str,
    object: ObjectRef,
) -> Result<Option<Json>, ClusterError> {
    let definition = ObjectRef::new(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        crd,
    );
    if cluster.find_object(&definition).await?.is_none() {
        return Ok(None);
    }
    cluster.find_object(&object).await
}

/// The root objects in `namespace`, the `components` Deployments and the fingerprint
/// of Secret `secret_name`.
pub async fn observe(
    cluster: &Cluster,
    namespace: String,
    components: Vec<String>,
    secret_name: Option<String>,
) -> Result<Observation, ClusterError> {
    let ns = Some(namespace.as_str());
    let repo = find_flux_object(
        cluster,
        "gitrepositories.source.toolkit.fluxcd.io",
        ObjectRef::new(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            ns,
            &namespace,
        ),
    )
    .await?;
    let ks = find_flux_object(
        cluster,
        "kustomizations.kustomize.toolkit.fluxcd.io",
        ObjectRef::new(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            ns,
            &namespace,
        ),
    )
    .await?;
    let mut seen = Vec::new();
    for name in components {
        let live = cluster
            .find_object(&ObjectRef::new("apps/v1", "Deployment", ns, &name))
            .await?;
        seen.push(component(&name, live.as_ref()));
    }
    let secret_fingerprint = match secret_name {
        Some(name) => cluster.find_secret_fingerprint(&namespace, &name).await?,
        None => None,
    };
    Ok(Observation {
        git_repository: repo.as_ref().map(root_object),
        kustomization: ks.as_ref().map(root_object),
        components: seen,
        secret_fingerprint,
        flux_version: None,
    })
}

/// The `spec.ref` of the root GitRepository `namespace`/`namespace`, `None` when it is
/// missing. Call it only once [`observe`] found that GitRepository (so its kind is
/// served).
pub async fn find_git_ref(
    cluster: &Cluster,
    namespace: &str,
) -> Result<Option<SpecRef>, ClusterError> {
    let object = ObjectRef::new(
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        Some(namespace),
        namespace,
    );
    Ok(cluster
        .find_object(&object)
        .await?
        .as_ref()
        .map(SpecRef::of_object))
}

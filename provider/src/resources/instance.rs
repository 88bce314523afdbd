//! `flux_instance`: the Flux Operator's FluxInstance.

use std::sync::Arc;

use flux_core::cluster::Cluster;
use flux_core::objects::kinds::FLUX_INSTANCE;
use flux_core::operator::distribution_drift;
use serde_json::Value as Json;
use tfplug::Diagnostic;

use super::flux_object::{DriftCheck, Findings, FluxObjectResource, StatusAttribute};

/// The resource type name.
pub const TYPE_NAME: &str = "flux_instance";

/// What the operator last installed: the distribution's version and the digest of its
/// manifests, so that an upgrade done by the operator shows in the state.
const LAST_APPLIED_REVISION: StatusAttribute = StatusAttribute {
    name: "last_applied_revision",
    pointer: "/status/lastAppliedRevision",
    description: "The distribution the operator last installed: `<version>@<digest of its manifests>` (the FluxInstance's `status.lastAppliedRevision`, e.g. `v2.9.4@sha256:…`). Null until the operator reconciled the instance.",
};

/// The Flux the operator installed against the Flux that runs.
const DISTRIBUTION_DRIFT: DriftCheck = DriftCheck {
    description: "What differs between the Flux the operator reports it installed (the instance's `status`: the distribution version and each component's image) and the Flux that runs in the instance's namespace, read as the operator's FluxReport reads it: a controller's Deployment missing, not ready or running another image, another version on Flux's CRDs. One line per finding, empty when none (null for git delivery). Planned empty, so a finding shows in the plan; the apply asks the operator to reconcile the instance, which applies Flux again, and fails if Flux still differs.",
    check: installed_flux_drift,
};

fn installed_flux_drift(cluster: Arc<Cluster>, instance: Json) -> Findings {
    Box::pin(async move {
        let namespace = instance
            .pointer("/metadata/namespace")
            .and_then(Json::as_str)
            .unwrap_or("flux-system")
            .to_owned();
        let installed = cluster
            .installed_distribution(&namespace)
            .await
            .map_err(|e| Diagnostic::from_error("Reading The Installed Flux Failed", &e))?;
        Ok(distribution_drift(&instance, &installed))
    })
}

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &FLUX_INSTANCE,
        "A FluxInstance (`fluxcd.controlplane.io/v1`) of the Flux Operator: the Flux distribution the operator installs and upgrades (version, registry, components, cluster settings, patches) and what the cluster syncs from. Needs the operator (`flux_operator`). Applied to the cluster (`delivery = \"cluster\"`, the usual way) or committed to the provider's repository (`delivery = \"git\"`).",
    )
    .with_status(&[LAST_APPLIED_REVISION])
    .with_cluster_drift(&DISTRIBUTION_DRIFT)
}

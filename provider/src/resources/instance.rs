//! `flux_instance`: the Flux Operator's FluxInstance.

use flux_core::objects::kinds::FLUX_INSTANCE;

use super::flux_object::{FluxObjectResource, StatusAttribute};

/// The resource type name.
pub const TYPE_NAME: &str = "flux_instance";

/// What the operator last installed: the distribution's version and the digest of its
/// manifests, so that an upgrade done by the operator shows in the state.
const LAST_APPLIED_REVISION: StatusAttribute = StatusAttribute {
    name: "last_applied_revision",
    pointer: "/status/lastAppliedRevision",
    description: "The distribution the operator last installed: `<version>@<digest of its manifests>` (the FluxInstance's `status.lastAppliedRevision`, e.g. `v2.9.4@sha256:…`). Null until the operator reconciled the instance.",
};

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &FLUX_INSTANCE,
        "A FluxInstance (`fluxcd.controlplane.io/v1`) of the Flux Operator: the Flux distribution the operator installs and upgrades (version, registry, components, cluster settings, patches) and what the cluster syncs from. Needs the operator (`flux_operator`). Applied to the cluster (`delivery = \"cluster\"`, the usual way) or committed to the provider's repository (`delivery = \"git\"`).",
    )
    .with_status(&[LAST_APPLIED_REVISION])
}

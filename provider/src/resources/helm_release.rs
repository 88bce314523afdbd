//! `flux_helm_release`: a Flux HelmRelease.

use flux_core::objects::kinds::HELM_RELEASE;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_helm_release";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &HELM_RELEASE,
        "A Flux HelmRelease (`helm.toolkit.fluxcd.io/v2`): a Helm chart installed and upgraded by helm-controller. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

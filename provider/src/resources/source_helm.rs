//! `flux_source_helm`: a Flux HelmRepository.

use flux_core::objects::kinds::HELM_REPOSITORY;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_source_helm";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &HELM_REPOSITORY,
        "A Flux HelmRepository (`source.toolkit.fluxcd.io/v1`): a chart repository (an `index.yaml` over HTTP(S), or an OCI registry) that HelmReleases take charts from. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

//! `flux_source_oci`: a Flux OCIRepository.

use flux_core::objects::kinds::OCI_REPOSITORY;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_source_oci";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &OCI_REPOSITORY,
        "An OCIRepository (`source.toolkit.fluxcd.io/v1`): an OCI artifact (a `flux push artifact`, a Helm chart in a registry) that source-controller pulls into an artifact for Kustomizations and HelmReleases. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

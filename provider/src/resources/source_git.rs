//! `flux_source_git`: a Flux GitRepository.

use flux_core::objects::kinds::GIT_REPOSITORY;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_source_git";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &GIT_REPOSITORY,
        "A Flux GitRepository (`source.toolkit.fluxcd.io/v1`): a git repository that source-controller fetches into an artifact for Kustomizations and HelmReleases. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

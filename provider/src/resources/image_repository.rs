//! `flux_image_repository`: a Flux ImageRepository.

use flux_core::objects::kinds::IMAGE_REPOSITORY;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_image_repository";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &IMAGE_REPOSITORY,
        "A Flux ImageRepository (`image.toolkit.fluxcd.io/v1`): a container image whose tags image-reflector-controller scans. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

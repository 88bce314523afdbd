//! `flux_image_policy`: a Flux ImagePolicy.

use flux_core::objects::kinds::IMAGE_POLICY;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_image_policy";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &IMAGE_POLICY,
        "A Flux ImagePolicy (`image.toolkit.fluxcd.io/v1`): how the latest tag of an ImageRepository is chosen (semver, alphabetical or numerical). Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

//! `flux_image_update_automation`: a Flux ImageUpdateAutomation.

use flux_core::objects::kinds::IMAGE_UPDATE_AUTOMATION;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_image_update_automation";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &IMAGE_UPDATE_AUTOMATION,
        "A Flux ImageUpdateAutomation (`image.toolkit.fluxcd.io/v1`): commits the tags chosen by ImagePolicies into the manifests of a GitRepository. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

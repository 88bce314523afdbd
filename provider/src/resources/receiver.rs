//! `flux_receiver`: a Flux Receiver.

use flux_core::objects::kinds::RECEIVER;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_receiver";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &RECEIVER,
        "A Flux Receiver (`notification.toolkit.fluxcd.io/v1`): a webhook endpoint that makes Flux reconcile objects when a git forge or a registry calls it. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

//! `flux_receiver`: a Flux Receiver.

use flux_core::objects::kinds::RECEIVER;

use super::flux_object::{FluxObjectResource, StatusAttribute};

/// The resource type name.
pub const TYPE_NAME: &str = "flux_receiver";

/// The path the controller serves the webhook at: a digest of the token, name and
/// namespace, so only the controller can say what it is.
const WEBHOOK_PATH: StatusAttribute = StatusAttribute {
    name: "webhook_path",
    pointer: "/status/webhookPath",
    description: "The path of the webhook (`/hook/<sha256 digest>`, from the Receiver's `status.webhookPath`), to append to the address where notification-controller's receiver server is exposed. Set once the controller has reconciled the Receiver (with `wait = true`, on create); null before.",
};

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &RECEIVER,
        "A Flux Receiver (`notification.toolkit.fluxcd.io/v1`): a webhook endpoint that makes Flux reconcile objects when a git forge or a registry calls it. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
    .with_status(&[WEBHOOK_PATH])
}

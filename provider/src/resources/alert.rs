//! `flux_alert`: a Flux Alert.

use flux_core::objects::kinds::ALERT;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_alert";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &ALERT,
        "A Flux Alert (`notification.toolkit.fluxcd.io/v1beta3`): which events of which objects are sent to a notification Provider. Alerts have no status: they are ready once they exist. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

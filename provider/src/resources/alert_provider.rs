//! `flux_alert_provider`: a Flux Provider.

use flux_core::objects::kinds::NOTIFICATION_PROVIDER;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_alert_provider";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &NOTIFICATION_PROVIDER,
        "A Flux notification Provider (`notification.toolkit.fluxcd.io/v1beta3`): where alerts are sent (Slack, Teams, a git forge's commit status, a webhook, ...). Providers have no status: they are ready once they exist. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

//! `flux_kustomization`: a Flux Kustomization.

use flux_core::objects::kinds::KUSTOMIZATION;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_kustomization";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &KUSTOMIZATION,
        "A Flux Kustomization (`kustomize.toolkit.fluxcd.io/v1`): applies the manifests under a path of a source and keeps them in sync. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

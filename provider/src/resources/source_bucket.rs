//! `flux_source_bucket`: a Flux Bucket.

use flux_core::objects::kinds::BUCKET;

use super::flux_object::FluxObjectResource;

/// The resource type name.
pub const TYPE_NAME: &str = "flux_source_bucket";

/// The resource.
pub fn resource() -> FluxObjectResource {
    FluxObjectResource::new(
        TYPE_NAME,
        &BUCKET,
        "A Flux Bucket (`source.toolkit.fluxcd.io/v1`): an S3-compatible, GCS or Azure Blob bucket that source-controller downloads into an artifact. Committed to the provider's repository (`delivery = \"git\"`) or applied to the cluster (`delivery = \"cluster\"`).",
    )
}

//! JSON merge patches, for the one case server-side apply cannot express: removing a
//! field that another field manager owns (a null in a merge patch removes it whoever
//! set it).

use kube::api::{Patch, PatchParams};
use serde_json::Value;

use super::{is_not_found, Cluster, ClusterError, ObjectRef, FIELD_MANAGER};

impl Cluster {
    /// Applies a JSON merge patch (RFC 7386) to one object. `Ok(false)` when the object
    /// (or its kind) does not exist.
    #[tracing::instrument(skip_all, fields(object = %object))]
    pub async fn merge_patch(
        &self,
        object: &ObjectRef,
        patch: &Value,
    ) -> Result<bool, ClusterError> {
        if self.find_resource(&object.gvk()).await?.is_none() {
            return Ok(false);
        }
        let api = self.api_for(object).await?;
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        };
        match api.patch(&object.name, &params, &Patch::Merge(patch)).await {
            Ok(_) => {
                tracing::debug!("merge-patched");
                Ok(true)
            }
            Err(error) if is_not_found(&error) => Ok(false),
            Err(source) => Err(ClusterError::Request {
                action: "patch",
                object: object.clone(),
                source: Box::new(source),
            }),
        }
    }
}

//! The provider's managed resources.

pub mod alert;
pub mod alert_provider;
pub mod bootstrap_git;
pub mod flux_object;
pub mod helm_release;
pub mod image_policy;
pub mod image_repository;
pub mod image_update_automation;
pub mod instance;
pub mod kustomization;
pub mod operator;
pub mod receiver;
pub mod source_bucket;
pub mod source_git;
pub mod source_helm;
pub mod source_oci;

use std::sync::Arc;

use tfplug::Resource;

use crate::config::ProviderData;

/// Every managed resource type.
pub fn all() -> Vec<Arc<dyn Resource<ProviderData>>> {
    vec![
        Arc::new(bootstrap_git::BootstrapGit::new()),
        source_git::resource().shared(),
        kustomization::resource().shared(),
        source_helm::resource().shared(),
        helm_release::resource().shared(),
        source_oci::resource().shared(),
        source_bucket::resource().shared(),
        alert_provider::resource().shared(),
        alert::resource().shared(),
        receiver::resource().shared(),
        image_repository::resource().shared(),
        image_policy::resource().shared(),
        image_update_automation::resource().shared(),
        Arc::new(operator::FluxOperator),
        instance::resource().shared(),
    ]
}

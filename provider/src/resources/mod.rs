//! The provider's managed resources.

pub mod bootstrap_git;
pub mod flux_object;
pub mod helm_release;
pub mod kustomization;
pub mod source_git;
pub mod source_helm;

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
    ]
}

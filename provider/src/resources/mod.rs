//! The provider's managed resources.

pub mod bootstrap_git;
pub mod flux_object;
pub mod kustomization;
pub mod source_git;

use std::sync::Arc;

use tfplug::Resource;

use crate::config::ProviderData;

/// Every managed resource type.
pub fn all() -> Vec<Arc<dyn Resource<ProviderData>>> {
    vec![
        Arc::new(bootstrap_git::BootstrapGit::new()),
        source_git::resource().shared(),
        kustomization::resource().shared(),
    ]
}

//! Data sources: `flux_install` and `flux_sync`, the manifests Flux's generators
//! produce, rendered offline.

pub mod install;
pub mod sync;

pub use install::InstallDataSource;
pub use sync::SyncDataSource;

/// `<target_path>/<namespace>/<file>`, or `<namespace>/<file>` for an empty target.
pub(crate) fn repository_path(target_path: &str, namespace: &str, file: &str) -> String {
    let target = target_path.trim_matches('/');
    if target.is_empty() || target == "." {
        format!("{namespace}/{file}")
    } else {
        format!("{target}/{namespace}/{file}")
    }
}

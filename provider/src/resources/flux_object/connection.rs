//! The connections of the Flux object resources: the provider's `kubernetes` and `git`
//! settings (these resources have no per-resource override), converted by
//! `crate::connection` exactly as for a bootstrap.

use flux_core::cluster::Cluster;
use flux_core::objects::GitDestination;
use tfplug::Diagnostic;

use crate::config::{ProviderData, Setting};

fn known<'a, T>(setting: &'a Setting<T>, what: &str) -> Result<&'a T, Diagnostic> {
    match setting {
        Setting::Known(v) => Ok(v),
        Setting::Unset => Err(Diagnostic::error(
            "Missing Configuration",
            format!("This operation needs the provider's `{what}` configuration."),
        )),
        Setting::Deferred => Err(Diagnostic::error(
            "Connection Settings Not Known",
            format!("The provider's `{what}` settings depend on values that are not known yet."),
        )),
    }
}

/// The cluster of the provider's `kubernetes` setting (dialled on first use).
pub fn cluster(data: &ProviderData) -> Result<Cluster, Diagnostic> {
    crate::connection::cluster(known(&data.kubernetes, "kubernetes")?)
}

/// The git destination of the provider's `git` setting. Blocking (see
/// `crate::connection::git_destination`).
pub fn git_destination(data: &ProviderData) -> Result<GitDestination, Diagnostic> {
    crate::connection::git_destination(known(&data.git, "git")?)
}

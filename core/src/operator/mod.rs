//! The Flux Operator (`controlplaneio-fluxcd/flux-operator`): its install manifests at
//! the built-in version (`core/operator-manifests`), rendered for a namespace, a registry
//! and an image pull secret, and the cluster steps that install, observe and remove it.
//! The operator then installs Flux itself from a FluxInstance (see
//! [`crate::objects::kinds::FLUX_INSTANCE`]).

mod distribution;
mod error;
mod install;
mod manifests;

pub use distribution::{distribution_drift, InstalledComponent, InstalledDistribution};
pub use error::OperatorError;
pub use install::{InstallObservation, RemovalSpec};
pub use manifests::{check_registry, render, InstallSpec, DEFAULT_REGISTRY, OPERATOR_VERSION};

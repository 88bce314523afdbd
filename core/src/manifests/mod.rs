//! Flux's install and sync manifests, and the kustomization override engine.
//!
//! Everything here is pure (no IO) except the base-manifest loaders
//! ([`BaseManifests::from_path`] and [`download_manifests`]).
//!
//! - [`render_install`] produces `gotk-components.yaml` from an [`InstallSpec`] and the
//!   [`BaseManifests`] (embedded at build time, read from disk, or downloaded).
//! - [`render_sync`] produces `gotk-sync.yaml` from a [`SyncSpec`].
//! - [`default_kustomization`] is the `kustomization.yaml` written next to them.
//! - [`Override::parse`] reads a `kustomization_override`, and [`apply_override`] applies it
//!   to the install and sync objects the way `kustomize build` does.
//!
//! The embedded manifests carry Flux [`EMBEDDED_VERSION`]. `core/build.rs` takes them from
//! the directory named by `FLUX_MANIFESTS_DIR` (default
//! `../shared/fixtures/flux-manifests/v2.9.4` beside the workspace root); the version is
//! read from a `VERSION` file in that directory, or else is the directory's name.
//!
//! ```no_run
//! use flux_core::manifests::{
//!     apply_override, render_install, BaseManifests, InstallOptions, InstallSpec, Override,
//! };
//!
//! let base = BaseManifests::embedded()?;
//! let spec = InstallSpec::from_options(InstallOptions::default()).map_err(|mut e| e.remove(0))?;
//! let install = render_install(&spec, &base)?;
//! let over = Override::parse("resources: [gotk-components.yaml, gotk-sync.yaml]\nnamespace: flux\n")?;
//! let objects = apply_override(install.objects, &over)?;
//! # Ok::<(), flux_core::manifests::ManifestError>(())
//! ```

mod base;
mod component;
mod download;
mod duration;
mod error;
mod install;
mod kustomization;
mod overrides;
mod scope;
mod sync;
mod validate;
mod yaml;

use serde_json::Value;

pub use crate::object_ref::ObjectRef;
pub use base::{BaseManifests, EMBEDDED_VERSION};
pub use component::Component;
pub use download::{download_manifests, DownloadSpec, DEFAULT_BASE_URL};
pub use duration::{DurationError, GoDuration};
pub use error::ManifestError;
pub use install::{
    install_header, install_objects, render_install, InstallOptions, InstallSpec, GENERATED_NOTICE,
};
pub use kustomization::{default_kustomization, Override, KUSTOMIZATION_FILES};
pub use overrides::apply_override;
pub use sync::{render_sync, sync_objects, GitRef, SyncOptions, SyncSpec};
pub use validate::{
    validate_cluster_domain, validate_commit, validate_components, validate_components_extra,
    validate_interval, validate_log_level, validate_namespace, validate_registry,
    validate_resource_name, validate_semver_range, validate_tag, validate_toleration_key,
    validate_version, LOG_LEVELS,
};
pub use yaml::{parse_documents, parse_yaml_stream, write_documents};

/// A rendered file: its full text and the objects it holds, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The file content, header included.
    pub text: String,
    /// The objects, as JSON values.
    pub objects: Vec<Value>,
}

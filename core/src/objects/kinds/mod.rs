//! The Flux kinds this engine manages, one file per kind, each with its field table
//! (Flux 2.9's stable APIs, see the API reference) and the rules that span several
//! fields. Field names are derived from Flux's keys ([`naming`]).

mod naming;
mod shared;

mod alert;
mod alert_provider;
mod flux_instance;
mod helm_release;
mod image_policy;
mod image_repository;
mod image_update_automation;
mod kustomization;
mod receiver;
mod source_bucket;
mod source_git;
mod source_helm;
mod source_oci;

use serde_json::{Map, Value};

use super::error::FieldError;
use super::field::FieldDef;

pub use alert::ALERT;
pub use alert_provider::NOTIFICATION_PROVIDER;
pub use flux_instance::{FLUX_INSTANCE, INSTANCE_COMPONENTS};
pub use helm_release::HELM_RELEASE;
pub use image_policy::IMAGE_POLICY;
pub use image_repository::IMAGE_REPOSITORY;
pub use image_update_automation::IMAGE_UPDATE_AUTOMATION;
pub use kustomization::KUSTOMIZATION;
pub use receiver::RECEIVER;
pub use source_bucket::BUCKET;
pub use source_git::GIT_REPOSITORY;
pub use source_helm::HELM_REPOSITORY;
pub use source_oci::OCI_REPOSITORY;

/// A Flux kind: its API coordinates, its spec table and its cross-field rules.
#[derive(Debug)]
pub struct KindDef {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The spec fields.
    pub fields: &'static [FieldDef],
    /// Rules over several fields of a rendered spec.
    pub rules: fn(&Map<String, Value>) -> Vec<FieldError>,
    /// Whether the controller never reconciles some objects of this kind (static
    /// objects have no Ready condition): decided from the spec.
    pub is_static: fn(&Map<String, Value>) -> bool,
    /// Fills the fields whose default depends on other fields, as `flux create` does.
    pub derived_defaults: fn(&mut Map<String, Value>),
    /// The one name the API accepts for objects of this kind, if it accepts only one
    /// (a FluxInstance is always `flux`).
    pub only_name: Option<&'static str>,
}

impl KindDef {
    /// The API group (`source.toolkit.fluxcd.io`).
    pub fn group(&self) -> &'static str {
        self.api_version.split('/').next().unwrap_or_default()
    }
}

/// Every kind.
pub fn all() -> [&'static KindDef; 13] {
    [
        &GIT_REPOSITORY,
        &OCI_REPOSITORY,
        &HELM_REPOSITORY,
        &BUCKET,
        &KUSTOMIZATION,
        &HELM_RELEASE,
        &NOTIFICATION_PROVIDER,
        &ALERT,
        &RECEIVER,
        &IMAGE_REPOSITORY,
        &IMAGE_POLICY,
        &IMAGE_UPDATE_AUTOMATION,
        &FLUX_INSTANCE,
    ]
}

//! Flux objects (sources, Kustomizations, HelmReleases, ...) as validated specs,
//! delivered either to git or to the cluster, and observed back for drift.
//!
//! - [`kinds`]: each kind's field table ([`FieldDef`]) with Flux's defaults and
//!   checks, and the rules spanning several fields.
//! - [`ObjectSpec::new`] fills the defaults and checks every field, returning every
//!   error at once with its field path (`source_ref.kind`), before anything is
//!   written anywhere.
//! - Git delivery ([`GitDelivery`]): the manifest is one file in a directory whose
//!   `kustomization.yaml` lists it, committed in batches shared by concurrent
//!   callers of the same repository.
//! - Cluster delivery ([`apply`], [`wait_ready`], [`delete`]): server-side apply,
//!   then a wait for Ready at the new generation that fails fast with the
//!   object's message.
//! - Observation: [`find`], [`GitDelivery::observe`], [`ObjectSpec::is_satisfied_by`],
//!   [`known_spec`] (what an import or a drift read turns into fields) and
//!   [`status_of`].

mod cluster;
mod defaults;
mod error;
mod field;
mod git;
pub mod kinds;
mod spec;

pub use cluster::{
    allow_prune, apply, delete, find, reconcile, status_of, wait_ready, ObjectStatus,
    RECONCILE_REQUEST_ANNOTATION,
};
pub use error::{FieldError, FieldPath, ObjectError, PathSegment};
pub use field::{Check, DefaultValue, FieldDef, FieldName, FieldType};
pub use git::{FileChange, FileObservation, GitDelivery, GitDestination, KUSTOMIZATION_FILE};
pub use kinds::KindDef;
pub use spec::{
    check_rules, file_name, known_spec, spec_is_satisfied, ObjectSpec, PRUNE_DISABLED_ANNOTATION,
};

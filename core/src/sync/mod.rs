//! The ref the root GitRepository follows and the revisions Flux reports for it:
//! source-controller's precedence among the `spec.ref` fields, revision names such as
//! `main@sha1:<sha>`, and switching the live ref until Flux follows the new one.

mod error;
mod follow;
mod revision;
mod spec_ref;
mod switch;

pub use error::SwitchError;
pub use follow::{settle, write, Written};
pub use revision::{names, Revision};
pub use spec_ref::SpecRef;
pub use switch::{Progress, Switch};

//! Conversion between tfplug's domain types and the protocol 6 messages: schemas,
//! diagnostics, attribute paths and dynamic values. Nothing here decides anything;
//! the domain modules know nothing of prost.

mod diag;
mod path;
mod schema;
mod value;

pub(crate) use diag::diagnostics;
pub(crate) use path::attribute_path;
pub(crate) use schema::schema;
pub(crate) use value::{decode, encode};

use crate::proto::tfplugin6 as pb;

/// What this server supports beyond the protocol's baseline.
pub(crate) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

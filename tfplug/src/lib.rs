//! The Terraform plugin protocol 6 over tonic and prost.
//!
//! A provider implements [`Provider`], whose resources implement [`Resource`] and data
//! sources [`DataSource`]; [`run`] serves it to Terraform (go-plugin handshake,
//! AutoMTLS, the gRPC services) from `main`. tfplug decodes every request against the
//! schema, runs attribute validators and the plan pipeline ([`plan`]), and turns the
//! provider's [`Diagnostics`] into Terraform's. It knows nothing of any particular
//! provider.
//!
//! ```no_run
//! # use tfplug::*;
//! # struct Mine;
//! # #[async_trait::async_trait]
//! # impl Provider for Mine {
//! #     type Data = ();
//! #     fn type_name(&self) -> &'static str { "mine" }
//! #     fn version(&self) -> &'static str { "0.1.0" }
//! #     fn schema(&self) -> Schema { Schema::default() }
//! #     async fn configure(&self, _: ConfigureRequest, _: &mut Diagnostics) -> Option<()> { Some(()) }
//! #     fn resources(&self) -> Vec<std::sync::Arc<dyn Resource<()>>> { Vec::new() }
//! # }
//! fn main() -> std::process::ExitCode {
//!     tfplug::run(Mine, ServeOptions {
//!         address: "registry.terraform.io/example/mine".into(),
//!         log_targets: vec!["terraform_provider_mine"],
//!     })
//! }
//! ```
#![deny(missing_docs)]

pub mod diag;
mod error;
mod grpc;
pub mod path;
pub mod plan;
mod provider;
mod schema;
mod serve;
mod server;
#[cfg(test)]
mod test_provider;
mod types;
pub mod validator;
pub mod value;
mod wire;

pub mod proto {
    //! Types generated from the protocol definitions, for tests and tools that talk
    //! to a provider as Terraform does.
    #![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
    pub mod tfplugin6 {
        //! Terraform plugin protocol 6.
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        //! go-plugin's controller service.
        tonic::include_proto!("plugin");
    }
}

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use error::{CodecError, ServeError};
pub use path::AttributePath;
pub use plan::PlanModifier;
pub use provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, DataReadResponse, DataSource, DeleteRequest,
    DeleteResponse, ImportResponse, PlanContext, Provider, ReadRequest, ReadResponse, Resource,
    UpgradeResponse,
};
pub use schema::{Attribute, AttributeKind, Block, NestedBlock, Nesting, Schema};
pub use serve::{run, serve, ServeOptions};
pub use types::Type;
pub use value::{FromValue, Number, ObjectAccess, Unknowable, Value};

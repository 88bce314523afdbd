//! Errors of the protocol layer: transport, handshake and value encoding. User-facing
//! problems are never errors here: they travel as [`Diagnostics`](crate::Diagnostics).

use crate::path::AttributePath;

/// A value could not be decoded from, or encoded to, the wire format.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The bytes are not msgpack.
    #[error("malformed msgpack value")]
    Msgpack(#[source] rmpv::decode::Error),
    /// The text is not JSON.
    #[error("malformed JSON state")]
    Json(#[source] serde_json::Error),
    /// A value does not have the shape its type requires.
    #[error("expected {expected} at {path}, found {found}")]
    Mismatch {
        /// Where in the value.
        path: AttributePath,
        /// The type the schema requires.
        expected: String,
        /// What was there.
        found: String,
    },
    /// An object carries an attribute its type does not have.
    #[error("unsupported attribute {name:?} at {path}")]
    UnexpectedAttribute {
        /// The object's path.
        path: AttributePath,
        /// The attribute name.
        name: String,
    },
    /// A dynamic value's type header is not a valid type.
    #[error("invalid type header of a dynamic value at {path}")]
    DynamicType {
        /// Where in the value.
        path: AttributePath,
    },
    /// Writing the encoded bytes failed.
    #[error("failed to write msgpack value")]
    Write(#[source] std::io::Error),
}

/// A failure to serve the plugin protocol.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Terraform did not start this process.
    #[error("this binary is a Terraform plugin: it is started by Terraform, not run by hand")]
    NotLaunchedByTerraform,
    /// Terraform offered no protocol version this plugin speaks.
    #[error("Terraform offered plugin protocol versions {offered:?}, but this provider speaks only version 6")]
    UnsupportedProtocol {
        /// The versions Terraform offered.
        offered: String,
    },
    /// The client certificate Terraform passed cannot be read.
    #[error("invalid PLUGIN_CLIENT_CERT")]
    ClientCertificate(#[source] rustls_pki_types::pem::Error),
    /// The server certificate could not be generated.
    #[error("failed to generate the server certificate")]
    ServerCertificate(#[source] rcgen::Error),
    /// The TLS configuration was rejected.
    #[error("failed to configure TLS")]
    Tls(#[source] rustls::Error),
    /// Listening or writing the handshake failed.
    #[error("failed to listen on loopback")]
    Io(#[source] std::io::Error),
    /// The gRPC server stopped with an error.
    #[error("the gRPC server failed")]
    Transport(#[source] tonic::transport::Error),
}

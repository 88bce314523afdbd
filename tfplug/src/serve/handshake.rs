//! go-plugin's handshake: the magic cookie that proves Terraform started us, the
//! protocol version negotiation, and the one line written to stdout.

use base64::Engine as _;

use crate::error::ServeError;

/// The cookie go-plugin sets for Terraform providers.
pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub(crate) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only application protocol this crate speaks.
pub(crate) const PROTOCOL_VERSION: u32 = 6;

/// Checks that Terraform started this process: a person running the binary by hand
/// gets a message instead of a process waiting forever.
pub(crate) fn check_cookie(value: Option<&str>) -> Result<(), ServeError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(ServeError::NotLaunchedByTerraform),
    }
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` ("5,6" or "6,5": a Go map's
/// random order). An absent variable means an old client that only knows its default,
/// which for protocol-6 providers is 6.
pub(crate) fn negotiate(offered: Option<&str>) -> Result<u32, ServeError> {
    let Some(offered) = offered else {
        return Ok(PROTOCOL_VERSION);
    };
    let speaks_6 = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PROTOCOL_VERSION);
    if speaks_6 {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(ServeError::UnsupportedProtocol {
            offered: offered.to_string(),
        })
    }
}

/// The handshake line: `1|6|tcp|127.0.0.1:PORT|grpc|CERT`, where CERT is the server
/// certificate's DER in standard base64 without padding (empty for plaintext).
pub(crate) fn line(address: &std::net::SocketAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("1|{PROTOCOL_VERSION}|tcp|{address}|grpc|{cert}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(check_cookie(Some(MAGIC_COOKIE_VALUE)).is_ok());
        assert!(matches!(
            check_cookie(None),
            Err(ServeError::NotLaunchedByTerraform)
        ));
        assert!(check_cookie(Some("nope")).is_err());
    }

    #[test]
    fn negotiation_accepts_6_in_any_order() {
        assert_eq!(negotiate(Some("5,6")).unwrap(), 6);
        assert_eq!(negotiate(Some("6,5")).unwrap(), 6);
        assert_eq!(negotiate(None).unwrap(), 6);
        let err = negotiate(Some("4,5")).unwrap_err();
        assert!(err.to_string().contains("\"4,5\""));
    }

    #[test]
    fn line_has_six_fields_and_unpadded_base64() {
        let addr: std::net::SocketAddr = "127.0.0.1:12345".parse().unwrap();
        let l = line(&addr, Some(&[1, 2, 3, 4]));
        assert_eq!(l, "1|6|tcp|127.0.0.1:12345|grpc|AQIDBA\n");
        assert_eq!(line(&addr, None), "1|6|tcp|127.0.0.1:12345|grpc|\n");
    }
}

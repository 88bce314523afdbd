//! The ref advertisement of git's smart protocol (v0/v1), read far enough to find
//! one branch's tip: the pkt-lines `upload-pack` sends before any negotiation.

use std::io::Read;

/// Why an advertisement could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AdvertisementError {
    /// The stream broke or ended before the closing flush-pkt.
    #[error("reading the ref advertisement failed")]
    Io {
        #[source]
        source: std::io::Error,
    },
    /// A pkt-line length or ref line is not what the protocol allows.
    #[error("malformed ref advertisement: {reason}")]
    Malformed { reason: &'static str },
    /// The server answered with an `ERR` pkt-line.
    #[error("the server refused the request: {message}")]
    Refused { message: String },
}

/// The largest pkt-line the protocol allows, header included.
const MAX_PKT_LEN: usize = 65520;

/// Reads pkt-lines up to the closing flush-pkt and returns the object id
/// advertised for `wanted` (a full ref name), `None` when it is not advertised.
pub(crate) fn find_ref_tip(
    stream: &mut impl Read,
    wanted: &str,
) -> Result<Option<git2::Oid>, AdvertisementError> {
    let mut found = None;
    while let Some(line) = read_pkt_line(stream)? {
        if let Some(message) = line.strip_prefix(b"ERR ") {
            return Err(AdvertisementError::Refused {
                message: String::from_utf8_lossy(message).trim().to_string(),
            });
        }
        // The first line carries the capabilities after a NUL.
        let line = line.split(|b| *b == 0).next().unwrap_or_default();
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let Some(space) = line.iter().position(|b| *b == b' ') else {
            return Err(AdvertisementError::Malformed {
                reason: "a ref line has no space",
            });
        };
        let (id, name) = (&line[..space], &line[space + 1..]);
        if found.is_none() && name == wanted.as_bytes() {
            let id = std::str::from_utf8(id)
                .ok()
                .and_then(|id| git2::Oid::from_str(id).ok())
                .ok_or(AdvertisementError::Malformed {
                    reason: "a ref line has no object id",
                })?;
            found = Some(id);
        }
    }
    Ok(found)
}

/// One pkt-line's payload, or `None` for a flush-pkt.
fn read_pkt_line(stream: &mut impl Read) -> Result<Option<Vec<u8>>, AdvertisementError> {
    let io = |source| AdvertisementError::Io { source };
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).map_err(io)?;
    let len = std::str::from_utf8(&header)
        .ok()
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        .ok_or(AdvertisementError::Malformed {
            reason: "a pkt-line length is not hexadecimal",
        })?;
    if len == 0 {
        return Ok(None);
    }
    if !(4..=MAX_PKT_LEN).contains(&len) {
        return Err(AdvertisementError::Malformed {
            reason: "a pkt-line length is out of range",
        });
    }
    let mut payload = vec![0u8; len - 4];
    stream.read_exact(&mut payload).map_err(io)?;
    Ok(Some(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(payload: &str) -> String {
        format!("{:04x}{payload}", payload.len() + 4)
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn find_ref_tip_branch_after_capabilities_is_found() {
        let text = format!(
            "{}{}{}0000",
            pkt(&format!("{A} HEAD\0multi_ack side-band-64k\n")),
            pkt(&format!("{A} refs/heads/dev\n")),
            pkt(&format!("{B} refs/heads/main\n")),
        );
        let tip = find_ref_tip(&mut text.as_bytes(), "refs/heads/main").unwrap();
        assert_eq!(tip, Some(git2::Oid::from_str(B).unwrap()));
    }

    #[test]
    fn find_ref_tip_missing_branch_or_empty_repository_is_none() {
        let zero = "0".repeat(40);
        let text = format!(
            "{}0000",
            pkt(&format!("{zero} capabilities^{{}}\0agent=git\n"))
        );
        assert_eq!(
            find_ref_tip(&mut text.as_bytes(), "refs/heads/main").unwrap(),
            None
        );
        assert_eq!(
            find_ref_tip(&mut "0000".as_bytes(), "refs/heads/x").unwrap(),
            None
        );
    }

    #[test]
    fn find_ref_tip_truncated_stream_is_an_io_error() {
        let text = pkt(&format!("{A} refs/heads/main\n"));
        let err = find_ref_tip(&mut text.as_bytes(), "refs/heads/main").unwrap_err();
        assert!(matches!(err, AdvertisementError::Io { .. }), "{err:?}");
    }

    #[test]
    fn find_ref_tip_err_line_and_bad_length_are_errors() {
        let text = format!("{}0000", pkt("ERR access denied\n"));
        let err = find_ref_tip(&mut text.as_bytes(), "refs/heads/main").unwrap_err();
        assert!(err.to_string().contains("access denied"), "{err}");
        let err = find_ref_tip(&mut "zzzz".as_bytes(), "refs/heads/main").unwrap_err();
        assert!(
            matches!(err, AdvertisementError::Malformed { .. }),
            "{err:?}"
        );
        let err = find_ref_tip(&mut "0002".as_bytes(), "refs/heads/main").unwrap_err();
        assert!(
            matches!(err, AdvertisementError::Malformed { .. }),
            "{err:?}"
        );
    }
}

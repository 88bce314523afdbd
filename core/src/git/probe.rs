//! A bounded check that a git server answers at all, run before each libgit2
//! network operation.
//!
//! libgit2's own connect and read timeouts are process-wide settings that the git2
//! crate exposes only as `unsafe` functions, which this workspace forbids; without
//! this check a server that accepts the connection and then sends nothing would hold
//! the calling thread (and the repository's lock) forever. The check only decides
//! "answers within the bound" or "does not": any other failure (refused, reset, bad
//! certificate) is left to the libgit2 operation, which reports it in its own words.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, SslConnector, SslMethod, SslVerifyMode};

use super::remote::{ParsedUrl, Scheme};
use super::GitError;

/// The bound of each network step when the caller sets none.
pub(crate) const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// What the probe waited for when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    Connection,
    TlsHandshake,
    Answer,
}

impl Awaited {
    fn describe(self) -> &'static str {
        match self {
            Self::Connection => "a connection",
            Self::TlsHandshake => "the TLS handshake",
            Self::Answer => "the server's first answer",
        }
    }
}

/// Whether an IO error means the bound ran out (a socket timeout reads as
/// `WouldBlock` on Unix).
fn is_timeout(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::TimedOut | ErrorKind::WouldBlock)
}

/// Fails with [`GitError::Unresponsive`] when the server of `parsed` accepts no
/// connection, completes no TLS handshake or sends nothing within `timeout`.
#[tracing::instrument(skip_all, fields(host = %parsed.host))]
pub(crate) fn ensure_answers(
    parsed: &ParsedUrl,
    operation: &'static str,
    timeout: Duration,
) -> Result<(), GitError> {
    let deadline = Instant::now() + timeout;
    let service = match operation {
        "push" => "git-receive-pack",
        _ => "git-upload-pack",
    };
    match probe(parsed, service, deadline) {
        Some(awaited) => {
            tracing::warn!(
                operation,
                awaited = awaited.describe(),
                "git server did not answer"
            );
            Err(GitError::Unresponsive {
                operation,
                url: parsed.redacted.clone(),
                awaited: awaited.describe(),
                timeout,
            })
        }
        None => Ok(()),
    }
}

/// `Some(step)` when `step` ran out of time; `None` when the server answered, or
/// failed in a way libgit2 reports better.
fn probe(parsed: &ParsedUrl, service: &str, deadline: Instant) -> Option<Awaited> {
    let port = parsed.port.unwrap_or(match parsed.scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
        Scheme::Ssh => 22,
    });
    let addresses: Vec<SocketAddr> = (parsed.host.as_str(), port)
        .to_socket_addrs()
        .ok()?
        .collect();
    let stream = match connect(&addresses, deadline) {
        Ok(stream) => stream,
        Err(kind) if is_timeout(kind) => return Some(Awaited::Connection),
        Err(_) => return None,
    };
    match parsed.scheme {
        // An ssh server speaks first: its version banner.
        Scheme::Ssh => first_byte(stream),
        Scheme::Http => request(stream, parsed, service),
        Scheme::Https => {
            let tls = match tls_handshake(stream, &parsed.host) {
                Ok(tls) => tls,
                Err(timed_out) => return timed_out.then_some(Awaited::TlsHandshake),
            };
            if !bound(tls.get_ref(), deadline) {
                return Some(Awaited::Answer);
            }
            request(tls, parsed, service)
        }
    }
}

/// Bounds the socket's reads and writes by the time left; false when none is.
fn bound(stream: &TcpStream, deadline: Instant) -> bool {
    let Some(left) = remaining(deadline) else {
        return false;
    };
    stream.set_read_timeout(Some(left)).is_ok() && stream.set_write_timeout(Some(left)).is_ok()
}

fn remaining(deadline: Instant) -> Option<Duration> {
    Some(deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
}

/// A connection to the first address that takes one, each bounded by the time left.
fn connect(addresses: &[SocketAddr], deadline: Instant) -> Result<TcpStream, ErrorKind> {
    let mut last = ErrorKind::NotFound;
    for address in addresses {
        let Some(left) = remaining(deadline) else {
            return Err(ErrorKind::TimedOut);
        };
        match TcpStream::connect_timeout(address, left) {
            Ok(stream) if bound(&stream, deadline) => return Ok(stream),
            Ok(_) => return Err(ErrorKind::TimedOut),
            Err(error) => last = error.kind(),
        }
    }
    Err(last)
}

/// A TLS session whose certificate is deliberately not checked: the probe sends
/// no credential, and the libgit2 operation that follows verifies the certificate.
/// `Err(true)` when the handshake ran out of time.
fn tls_handshake(
    stream: TcpStream,
    host: &str,
) -> Result<openssl::ssl::SslStream<TcpStream>, bool> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|_| false)?;
    builder.set_verify(SslVerifyMode::NONE);
    let config = builder
        .build()
        .configure()
        .map_err(|_| false)?
        .verify_hostname(false);
    match config.connect(host, stream) {
        Ok(tls) => Ok(tls),
        Err(HandshakeError::WouldBlock(_)) => Err(true),
        Err(HandshakeError::Failure(mid)) => {
            Err(mid.error().io_error().is_some_and(|e| is_timeout(e.kind())))
        }
        Err(HandshakeError::SetupFailure(_)) => Err(false),
    }
}

/// Sends the request the operation starts with (the ref advertisement of
/// `service`, without credentials) and waits for the first byte of the answer.
fn request(mut stream: impl Read + Write, parsed: &ParsedUrl, service: &str) -> Option<Awaited> {
    let (authority, path) = authority_and_path(&parsed.redacted);
    let text = format!(
        "GET {path}/info/refs?service={service} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: git/2.0 (flux-core probe)\r\nConnection: close\r\n\r\n"
    );
    if let Err(error) = stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        return is_timeout(error.kind()).then_some(Awaited::Answer);
    }
    first_byte(stream)
}

/// `scheme://authority/path` split into the authority and the path (without a
/// trailing slash).
fn authority_and_path(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    (authority, path.trim_end_matches('/'))
}

/// Waits for one byte (the socket's timeouts bound the wait); a closed connection
/// or an error other than a timeout counts as an answer that libgit2 reports.
fn first_byte(mut stream: impl Read) -> Option<Awaited> {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(error) if is_timeout(error.kind()) => Some(Awaited::Answer),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn parsed(url: &str) -> ParsedUrl {
        super::super::remote::parse_url(url).unwrap()
    }

    /// A listener that accepts connections and never writes a byte.
    fn silent_listener() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        (listener, port)
    }

    #[test]
    fn authority_and_path_split_the_redacted_url() {
        assert_eq!(
            authority_and_path("https://h:8443/org/r.git/"),
            ("h:8443", "/org/r.git")
        );
        assert_eq!(authority_and_path("http://[::1]/r"), ("[::1]", "/r"));
    }

    #[test]
    fn silent_servers_time_out_naming_the_step_and_the_url() {
        let (_listener, port) = silent_listener();
        for (url, awaited) in [
            (
                format!("http://127.0.0.1:{port}/r.git"),
                "the server's first answer",
            ),
            (
                format!("https://127.0.0.1:{port}/r.git"),
                "the TLS handshake",
            ),
            (
                format!("ssh://git@127.0.0.1:{port}/r.git"),
                "the server's first answer",
            ),
        ] {
            let started = Instant::now();
            let error =
                ensure_answers(&parsed(&url), "fetch", Duration::from_millis(300)).unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(5), "{url}");
            let text = error.to_string();
            assert!(text.contains(&url) && text.contains("fetch"), "{text}");
            assert!(text.contains(awaited), "{text}");
            assert!(error.is_retryable());
        }
    }

    #[test]
    fn refused_connection_is_left_to_libgit2() {
        let (listener, port) = silent_listener();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/r.git");
        assert!(ensure_answers(&parsed(&url), "fetch", Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn a_server_that_answers_passes() {
        let (listener, port) = silent_listener();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream.write_all(b"SSH-2.0-test\r\n").unwrap();
        });
        let url = format!("ssh://git@127.0.0.1:{port}/r.git");
        assert!(ensure_answers(&parsed(&url), "fetch", Duration::from_secs(5)).is_ok());
        server.join().unwrap();
    }
}

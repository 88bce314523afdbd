//! Plain HTTP on loopback for the notification tests: a listener that records the
//! requests notification-controller sends to an alert Provider's address, and a
//! client that calls a Receiver's webhook. Only what those two need of HTTP/1.1:
//! one request per connection, bodies by Content-Length or chunked.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A request the listener received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, ...
    pub method: String,
    /// The request target (`/hook`).
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// A listener on `127.0.0.1` answering `200 OK` to every request, for at most the
/// lifetime given to [`Listener::start`], so that a test failing early leaves no
/// thread behind for long.
pub struct Listener {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Receiver<Request>,
}

impl Listener {
    /// Starts listening; the thread stops after `lifetime` (or at the first request
    /// after the value is dropped).
    pub fn start(lifetime: Duration) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local addr: {e}"))
            .port();
        // Non-blocking accept so the thread sees its deadline and a dropped receiver.
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("set_nonblocking: {e}"));
        let (sender, requests) = mpsc::channel();
        let deadline = Instant::now() + lifetime;
        std::thread::spawn(move || {
            while Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let Some(request) = serve(stream) else {
                            continue;
                        };
                        if sender.send(request).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(_) => return,
                }
            }
        });
        Listener {
            url: format!("http://127.0.0.1:{port}"),
            requests,
        }
    }

    /// The next request, or `None` when none came within `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Request> {
        self.requests.recv_timeout(timeout).ok()
    }
}

fn serve(stream: TcpStream) -> Option<Request> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let (method, path, headers) = read_head(&mut reader)?;
    let body = read_body(&mut reader, &headers)?;
    let mut stream = stream;
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

type Head = (String, String, BTreeMap<String, String>);

/// The start line (its first two words) and the headers.
fn read_head(reader: &mut impl BufRead) -> Option<Head> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let first = words.next()?.to_string();
    let second = words.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Some((first, second, headers));
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
}

fn read_body(reader: &mut impl BufRead, headers: &BTreeMap<String, String>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                return Some(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    let length = headers
        .get("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(0);
    body.resize(length, 0);
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// `POST url` with a JSON body: the status code and the response body.
pub fn post_json(url: &str, body: &str) -> (u16, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url} is not an http:// URL"));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| panic!("{e}"));
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let mut reader = BufReader::new(stream);
    let (_, code, headers) =
        read_head(&mut reader).unwrap_or_else(|| panic!("POST {url}: no HTTP response"));
    let code = code
        .parse()
        .unwrap_or_else(|e| panic!("POST {url}: status {code:?}: {e}"));
    let body =
        if headers.contains_key("content-length") || headers.contains_key("transfer-encoding") {
            read_body(&mut reader, &headers).unwrap_or_default()
        } else {
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            rest
        };
    (code, String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_records_a_post_with_headers_and_body() {
        let listener = Listener::start(Duration::from_secs(20));
        let (code, _) = post_json(&format!("{}/hook", listener.url), "{\"a\":1}");
        assert_eq!(code, 200);
        let request = listener.next(Duration::from_secs(5));
        let request = request.unwrap_or_else(|| panic!("no request recorded"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hook");
        assert_eq!(request.body, b"{\"a\":1}");
        assert_eq!(
            request.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert!(listener.next(Duration::from_millis(200)).is_none());
    }
}

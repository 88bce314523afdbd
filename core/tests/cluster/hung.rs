//! API servers that refuse, or accept and then say nothing: each request ends within
//! the cluster's request timeout, and its error names the server and the object.
//! These need no environment: the servers are local listeners.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;

const BOUND: Duration = Duration::from_secs(2);

/// Accepts connections; with `read_request` it also reads what the client sends,
/// and it never answers.
fn silent_server(read_request: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            if read_request {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer);
            }
            held.lock().unwrap().push(stream);
        }
    });
    port
}

async fn read_namespace(server: &str) -> (ClusterError, Duration) {
    let cluster = Cluster::new(ConnectionSpec {
        host: Some(server.to_string()),
        insecure: Some(server.starts_with("https")),
        ..ConnectionSpec::default()
    })
    .unwrap()
    .with_request_timeout(BOUND);
    let started = Instant::now();
    let error = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "flux-system"))
        .await
        .unwrap_err();
    (error, started.elapsed())
}

#[tokio::test]
async fn hung_refused_connection_names_the_server() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = format!("https://127.0.0.1:{port}");
    let (error, _) = read_namespace(&server).await;
    let text = error.with_causes();
    assert_eq!(error.unreachable_server(), Some(server.as_str()), "{text}");
    assert!(text.contains(&format!("API server at {server}")), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
    assert!(error.is_retryable(), "{text}");
}

#[tokio::test]
async fn hung_server_that_never_completes_tls_ends_within_the_bound() {
    let server = format!("https://127.0.0.1:{}", silent_server(false));
    let (error, elapsed) = read_namespace(&server).await;
    let text = error.with_causes();
    assert!(elapsed < BOUND * 3, "took {elapsed:?}: {text}");
    assert_eq!(error.unreachable_server(), Some(server.as_str()), "{text}");
    assert!(text.contains(&format!("API server at {server}")), "{text}");
}

#[tokio::test]
async fn hung_server_that_never_answers_a_request_ends_within_the_bound() {
    let server = format!("http://127.0.0.1:{}", silent_server(true));
    let (error, elapsed) = read_namespace(&server).await;
    let text = error.with_causes();
    assert!(elapsed < BOUND * 3, "took {elapsed:?}: {text}");
    assert_eq!(error.unreachable_server(), Some(server.as_str()), "{text}");
    assert!(text.contains(&format!("API server at {server}")), "{text}");
}

//! Servers that accept a connection and then say nothing: every network step of
//! the engine gives up within its bound, naming the URL and the step, and nothing
//! is pushed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::*;

const BOUND: Duration = Duration::from_secs(2);

/// Accepts every connection and keeps it open without sending a byte, until dropped.
struct SilentServer {
    port: u16,
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&held);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                keep.lock().unwrap().push(stream);
            }
        });
        Self { port, _held: held }
    }
}

/// Forwards connections to `upstream`, except those whose request names
/// `stall_on`: those are held open without an answer.
struct StallingProxy {
    port: u16,
}

impl StallingProxy {
    fn start(upstream: u16, stall_on: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        std::thread::spawn(move || {
            for mut client in listener.incoming().flatten() {
                let mut first = vec![0u8; 4096];
                let n = client.read(&mut first).unwrap_or(0);
                if String::from_utf8_lossy(&first[..n]).contains(stall_on) {
                    held.lock().unwrap().push(client);
                    continue;
                }
                let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                server.write_all(&first[..n]).unwrap();
                let (mut client_read, mut server_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_read, &mut server_write);
                    let _ = server_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server, &mut client);
                    let _ = client.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Self { port }
    }
}

fn port_of(url: &str) -> u16 {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    authority.rsplit_once(':').unwrap().1.parse().unwrap()
}

fn assert_gave_up(error: &GitError, started: Instant, url: &str, operation: &str) {
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND * 3, "took {elapsed:?}");
    assert!(matches!(error, GitError::Unresponsive { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(url), "{text}");
    assert!(text.contains(&format!("git {operation} ")), "{text}");
    assert!(error.is_retryable());
}

#[test]
fn git_silent_http_https_and_ssh_servers_end_reads_and_commits_within_the_bound() {
    let server = GitServer::shared();
    let silent = SilentServer::start();
    let port = silent.port;
    let remotes = [
        server.http_remote(&format!("http://127.0.0.1:{port}/git/silent.git")),
        server.https_remote(&format!("https://127.0.0.1:{port}/git/silent.git")),
        server.ssh_remote(&format!("ssh://git@127.0.0.1:{port}/srv/git/silent.git")),
    ];
    for remote in remotes {
        let (_dir, cache) = new_cache();
        let cache = cache.with_network_timeout(BOUND);
        let started = Instant::now();
        let error = cache.read_files(&remote, &["README.md"]).unwrap_err();
        assert_gave_up(&error, started, &remote.url, "fetch");
        let started = Instant::now();
        let error = cache
            .commit(&remote, &tx("never pushed", &[("a.yaml", "a: 1\n")]))
            .unwrap_err();
        assert_gave_up(&error, started, &remote.url, "fetch");
    }
}

#[test]
fn git_http_push_to_a_server_that_stops_answering_ends_within_the_bound_and_pushes_nothing() {
    let server = GitServer::shared();
    let urls = server.new_repo("hung-push", false);
    let before = server.git("hung-push", &["rev-parse", "main"]);
    let proxy = StallingProxy::start(port_of(&urls.http), "git-receive-pack");
    let url = urls.http.replace(
        &format!(":{}/", port_of(&urls.http)),
        &format!(":{}/", proxy.port),
    );
    let remote = server.http_remote(&url);
    let (_dir, cache) = new_cache();
    let cache = cache.with_network_timeout(BOUND);
    let seen = cache.read_files(&remote, &["README.md"]).unwrap();
    assert_eq!(seen.commit.as_deref(), Some(before.as_str()));

    let started = Instant::now();
    let error = cache
        .commit(&remote, &tx("never pushed", &[("a.yaml", "a: 1\n")]))
        .unwrap_err();
    assert_gave_up(&error, started, &url, "push");
    assert_eq!(server.git("hung-push", &["rev-parse", "main"]), before);
}

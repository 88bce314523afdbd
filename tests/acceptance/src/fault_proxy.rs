//! A TCP relay in front of a real server (the git server's plain-HTTP port, or the
//! kube-apiserver's TLS port, passed through unread), so that a test can make the
//! server unreachable on demand: the port closed (new connections refused, open ones
//! reset), a git push cut in the middle of its pack, or held before it goes upstream
//! until the test lets it go (so that the test can act while the pusher waits). The server behind it is the real
//! one; the relay only forwards bytes or drops connections, as a network fault would.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test harness: a relay that cannot listen fails the calling test"
)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the relay does with new traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Drop a `git-receive-pack` POST once this many bytes of it went upstream.
    CutPushAfter(usize),
    /// Hold each `git-receive-pack` POST before it goes upstream until
    /// [`FaultProxy::release_pushes`].
    HoldPushes,
}

/// How long a held push waits at most, so that a test that fails before releasing it
/// does not leave a thread behind for ever.
const HOLD_LIMIT: Duration = Duration::from_secs(600);

struct Shared {
    upstream: SocketAddr,
    fault: Mutex<Fault>,
    open: AtomicBool,
    cut_pushes: AtomicUsize,
    held_pushes: AtomicUsize,
    released: (Mutex<bool>, Condvar),
    connections: Mutex<Vec<TcpStream>>,
}

/// The relay; stops listening when dropped.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// A relay on a free local port to the host and port of `url`.
    pub fn start(url: &str) -> FaultProxy {
        let authority = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let upstream: SocketAddr = authority
            .parse()
            .unwrap_or_else(|e| panic!("{url} has no host:port ({e})"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream,
            fault: Mutex::new(Fault::None),
            open: AtomicBool::new(true),
            cut_pushes: AtomicUsize::new(0),
            held_pushes: AtomicUsize::new(0),
            released: (Mutex::new(false), Condvar::new()),
            connections: Mutex::new(Vec::new()),
        });
        let mut proxy = FaultProxy {
            port,
            shared,
            listener: None,
        };
        proxy.listener = Some(serve(listener, proxy.shared.clone()));
        proxy
    }

    /// `url` with its host and port replaced by the relay's.
    pub fn url_for(&self, url: &str) -> String {
        url.replacen(
            &self.shared.upstream.to_string(),
            &format!("127.0.0.1:{}", self.port),
            1,
        )
    }

    /// Sets the fault for connections from now on.
    pub fn set_fault(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap() = fault;
    }

    /// How many pushes were cut so far.
    pub fn cut_pushes(&self) -> usize {
        self.shared.cut_pushes.load(Ordering::SeqCst)
    }

    /// How many pushes were held so far.
    pub fn held_pushes(&self) -> usize {
        self.shared.held_pushes.load(Ordering::SeqCst)
    }

    /// Lets the held pushes go upstream, and every later one too.
    pub fn release_pushes(&self) {
        let (released, wake) = &self.shared.released;
        *released.lock().unwrap() = true;
        wake.notify_all();
    }

    /// Closes the port and resets the open connections: connections are refused until
    /// [`FaultProxy::open`].
    pub fn close(&mut self) {
        self.shared.open.store(false, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(handle) = self.listener.take() {
            let _ = handle.join();
        }
        for stream in self.shared.connections.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port.
    pub fn open(&mut self) {
        if self.listener.is_some() {
            return;
        }
        self.shared.open.store(true, Ordering::SeqCst);
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.listener = Some(serve(listener, self.shared.clone()));
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.release_pushes();
        self.close();
    }
}

fn serve(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for client in listener.incoming() {
            if !shared.open.load(Ordering::SeqCst) {
                break;
            }
            let Ok(client) = client else { continue };
            let shared = shared.clone();
            std::thread::spawn(move || relay(client, &shared));
        }
    })
}

fn relay(client: TcpStream, shared: &Shared) {
    let Ok(server) = TcpStream::connect(shared.upstream) else {
        return;
    };
    let fault = *shared.fault.lock().unwrap();
    let (Ok(client_read), Ok(server_write)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
        shared.connections.lock().unwrap().extend([c, s]);
    }
    let downstream = std::thread::spawn(move || {
        let (mut from, mut to) = (server, client);
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
    upstream(client_read, server_write, fault, shared);
    let _ = downstream.join();
}

/// Client to server, cutting both directions when a push passes the limit.
fn upstream(mut from: TcpStream, mut to: TcpStream, fault: Fault, shared: &Shared) {
    let mut buf = [0u8; 16 * 1024];
    let mut in_push: Option<usize> = None;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if contains(chunk, b"POST ") && contains(chunk, b"git-receive-pack") {
            in_push = Some(0);
            if fault == Fault::HoldPushes {
                hold(shared);
            }
        }
        if let (Fault::CutPushAfter(limit), Some(sent)) = (fault, in_push.as_mut()) {
            *sent += n;
            if *sent > limit {
                shared.cut_pushes.fetch_add(1, Ordering::SeqCst);
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Waits until the test releases the pushes (or [`HOLD_LIMIT`] passed).
fn hold(shared: &Shared) {
    shared.held_pushes.fetch_add(1, Ordering::SeqCst);
    let (released, wake) = &shared.released;
    let guard = released.lock().unwrap();
    let _released = wake
        .wait_timeout_while(guard, HOLD_LIMIT, |released| !*released)
        .unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

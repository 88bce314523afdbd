//! What the engine logs: never a secret.

use super::*;

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn git_logs_at_trace_level_hold_no_secret() {
    let server = GitServer::shared();
    let urls = server.new_repo("logs", false);
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let password = server.var("FLUX_TEST_GIT_PASSWORD").to_string();
    // A process-wide subscriber, not a scoped one: the other tests of this binary
    // run on other threads at the same time, and tracing's per-callsite interest
    // cache made a thread-scoped subscriber miss events (seen in CI). Catching every
    // thread's events also widens the check to all of this binary's tests.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    {
        let (_d, cache) = new_cache();
        let remote = server.http_remote(&urls.http);
        cache.commit(&remote, &tx("logged", &[("l", "1")])).unwrap();
        let mut wrong = remote.clone();
        wrong.auth = Auth::Basic {
            username: "flux".into(),
            password: Sensitive::new("hunter2-in-logs".into()),
        };
        let (_d2, other) = new_cache();
        other.read_files(&wrong, &["l"]).unwrap_err();
        let ssh = server.ssh_remote(&urls.ssh);
        cache.read_files(&ssh, &["l"]).unwrap();
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("pushed"), "{text}");
    let key = server.file("FLUX_TEST_SSH_KEY_FILE");
    let key_body = key.lines().nth(1).unwrap();
    for secret in [password.as_str(), "hunter2-in-logs", key_body] {
        assert!(!text.contains(secret), "secret in logs:\n{text}");
    }
}

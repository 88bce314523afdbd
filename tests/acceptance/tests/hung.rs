//! Servers that accept a connection and then say nothing: `terraform apply` of a
//! bootstrap with `timeouts = { create = "30s" }` ends well within twice that, with an
//! error naming the server and what the provider waited for, and changes nothing.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance::fixture::{repo, unique};
use acceptance::git::commit_subjects;
use acceptance::hcl::{bootstrap_resource, git_http, hcl, provider, required_providers};
use acceptance::kube::kubectl;
use acceptance::terraform::{Output, Terraform, Workdir};

const CREATE_TIMEOUT: Duration = Duration::from_secs(30);

/// A local listener that accepts every connection, reads what the client sends and
/// never answers; connections stay open while the listener lives.
struct SilentServer {
    port: u16,
}

impl SilentServer {
    fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buffer = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buffer);
                held.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(stream);
            }
        });
        Ok(Self { port })
    }
}

fn bootstrap(tf: &Terraform, namespace: &str) -> String {
    bootstrap_resource(
        tf,
        &format!(
            "  namespace  = {ns}\n  path       = {path}\n  components = [\"source-controller\", \"kustomize-controller\"]\n  timeouts   = {{ create = \"{}s\" }}",
            CREATE_TIMEOUT.as_secs(),
            ns = hcl(namespace),
            path = hcl(&format!("clusters/{namespace}")),
        ),
    )
}

fn namespace_exists(name: &str) -> bool {
    kubectl(&["get", "namespaces", "-o", "name"])
        .lines()
        .any(|line| line == format!("namespace/{name}"))
}

/// Applies, and checks that the apply failed within twice the create timeout with
/// an error holding every one of `parts`.
fn apply_fails_in_time(wd: &Workdir, parts: &[&str]) -> Output {
    let started = Instant::now();
    let out = wd.apply().failure();
    let elapsed = started.elapsed();
    assert!(
        elapsed < CREATE_TIMEOUT * 2,
        "took {elapsed:?}\n{}",
        out.report()
    );
    for part in parts {
        assert!(out.flat().contains(part), "no {part:?}:\n{}", out.report());
    }
    out
}

#[test]
fn hung_git_server_apply_ends_within_the_timeout_naming_the_url_and_changes_nothing() {
    let tf = Terraform::latest();
    let silent = SilentServer::start().unwrap();
    let url = format!("http://127.0.0.1:{}/git/hung.git", silent.port);
    let namespace = unique("hung-git");
    let main = format!("{}{}", provider(Some(&url)), bootstrap(&tf, &namespace));
    let wd = tf.workdir("hung-git", &main);

    let out = apply_fails_in_time(
        &wd,
        &[
            "Failed To Read The Git Repository",
            &format!("git fetch against {url} timed out"),
        ],
    );
    assert!(!namespace_exists(&namespace), "{}", out.report());
}

#[test]
fn hung_api_server_apply_ends_within_the_timeout_naming_the_server_and_commits_nothing() {
    let tf = Terraform::latest();
    let silent = SilentServer::start().unwrap();
    let server = format!("https://127.0.0.1:{}", silent.port);
    let urls = repo("hung-api-server", false);
    let commits = commit_subjects(&urls.http);
    let namespace = unique("hung-api");
    let main = format!(
        "{}provider \"flux\" {{\n  kubernetes = {{\n    host     = {host}\n    insecure = true\n    token    = \"not-used\"\n  }}\n  git = {git}\n}}\n{}",
        required_providers(),
        bootstrap(&tf, &namespace),
        host = hcl(&server),
        git = git_http(&urls.http),
    );
    let wd = tf.workdir("hung-api-server", &main);

    let out = apply_fails_in_time(
        &wd,
        &[
            "Failed To Reach The Cluster",
            &format!("request to the API server at {server} failed"),
        ],
    );
    assert_eq!(commit_subjects(&urls.http), commits, "{}", out.report());
}

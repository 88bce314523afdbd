//! Git engine figures against the real loopback servers, each next to the git
//! CLI doing the same work on the same server.
//!
//! Run: `cargo bench -p flux-core --bench git` (starts and stops its own servers
//! with tests/acceptance/env/git/up and down). Prints one line per figure.

// A benchmark binary: printing results is its job, and a failed setup step
// should abort it loudly.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use flux_core::git::{Remote, RepoCache, Transaction};
use support::GitServer;

const COMPONENTS: &str = "clusters/prod/flux-system/gotk-components.yaml";

fn git(dir: Option<&Path>, args: &[&str], env: &[(&str, String)]) {
    let mut cmd = Command::new("git");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time<F: FnMut(usize)>(runs: usize, mut f: F) -> Duration {
    f(usize::MAX); // warm-up
    median(
        (0..runs)
            .map(|i| {
                let start = Instant::now();
                f(i);
                start.elapsed()
            })
            .collect(),
    )
}

fn report(name: &str, ours: Duration, cli: Option<Duration>) {
    match cli {
        Some(cli) => println!(
            "{name:<62} engine {:>8.1} ms   git CLI {:>8.1} ms   ratio {:>5.2}",
            ms(ours),
            ms(cli),
            ours.as_secs_f64() / cli.as_secs_f64()
        ),
        None => println!("{name:<62} engine {:>8.1} ms", ms(ours)),
    }
}

/// A repository with some history and a Flux-sized components file (~600 KB).
fn seed(server: &GitServer, name: &str) {
    server.new_repo(name, false);
    let work = tempfile::tempdir().unwrap();
    let bare = server.repo_path(name);
    let bare = bare.to_str().unwrap();
    let env = [
        ("GIT_DIR", bare.to_string()),
        ("GIT_WORK_TREE", work.path().display().to_string()),
    ];
    git(None, &["read-tree", "main"], &env);
    for commit in 0..30 {
        for file in 0..20 {
            let path = work.path().join(format!("apps/app{file}/deploy.yaml"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                &path,
                format!("replicas: {commit}\nname: app{file}\n").repeat(40),
            )
            .unwrap();
        }
        let components = work.path().join(COMPONENTS);
        std::fs::create_dir_all(components.parent().unwrap()).unwrap();
        std::fs::write(
            &components,
            format!(
                "# v{commit}\n{}",
                "kind: CustomResourceDefinition\n".repeat(20000)
            ),
        )
        .unwrap();
        git(None, &["add", "-A"], &env);
        git(
            None,
            &[
                "-c",
                "user.name=seed",
                "-c",
                "user.email=s@x",
                "commit",
                "-q",
                "-m",
                &format!("c{commit}"),
            ],
            &env,
        );
    }
}

fn cli_url(server: &GitServer, url: &str) -> String {
    url.replacen(
        "http://",
        &format!(
            "http://{}:{}@",
            server.var("FLUX_TEST_GIT_USERNAME"),
            server.var("FLUX_TEST_GIT_PASSWORD")
        ),
        1,
    )
}

fn ssh_env(server: &GitServer) -> Vec<(&'static str, String)> {
    vec![(
        "GIT_SSH_COMMAND",
        format!(
            "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes",
            server.var("FLUX_TEST_SSH_KEY_FILE"),
            server.var("FLUX_TEST_SSH_KNOWN_HOSTS_FILE")
        ),
    )]
}

fn one_file(message: &str, content: String) -> Transaction {
    let mut tx = Transaction {
        message: message.to_string(),
        ..Default::default()
    };
    tx.writes
        .insert("bench/counter.txt".into(), content.into_bytes());
    tx
}

fn bench_transport(label: &str, remote: &Remote, cli: &str, env: &[(&str, String)]) {
    // First clone: a fresh cache vs `git clone --bare --depth 1` + show.
    let first = time(5, |_| {
        let dir = tempfile::tempdir().unwrap();
        let cache = RepoCache::new(dir.path()).unwrap();
        let seen = cache.read_files(remote, &[COMPONENTS]).unwrap();
        assert!(seen.files[COMPONENTS].is_some());
    });
    let first_cli = time(5, |_| {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.git");
        let target = target.to_str().unwrap();
        git(
            None,
            &[
                "clone",
                "-q",
                "--bare",
                "--depth",
                "1",
                "--single-branch",
                "-b",
                "main",
                cli,
                target,
            ],
            env,
        );
        git(
            None,
            &["--git-dir", target, "show", &format!("main:{COMPONENTS}")],
            env,
        );
    });
    report(
        &format!("{label}: first clone + read"),
        first,
        Some(first_cli),
    );

    bench_warm(label, remote, cli, env);

    // One transaction: fetch, write one file, commit, push.
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    let mut n = 0u64;
    let tx_time = time(15, |_| {
        n += 1;
        let outcome = cache
            .commit(remote, &one_file("bench", format!("engine {n}\n")))
            .unwrap();
        assert!(outcome.pushed());
    });
    let work = tempfile::tempdir().unwrap();
    let wt = work.path();
    git(
        None,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "-b",
            "main",
            cli,
            wt.to_str().unwrap(),
        ],
        env,
    );
    let mut m = 0u64;
    let tx_cli = time(15, |_| {
        m += 1;
        git(Some(wt), &["fetch", "-q", "origin", "main"], env);
        git(Some(wt), &["reset", "-q", "--hard", "FETCH_HEAD"], env);
        std::fs::create_dir_all(wt.join("bench")).unwrap();
        std::fs::write(wt.join("bench/counter.txt"), format!("cli {m}\n")).unwrap();
        git(Some(wt), &["add", "bench/counter.txt"], env);
        git(
            Some(wt),
            &[
                "-c",
                "user.name=Flux",
                "-c",
                "user.email=f@x",
                "commit",
                "-q",
                "-m",
                "bench",
            ],
            env,
        );
        git(Some(wt), &["push", "-q", "origin", "HEAD:main"], env);
    });
    report(
        &format!("{label}: one transaction pushed"),
        tx_time,
        Some(tx_cli),
    );
}

/// What the test sshd does for every exec, replayed without ssh: the account's
/// login shell runs the forced command of authorized_keys in sshd's clean
/// environment (SSH_CLIENT set, no SHLVL: bash then reads ~/.bashrc), which starts
/// git-upload-pack; that advertises its refs and exits on a flush-pkt. No client
/// can go below this per ssh request to this server; the git CLI pays it too. The
/// home is the empty one the test sshd gives its sessions (`SetEnv HOME`).
fn ssh_server_exec_floor(server: &GitServer, repo: &str) -> Duration {
    let keys = std::fs::read_to_string(server.state.join("authorized_keys")).unwrap();
    let forced = keys
        .lines()
        .find_map(|l| l.strip_prefix("command=\""))
        .and_then(|rest| rest.split_once('"'))
        .map(|(command, _)| command.to_string())
        .unwrap();
    let user = server.var("FLUX_TEST_SSH_USERNAME");
    let passwd = Command::new("getent")
        .args(["passwd", user])
        .output()
        .unwrap();
    let passwd = String::from_utf8_lossy(&passwd.stdout).trim().to_string();
    let fields: Vec<&str> = passwd.split(':').collect();
    let shell = fields[6];
    let home = server.state.join("ssh-home").display().to_string();
    time(30, |_| {
        use std::io::Write;
        let mut child = Command::new(shell)
            .arg("-c")
            .arg(&forced)
            .env_clear()
            .env("HOME", &home)
            .env("USER", user)
            .env("LOGNAME", user)
            .env("SHELL", shell)
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("SSH_CLIENT", "127.0.0.1 40000 22")
            .env(
                "SSH_ORIGINAL_COMMAND",
                format!("git-upload-pack '/{repo}.git'"),
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"0000").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success() && out.stdout.ends_with(b"0000"));
    })
}

/// Warm re-read of the tip: a filled cache reads again, vs `git fetch` + `git show`
/// on a filled bare clone.
fn bench_warm(label: &str, remote: &Remote, cli: &str, env: &[(&str, String)]) {
    let dir = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(dir.path()).unwrap();
    let warm = time(30, |_| {
        cache.read_files(remote, &[COMPONENTS]).unwrap();
    });
    let cli_dir = tempfile::tempdir().unwrap();
    let bare = cli_dir.path().join("r.git");
    let bare = bare.to_str().unwrap();
    git(
        None,
        &[
            "clone",
            "-q",
            "--bare",
            "--depth",
            "1",
            "--single-branch",
            "-b",
            "main",
            cli,
            bare,
        ],
        env,
    );
    let warm_cli = time(30, |_| {
        git(
            None,
            &[
                "--git-dir",
                bare,
                "fetch",
                "-q",
                "origin",
                "+refs/heads/main:refs/heads/main",
            ],
            env,
        );
        git(
            None,
            &["--git-dir", bare, "show", &format!("main:{COMPONENTS}")],
            env,
        );
    });
    report(
        &format!("{label}: warm re-read of the tip"),
        warm,
        Some(warm_cli),
    );
}

fn bench_writers(label: &str, remote: &Remote, shared_cache: bool) {
    let dir = tempfile::tempdir().unwrap();
    let shared = RepoCache::new(dir.path()).unwrap();
    shared.read_files(remote, &[COMPONENTS]).unwrap();
    let max_attempts = AtomicU32::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for writer in 0..10 {
            let max_attempts = &max_attempts;
            let shared = shared.clone();
            scope.spawn(move || {
                let own = tempfile::tempdir().unwrap();
                let cache = if shared_cache {
                    shared
                } else {
                    RepoCache::new(own.path()).unwrap()
                };
                for n in 0..20 {
                    let mut tx = one_file("w", String::new());
                    tx.writes.clear();
                    tx.writes
                        .insert(format!("writers/{writer}/{n}.txt"), b"x".to_vec());
                    let outcome = cache.commit(remote, &tx).unwrap();
                    max_attempts.fetch_max(outcome.attempts, Ordering::Relaxed);
                }
            });
        }
    });
    let label = format!("{label} (max attempts {})", max_attempts.into_inner());
    report(&label, start.elapsed(), None);
}

fn main() {
    let server = GitServer::start();
    seed(&server, "bench");
    let http_url = format!("{}/bench.git", server.var("FLUX_TEST_GIT_HTTP_URL"));
    let ssh_url = format!("{}/bench.git", server.var("FLUX_TEST_GIT_SSH_URL"));
    let http = server.http_remote(&http_url);
    let ssh = server.ssh_remote(&ssh_url);
    println!("git engine vs git CLI {} (median; loopback)", {
        let out = Command::new("git").arg("--version").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    bench_transport("http", &http, &cli_url(&server, &http_url), &[]);
    bench_transport("ssh", &ssh, &ssh_url, &ssh_env(&server));
    report(
        "ssh: server cost per exec (login shell, forced command)",
        ssh_server_exec_floor(&server, "bench"),
        None,
    );

    server.new_repo("writers-http", false);
    let writers = server.http_remote(&format!(
        "{}/writers-http.git",
        server.var("FLUX_TEST_GIT_HTTP_URL")
    ));
    bench_writers(
        "http: 200 transactions, 10 writers, one cache",
        &writers,
        true,
    );
    server.new_repo("writers-http-2", false);
    let writers = server.http_remote(&format!(
        "{}/writers-http-2.git",
        server.var("FLUX_TEST_GIT_HTTP_URL")
    ));
    bench_writers(
        "http: 200 transactions, 10 writers, 10 caches",
        &writers,
        false,
    );
    server.new_repo("writers-ssh", false);
    let writers = server.ssh_remote(&format!(
        "{}/writers-ssh.git",
        server.var("FLUX_TEST_GIT_SSH_URL")
    ));
    bench_writers(
        "ssh: 200 transactions, 10 writers, one cache",
        &writers,
        true,
    );
}

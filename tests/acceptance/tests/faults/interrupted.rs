//! Terraform interrupted (Ctrl-C: SIGINT to its process group) while the apply waits,
//! and another writer pushing to the branch during the apply.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acceptance::fixture::repo;
use acceptance::git::{clone, commit_subjects, git};
use acceptance::plan::assert_plan_empty;
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::{assert_documented, config, namespaces, CleanUp, Row};

const INTERRUPTED: Row = Row {
    fault: "Terraform interrupted (Ctrl-C) during the apply",
    user_sees: "Terraform's `Interrupt received`, then `Operation Interrupted`: the provider stopped at Terraform's request; no crash",
    left: "what was applied so far; the plan shows the resource to create or update",
    next_apply: "finishes the bootstrap; the plan after it is empty",
};

const WRITER: Row = Row {
    fault: "another writer pushing to the branch during the apply",
    user_sees: "nothing: the apply succeeds",
    left: "every commit of the other writer, and the bootstrap's on top",
    next_apply: "the plan is empty",
};

#[test]
fn faults_interrupted_apply_stops_cleanly_and_the_next_apply_converges() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&INTERRUPTED);
    let tf = Terraform::latest();
    let urls = repo("fault-interrupt", false);
    let wd = tf.workdir(
        "fault-interrupt",
        &config(&tf, &urls.http, "clusters/interrupt"),
    );
    let _cleanup = CleanUp(&wd);
    let running = wd.spawn(&["apply", "-auto-approve"]);
    wait_until(
        Duration::from_secs(120),
        "the flux-system namespace",
        || namespaces().lines().any(|n| n == "namespace/flux-system"),
    );
    running.interrupt();
    let out = running.wait(Duration::from_secs(120));
    let text = out.flat();
    assert_ne!(
        out.code,
        0,
        "the apply was not interrupted:\n{}",
        out.report()
    );
    assert_ne!(out.code, -1, "the apply did not stop:\n{}", out.report());
    assert!(text.contains("Interrupt received"), "{}", out.report());
    assert!(text.contains("Operation Interrupted"), "{}", out.report());
    for crash in ["panic", "crashed", "Plugin did not respond"] {
        assert!(!text.contains(crash), "{}", out.report());
    }
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

#[test]
fn faults_concurrent_writer_keeps_its_commits_and_the_apply_succeeds() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&WRITER);
    let tf = Terraform::latest();
    let urls = repo("fault-writer", false);
    let wd = tf.workdir("fault-writer", &config(&tf, &urls.http, "clusters/writer"));
    let _cleanup = CleanUp(&wd);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, url) = (stop.clone(), urls.http.clone());
        std::thread::spawn(move || write_until(&url, &stop))
    };
    let out = wd.apply();
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    out.success();
    assert!(
        written.len() > 1,
        "the writer pushed {} commits",
        written.len()
    );
    let log = commit_subjects(&urls.http);
    for subject in &written {
        assert!(log.contains(subject), "{subject} is lost: {log:?}");
    }
    assert_plan_empty(&wd);
    wd.destroy().success();
}

/// Commits a file every 300 ms until `stop`, as another user would: on a rejected
/// push it rebases on the new tip and pushes again. Returns the subjects it landed.
pub(super) fn write_until(url: &str, stop: &AtomicBool) -> Vec<String> {
    let checkout = clone(url);
    let dir = checkout.path();
    let mut landed = Vec::new();
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let subject = format!("writer commit {i}");
        let file = format!("apps/note-{i}.txt");
        std::fs::create_dir_all(dir.join("apps")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(&file), "x\n").unwrap_or_else(|e| panic!("{e}"));
        git(dir, &["add", &file]);
        git(dir, &["commit", "-qm", &subject]);
        let pushed = (0..20).any(|_| {
            let ok = std::process::Command::new("git")
                .args(["push", "-q", "origin", "HEAD:main"])
                .current_dir(dir)
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                git(dir, &["pull", "-q", "--rebase", "origin", "main"]);
            }
            ok
        });
        assert!(pushed, "{subject} was never pushed");
        landed.push(subject);
        std::thread::sleep(Duration::from_millis(300));
    }
    landed
}

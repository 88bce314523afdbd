//! The git CLI against the environment's git server over smart HTTP with basic auth:
//! clones, reads and the pushes a user would make.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::Path;
use std::process::Command;

use crate::fixture::var;

/// The `http://` URL of a repository with the environment's basic-auth credentials.
pub fn authed(url: &str) -> String {
    url.replacen(
        "http://",
        &format!(
            "http://{}:{}@",
            var("FLUX_TEST_GIT_USERNAME"),
            var("FLUX_TEST_GIT_PASSWORD")
        ),
        1,
    )
}

/// Runs the git CLI in `dir` with a fixed identity and no credential helper of the
/// host; fails the test when git fails. Returns the trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=acceptance",
            "-c",
            "user.email=acceptance@example.invalid",
        ])
        .args(["-c", "init.defaultBranch=main", "-c", "credential.helper="])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh clone of the default branch of `url`.
pub fn clone(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().to_string_lossy().into_owned();
    git(dir.path(), &["clone", "-q", &authed(url), &target]);
    dir
}

/// Commit subjects of the default branch, newest first.
pub fn commit_subjects(url: &str) -> Vec<String> {
    let dir = clone(url);
    git(dir.path(), &["log", "--format=%s"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Pushes `files` (path, content) as the first commit, on `main`, of an empty
/// repository. Returns the commit id.
pub fn push_first_commit(url: &str, files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_files(dir.path(), files);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "fixture"]);
    git(
        dir.path(),
        &["push", "-q", &authed(url), "HEAD:refs/heads/main"],
    );
    git(dir.path(), &["rev-parse", "HEAD"])
}

/// Writes `files` (path, content) in a clone of `url`, commits them with `message`
/// on top of the default branch as a user would, and pushes. Returns the commit id.
pub fn push_commit(url: &str, message: &str, files: &[(&str, &str)]) -> String {
    let checkout = clone(url);
    write_files(checkout.path(), files);
    for (path, _) in files {
        git(checkout.path(), &["add", path]);
    }
    git(checkout.path(), &["commit", "-qm", message]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
    git(checkout.path(), &["rev-parse", "HEAD"])
}

/// Removes `paths` in a clone of `url`, commits with `message` as a user would and
/// pushes.
pub fn remove_files(url: &str, message: &str, paths: &[&str]) {
    let checkout = clone(url);
    for path in paths {
        git(checkout.path(), &["rm", "-q", path]);
    }
    git(checkout.path(), &["commit", "-qm", message]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD"]);
}

fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&file, content).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
}

//! Hooks that decline or race, concurrent writers and caches that converge.

use super::*;

fn install_hook(server: &GitServer, repo: &str, body: &str) {
    let hook = server.repo_path(repo).join("hooks/pre-receive");
    std::fs::write(&hook, format!("#!/bin/sh\n{body}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn git_push_declined_by_hook_is_a_rejected_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("declined", false);
    install_hook(server, "declined", "echo 'protected branch' >&2; exit 1");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let err = cache.commit(&remote, &tx("x", &[("x", "1")])).unwrap_err();
    match &err {
        GitError::Rejected { branch, reason } => {
            assert_eq!(branch, "main");
            assert!(reason.contains("declined"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.git("declined", &["rev-list", "--count", "main"]),
        "1"
    );
}

#[test]
fn git_transaction_racing_an_outside_push_is_redone_on_the_new_tip() {
    let server = GitServer::shared();
    let urls = server.new_repo("race", false);
    let marker = install_race_hook(server, "race");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("ours", &[("ours.txt", "1")]))
        .unwrap();
    assert!(marker.exists());
    assert_eq!(outcome.attempts, 2);
    assert_eq!(
        server.git("race", &["log", "--format=%s", "main"]),
        "ours\noutside\nInitial commit"
    );
    assert_eq!(
        server.git("race", &["ls-tree", "--name-only", "main"]),
        "README.md\nlist.txt\nours.txt\noutside.txt"
    );
}

/// The hook of the race tests: on the first push only, someone else commits
/// `outside.txt` and `list.txt` = "outside" on main just before our update lands.
fn install_race_hook(server: &GitServer, repo: &str) -> std::path::PathBuf {
    let marker = server.state.join(format!("{repo}-hook-fired"));
    install_hook(
        server,
        repo,
        &format!(
            r#"[ -e '{m}' ] && exit 0
touch '{m}'
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=outsider GIT_AUTHOR_EMAIL=o@x GIT_COMMITTER_NAME=outsider GIT_COMMITTER_EMAIL=o@x
tip=$(git rev-parse refs/heads/main)
blob=$(echo outside | git hash-object -w --stdin)
tree=$( (git ls-tree $tip; printf '100644 blob %s\toutside.txt\n100644 blob %s\tlist.txt\n' $blob $blob) | git mktree)
new=$(git commit-tree -p $tip -m outside $tree)
git update-ref refs/heads/main $new $tip"#,
            m = marker.display()
        ),
    );
    marker
}

#[test]
fn git_edit_racing_an_outside_push_is_recomputed_from_the_new_tip() {
    let server = GitServer::shared();
    let urls = server.new_repo("race-edit", false);
    let marker = install_race_hook(server, "race-edit");
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut transaction = tx("ours", &[]);
    transaction.edits.push(FileEdit::new("list.txt", |current| {
        let mut list = current.map(<[u8]>::to_vec).unwrap_or_default();
        list.extend_from_slice(b"ours\n");
        Ok(Some(list))
    }));
    let outcome = cache.commit(&remote, &transaction).unwrap();
    assert!(marker.exists());
    assert_eq!(outcome.attempts, 2);
    // The first attempt saw no list.txt and wrote "ours" alone; the retry rebuilt
    // the list from the outsider's commit instead of replaying that content.
    assert_eq!(
        server.git("race-edit", &["show", "main:list.txt"]),
        "outside\nours"
    );
}

#[test]
fn git_edit_refusing_the_tip_content_fails_with_its_path_and_commits_nothing() {
    let server = GitServer::shared();
    let urls = server.new_repo("edit-refused", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut transaction = tx("never", &[("a.txt", "a")]);
    transaction
        .edits
        .push(FileEdit::new("README.md", |current| {
            Err(format!("{} bytes of prose", current.map_or(0, <[u8]>::len)))
        }));
    let err = cache.commit(&remote, &transaction).unwrap_err();
    assert!(
        matches!(&err, GitError::Edit { path, reason } if path == "README.md" && reason.ends_with("bytes of prose")),
        "{err:?}"
    );
    assert_eq!(
        server.git("edit-refused", &["log", "--format=%s", "main"]),
        "Initial commit"
    );
    transaction.writes.insert("README.md".into(), b"x".to_vec());
    assert!(cache
        .commit(&remote, &transaction)
        .unwrap_err()
        .is_invalid_input());
}

fn assert_linear_with(server: &GitServer, repo: &str, expected_commits: usize) {
    let parents = server.git(repo, &["rev-list", "--parents", "main"]);
    let lines: Vec<&str> = parents.lines().collect();
    assert_eq!(lines.len(), expected_commits);
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line.split(' ').count(), 2, "not linear: {line}");
    }
}

#[test]
fn git_ten_writers_twenty_transactions_each_land_linear_without_loss() {
    let server = GitServer::shared();
    let urls = server.new_repo("writers", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    std::thread::scope(|scope| {
        for writer in 0..10 {
            let cache = cache.clone();
            let remote = remote.clone();
            scope.spawn(move || {
                for n in 0..20 {
                    let path = format!("w{writer}/t{n}.txt");
                    let outcome = cache
                        .commit(&remote, &tx(&format!("w{writer} t{n}"), &[(&path, "x")]))
                        .unwrap();
                    assert!(outcome.pushed());
                }
            });
        }
    });
    assert_linear_with(server, "writers", 201);
    let files = server.git("writers", &["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(files.lines().count(), 201);
    // Queued writers are batched: far fewer pushes than transactions.
    let log = std::fs::read_to_string(server.state.join("access.log")).unwrap();
    let pushes = log
        .lines()
        .filter(|l| l.contains("POST /git/writers.git/git-receive-pack"))
        .count();
    assert!(pushes > 0 && pushes < 200, "{pushes} pushes");
}

#[test]
fn git_writers_in_separate_caches_converge_through_retries() {
    let server = GitServer::shared();
    let urls = server.new_repo("processes", false);
    let remote = server.http_remote(&urls.http);
    std::thread::scope(|scope| {
        for writer in 0..10 {
            let remote = remote.clone();
            scope.spawn(move || {
                // A cache of its own stands for another process: nothing is
                // shared, so these writers really race on the server.
                let (_d, cache) = new_cache();
                for n in 0..3 {
                    let path = format!("p{writer}/t{n}.txt");
                    cache
                        .commit(&remote, &tx(&format!("p{writer} t{n}"), &[(&path, "x")]))
                        .unwrap();
                }
            });
        }
    });
    assert_linear_with(server, "processes", 31);
}

#[test]
fn git_warm_cache_sees_outside_pushes_and_stays_shallow() {
    let server = GitServer::shared();
    let urls = server.new_repo("warm", false);
    let remote = server.http_remote(&urls.http);
    let (dir, cache) = new_cache();
    for n in 0..3 {
        cache
            .commit(&remote, &tx(&format!("c{n}"), &[("n", &n.to_string())]))
            .unwrap();
    }
    let (dir2, reader) = new_cache();
    let first = reader.read_files(&remote, &["n"]).unwrap();
    assert_eq!(first.files["n"].as_deref(), Some(&b"2"[..]));
    cache.commit(&remote, &tx("c3", &[("n", "3")])).unwrap();
    let second = reader.read_files(&remote, &["n"]).unwrap();
    assert_eq!(second.files["n"].as_deref(), Some(&b"3"[..]));
    assert_ne!(first.commit, second.commit);
    // The reader's first fetch was shallow: it never downloaded c0..c1.
    let shallow = std::fs::read_dir(dir2.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.path().join("shallow").exists());
    assert!(shallow);
    // A shallow cache can still write.
    let outcome = reader.commit(&remote, &tx("c4", &[("n", "4")])).unwrap();
    assert_eq!(
        server.git("warm", &["rev-parse", "main"]),
        outcome.commit.unwrap()
    );
    drop(dir);
}

#[test]
fn git_repo_cache_is_send_and_sync_for_spawn_blocking() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<RepoCache>();
    assert_send_sync::<flux_core::git::Remote>();
    assert_send_sync::<Transaction>();
    assert_send_sync::<GitError>();
}

//! What a transaction commits: first commits, new branches, nothing to commit, appendix and author; and whether one commit comes after another.

use super::*;

#[test]
fn git_empty_repository_first_commit_creates_the_branch() {
    let server = GitServer::shared();
    let urls = server.new_repo("empty", true);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let seen = cache.read_files(&remote, &["a"]).unwrap();
    assert_eq!(seen.commit, None);
    assert!(matches!(
        cache.get_files(&remote, &["a"]),
        Err(GitError::BranchNotFound { .. })
    ));
    let outcome = cache.commit(&remote, &tx("first", &[("a", "1")])).unwrap();
    assert_eq!(
        server.git("empty", &["rev-parse", "main"]),
        outcome.commit.clone().unwrap()
    );
    assert_eq!(server.git("empty", &["rev-list", "--count", "main"]), "1");
    let seen = cache.read_files(&remote, &["a"]).unwrap();
    assert_eq!(seen.commit, outcome.commit);
}

#[test]
fn git_missing_branch_is_created() {
    let server = GitServer::shared();
    let urls = server.new_repo("missing-branch", false);
    let mut remote = server.ssh_remote(&urls.ssh);
    remote.branch = "clusters/staging".into();
    let (_d, cache) = new_cache();
    let outcome = cache
        .commit(&remote, &tx("staging", &[("s", "1")]))
        .unwrap();
    assert_eq!(
        server.git(
            "missing-branch",
            &["rev-parse", "refs/heads/clusters/staging"]
        ),
        outcome.commit.unwrap()
    );
}

#[test]
fn git_nothing_to_commit_is_no_commit_and_no_error() {
    let server = GitServer::shared();
    let urls = server.new_repo("nothing", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let first = cache.commit(&remote, &tx("one", &[("f", "same")])).unwrap();
    let again = cache.commit(&remote, &tx("two", &[("f", "same")])).unwrap();
    assert_eq!(again.commit, None);
    assert_eq!(again.tip, first.tip);
    let mut delete_missing = tx("three", &[]);
    delete_missing.deletes = BTreeSet::from(["not-there".to_string()]);
    assert_eq!(cache.commit(&remote, &delete_missing).unwrap().commit, None);
    assert_eq!(server.git("nothing", &["rev-list", "--count", "main"]), "2");
}

#[test]
fn git_transaction_with_appendix_and_author_is_recorded() {
    let server = GitServer::shared();
    let urls = server.new_repo("author", false);
    let remote = server.http_remote(&urls.http);
    let (_d, cache) = new_cache();
    let mut t = tx("Add Flux sync manifests", &[("x", "1")]);
    t.message_appendix = Some("Signed-off-by: ci".into());
    t.author.name = "Bot".into();
    t.author.email = "bot@example.com".into();
    let mut delete = tx("Remove README", &[]);
    delete.deletes.insert("README.md".into());
    cache.commit(&remote, &t).unwrap();
    cache.commit(&remote, &delete).unwrap();
    assert_eq!(
        server.git(
            "author",
            &[
                "log",
                "-1",
                "--skip=1",
                "--format=%an <%ae>|%cn <%ce>|%B",
                "main"
            ]
        ),
        "Bot <bot@example.com>|Bot <bot@example.com>|Add Flux sync manifests\n\nSigned-off-by: ci"
    );
    assert_eq!(
        server.git("author", &["ls-tree", "--name-only", "main"]),
        "x"
    );
}

#[test]
fn git_includes_tells_a_later_commit_from_an_unrelated_one() {
    let server = GitServer::shared();
    let urls = server.new_repo("includes", false);
    let remote = server.http_remote(&urls.http);
    let (_dir, cache) = new_cache();
    let first = cache
        .commit(&remote, &tx("one", &[("a.txt", "1\n")]))
        .unwrap()
        .commit
        .unwrap();
    // Another writer moves the branch on; this cache has not seen it yet.
    let (_other_dir, other) = new_cache();
    let second = other
        .commit(&remote, &tx("two", &[("a.txt", "2\n")]))
        .unwrap()
        .commit
        .unwrap();
    assert!(cache.includes(&remote, &first, &first).unwrap());
    assert!(cache.includes(&remote, &second, &first).unwrap());
    assert!(!cache.includes(&remote, &first, &second).unwrap());
    let initial = server.git("includes", &["rev-list", "--max-parents=0", "main"]);
    assert!(!cache.includes(&remote, initial.trim(), &first).unwrap());
    assert!(!cache.includes(&remote, "not-a-commit", &first).unwrap());
}

//! Sync refs other than the branch: `sync_tag`, `sync_semver`, `sync_commit`.

use acceptance::bootstrap::{
    assert_plan_empty, clone, git, kubectl, provider_http, repo, resource, DestroyOnPanic,
};
use acceptance::terraform::Terraform;

use super::serial;

const SYNC_FILE: &str = "clusters/refs/flux-system/gotk-sync.yaml";

/// Cuts a release as a user would: the sync file with `from` replaced by `to` (the
/// ref the release follows), committed to main and tagged `tag`.
fn release(url: &str, tag: &str, from: &str, to: &str) {
    let checkout = clone(url);
    let file = checkout.path().join(SYNC_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{from:?} not in:\n{text}");
    std::fs::write(&file, text.replace(from, to)).unwrap();
    git(
        checkout.path(),
        &["commit", "-qam", &format!("release {tag}")],
    );
    git(checkout.path(), &["tag", tag]);
    git(checkout.path(), &["push", "-q", "origin", "HEAD", tag]);
}

fn git_repository(jsonpath: &str) -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        "gitrepository",
        "flux-system",
        "-o",
        &format!("jsonpath={jsonpath}"),
    ])
}

/// TPF #366, #712, #695: the root GitRepository follows a tag, then a semver range;
/// each apply finishes (no wait for a revision a tag never reports) and plans empty.
#[test]
#[ignore = "races under load: switching the ref from a tag to a semver range once left the \
            GitRepository with an empty ref (source-controller then looked for master) while \
            Flux applied gotk-sync.yaml as it is at the tag; run with --ignored"]
fn bootstrap_git_sync_tag_then_semver_follow_release_tags() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-refs", false);
    let config = |extra: &str| {
        format!(
            "{}{}",
            provider_http(&urls.http),
            resource(
                &tf,
                &format!(
                    "  path       = \"clusters/refs\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n{extra}"
                )
            )
        )
    };
    let wd = tf.workdir("bootstrap-refs", &config(""));
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();

    release(
        &urls.http,
        "v1.0.0",
        "    branch: main\n",
        "    tag: v1.0.0\n",
    );
    wd.write_main(&config("  sync_tag = \"v1.0.0\""));
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(git_repository("{.spec.ref.tag}"), "v1.0.0");
    assert!(
        git_repository("{.status.artifact.revision}").starts_with("v1.0.0@sha1:"),
        "{}",
        git_repository("{.status.artifact.revision}")
    );

    release(
        &urls.http,
        "v1.1.0",
        "    tag: v1.0.0\n",
        "    semver: '>=1.0.0'\n",
    );
    wd.write_main(&config("  sync_semver = \">=1.0.0\""));
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(git_repository("{.spec.ref.semver}"), ">=1.0.0");
    assert!(
        git_repository("{.status.artifact.revision}").starts_with("v1.1.0@sha1:"),
        "{}",
        git_repository("{.status.artifact.revision}")
    );
    wd.destroy().success();
}

/// The refs are checked at plan time, each error at its attribute.
#[test]
fn bootstrap_git_sync_refs_invalid_or_conflicting_fail_at_plan() {
    for tf in Terraform::matrix() {
        let main = format!(
            "{}{}",
            provider_http("http://127.0.0.1:1/none.git"),
            resource(
                &tf,
                "  sync_tag    = \"v1.0.0\"\n  sync_commit = \"abc123\"\n  sync_semver = \"latest\""
            )
        );
        let out = tf.workdir("bootstrap-refs-invalid", &main).plan().failure();
        let text = out.flat();
        for expected in [
            "sync_semver conflicts with sync_tag",
            "sync_commit conflicts with sync_tag",
            "sync_commit: invalid",
            "sync_semver: invalid",
        ] {
            assert!(
                text.contains(expected),
                "{}: no {expected:?} in {text}",
                tf.version
            );
        }
    }
}

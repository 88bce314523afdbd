//! Faults of git history for a Flux object delivered to git (`flux_source_git`): another
//! writer pushing during the apply, the branch force-pushed, the object's file deleted,
//! the state lost, the git credentials revoked between the plan and the apply.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use acceptance::fixture::unique;
use acceptance::git::{clone, commit_subjects, git, remove_files};
use acceptance::git_users::GitUser;
use acceptance::hcl::{git_http_as, provider_with};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::{Terraform, Workdir};

use super::interrupted::write_until;
use super::{assert_documented, assert_plans_the_object, force_push_unrelated_history, Row};

const WRITER: Row = Row {
    fault: "another writer pushing to the branch during the apply of an object delivered to git",
    user_sees: "nothing: the apply succeeds",
    left: "every commit of the other writer, and the object's",
    next_apply: "the plan is empty",
};

const REWRITTEN: Row = Row {
    fault: "branch force-pushed to an unrelated history, or the object's file deleted in git",
    user_sees: "the plan: the object to create",
    left: "the other files of the branch",
    next_apply: "commits the object; the plan after it is empty",
};

const STATE_LOST: Row = Row {
    fault: "state lost, then `terraform import` of an object delivered to git",
    user_sees: "the import reads the object from its file in git",
    left: "the object in git",
    next_apply: "the plan after the import is empty",
};

const REVOKED: Row = Row {
    fault: "git credentials revoked between the plan and the apply of an object delivered to git",
    user_sees: "an error naming the URL: the server refused the credentials",
    left: "nothing",
    next_apply: "with the new credentials, commits; the plan after it is empty",
};

const DIRECTORY: &str = "clusters/faults/history";

fn config(url: &str, user: &GitUser, password: &str, interval: &str) -> String {
    format!(
        r#"{provider}resource "flux_source_git" "app" {{
  name          = "app"
  git_directory = "{DIRECTORY}"
  url           = "https://example.com/app.git"
  interval      = "{interval}"
  ref           = {{ branch = "main" }}
}}
"#,
        provider = provider_with(None, Some(&git_http_as(url, user.name(), password))),
    )
}

#[test]
fn faults_object_in_git_survives_writers_rewrites_lost_state_and_revoked_credentials() {
    for row in [&WRITER, &REWRITTEN, &STATE_LOST, &REVOKED] {
        assert_documented(row);
    }
    let urls = acceptance::fixture::env()
        .create_repo(&unique("fault-object-history"), false)
        .unwrap_or_else(|e| panic!("create repo: {e}"));
    let user = GitUser::add(&unique("object-writer"), "first-password");
    let tf = Terraform::latest();
    let wd = tf.workdir(
        "fault-object-history",
        &config(&urls.http, &user, "first-password", "1m"),
    );
    let _cleanup = DestroyOnPanic(&wd);

    apply_while_another_writer_pushes(&wd, &urls.http);
    assert_plan_empty(&wd);

    force_push_unrelated_history(&urls.http);
    assert_plans_the_object_and_commits_it(&wd);
    let file = format!("{DIRECTORY}/gitrepository-flux-system-app.yaml");
    let files = git_files(&urls.http);
    assert!(files.contains(&file), "no {file} in {files:?}");
    remove_files(&urls.http, "remove the object", &[&file]);
    assert_plans_the_object_and_commits_it(&wd);

    std::fs::remove_file(wd.path().join("terraform.tfstate")).unwrap();
    wd.run(&[
        "import",
        "flux_source_git.app",
        &format!("flux-system/app@{DIRECTORY}"),
    ])
    .success();
    assert_plan_empty(&wd);

    wd.write_main(&config(&urls.http, &user, "first-password", "2m"));
    wd.run(&["plan", "-out=tfplan"]).success();
    user.revoke();
    let commits = commit_subjects(&urls.http);
    let out = wd.run(&["apply", "tfplan"]).failure();
    for part in [urls.http.as_str(), "authentication"] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    assert!(!out.flat().contains("first-password"), "{}", out.report());
    assert_eq!(commit_subjects(&urls.http), commits);
    user.set_password("second-password");
    wd.write_main(&config(&urls.http, &user, "second-password", "2m"));
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

/// Applies while another user pushes a commit every 300 ms; checks that both landed.
fn apply_while_another_writer_pushes(wd: &Workdir, url: &str) {
    let before = commit_subjects(url).len();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, url) = (stop.clone(), url.to_owned());
        std::thread::spawn(move || write_until(&url, &stop))
    };
    wait_until(
        Duration::from_secs(60),
        "the other writer's first push",
        || commit_subjects(url).len() > before,
    );
    let out = wd.apply();
    std::thread::sleep(Duration::from_millis(700));
    stop.store(true, Ordering::SeqCst);
    let written = writer
        .join()
        .unwrap_or_else(|_| panic!("the other writer failed"));
    out.success();
    assert!(
        written.len() > 1,
        "the writer pushed {} commits",
        written.len()
    );
    let log = commit_subjects(url);
    for subject in &written {
        assert!(log.contains(subject), "{subject} is lost: {log:?}");
    }
    let files = git_files(url);
    assert!(
        files.contains(&format!("{DIRECTORY}/gitrepository-flux-system-app.yaml")),
        "the object is not in git: {files:?}"
    );
}

fn assert_plans_the_object_and_commits_it(wd: &Workdir) {
    assert_plans_the_object(wd);
    wd.apply().success();
    assert_plan_empty(wd);
}

fn git_files(url: &str) -> Vec<String> {
    let checkout = clone(url);
    git(checkout.path(), &["ls-files"])
        .lines()
        .map(str::to_owned)
        .collect()
}

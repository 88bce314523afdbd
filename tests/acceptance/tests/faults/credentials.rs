//! The git credentials revoked on the git server between the plan and the apply, then
//! rotated: the apply of the saved plan is refused before anything changes, and the
//! next apply with the new password converges.

use acceptance::fixture::{repo, unique, var};
use acceptance::git::commit_subjects;
use acceptance::git_users::GitUser;
use acceptance::hcl::git_http_as;
use acceptance::plan::assert_plan_empty;
use acceptance::terraform::Terraform;

use super::{assert_documented, config_with, namespaces, CleanUp, Row};

const REVOKED: Row = Row {
    fault: "git credentials revoked between the plan and the apply",
    user_sees:
        "`Failed To Read The Git Repository`: the server refused the credentials, naming the URL",
    left: "nothing: the cluster is not written before git answers",
    next_apply: "with the new credentials, installs; the plan after it is empty",
};

#[test]
fn faults_git_credentials_revoked_between_plan_and_apply_change_nothing() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&REVOKED);
    let tf = Terraform::latest();
    let urls = repo("fault-revoked", false);
    let user = GitUser::add(&unique("revoked"), "first-password");
    let kubeconfig = var("KUBECONFIG");
    let path = "clusters/revoked";
    let wd = tf.workdir(
        "fault-revoked",
        &config_with(
            &tf,
            &git_http_as(&urls.http, user.name(), "first-password"),
            &kubeconfig,
            path,
        ),
    );
    let _cleanup = CleanUp(&wd);
    let commits = commit_subjects(&urls.http);
    let before = namespaces();
    wd.run(&["plan", "-out=tfplan"]).success();

    user.revoke();
    let out = wd.run(&["apply", "tfplan"]).failure();
    for part in [
        "Failed To Read The Git Repository",
        urls.http.as_str(),
        "authentication",
    ] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    assert!(
        !out.flat().contains("first-password"),
        "the password is in the output:\n{}",
        out.report()
    );
    assert_eq!(commit_subjects(&urls.http), commits);
    assert_eq!(namespaces(), before);

    user.set_password("second-password");
    wd.write_main(&config_with(
        &tf,
        &git_http_as(&urls.http, user.name(), "second-password"),
        &kubeconfig,
        path,
    ));
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

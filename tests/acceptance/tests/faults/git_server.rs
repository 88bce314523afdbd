//! The git server unreachable before the apply, and gone in the middle of a push.

use acceptance::fault_proxy::{Fault, FaultProxy};
use acceptance::fixture::repo;
use acceptance::git::commit_subjects;
use acceptance::plan::assert_plan_empty;
use acceptance::terraform::Terraform;

use super::{assert_documented, config, namespaces, CleanUp, Row};

const DOWN: Row = Row {
    fault: "git server down before the apply (port closed)",
    user_sees: "`Failed To Read The Git Repository`: a network error naming the URL and `Connection refused`",
    left: "nothing: the cluster is not written before git answers",
    next_apply: "installs; the plan after it is empty",
};

const CUT: Row = Row {
    fault: "git server gone in the middle of a push",
    user_sees: "`Failed To Push To The Git Repository`: a network error naming the URL",
    left: "no commit (a push lands whole or not at all); the install may be applied, and the plan shows the resource to create",
    next_apply: "commits, installs and syncs; the plan after it is empty",
};

#[test]
fn faults_git_server_down_before_the_apply_changes_nothing() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&DOWN);
    let tf = Terraform::latest();
    let urls = repo("fault-git-down", false);
    let mut proxy = FaultProxy::start(&urls.http);
    let url = proxy.url_for(&urls.http);
    let wd = tf.workdir("fault-git-down", &config(&tf, &url, "clusters/git-down"));
    let _cleanup = CleanUp(&wd);
    let commits = commit_subjects(&urls.http);
    let before = namespaces();
    proxy.close();
    let out = wd.apply().failure();
    let text = out.flat();
    assert!(
        text.contains("Failed To Read The Git Repository"),
        "{}",
        out.report()
    );
    assert!(text.contains("Connection refused"), "{}", out.report());
    assert!(text.contains(&url), "{}", out.report());
    assert_eq!(commit_subjects(&urls.http), commits);
    assert_eq!(namespaces(), before);

    proxy.open();
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

#[test]
fn faults_git_push_cut_midway_leaves_no_commit_and_the_next_apply_converges() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&CUT);
    let tf = Terraform::latest();
    let urls = repo("fault-git-cut", false);
    let proxy = FaultProxy::start(&urls.http);
    let url = proxy.url_for(&urls.http);
    let wd = tf.workdir("fault-git-cut", &config(&tf, &url, "clusters/git-cut"));
    let _cleanup = CleanUp(&wd);
    let commits = commit_subjects(&urls.http);
    proxy.set_fault(Fault::CutPushAfter(8 * 1024));
    let out = wd.apply().failure();
    let text = out.flat();
    assert!(proxy.cut_pushes() > 0, "no push was cut:\n{}", out.report());
    assert!(
        text.contains("Failed To Push To The Git Repository"),
        "{}",
        out.report()
    );
    assert!(text.contains(&url), "{}", out.report());
    assert_eq!(commit_subjects(&urls.http), commits);

    proxy.set_fault(Fault::None);
    let plan = wd.plan_detailed();
    assert_eq!(
        plan.code,
        2,
        "the plan hides the failed apply:\n{}",
        plan.report()
    );
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

//! The branch force-pushed to an unrelated history, the bootstrap path deleted in git,
//! and the namespace deleted by hand, after a bootstrap.

use std::time::Duration;

use acceptance::fixture::repo;
use acceptance::git::{clone, push_commit, remove_files};
use acceptance::kube::{kubectl, request_root_fetch, root_kustomization};
use acceptance::plan::assert_plan_empty;
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::{assert_documented, config, force_push_unrelated_history, namespaces, CleanUp, Row};

const FORCE_PUSHED: Row = Row {
    fault: "branch force-pushed to an unrelated history",
    user_sees: "the plan: `repository_files_summary` adds the three files back",
    left: "the install in the cluster, still running",
    next_apply: "commits the three files on the new history; the plan after it is empty",
};

const PATH_DELETED: Row = Row {
    fault: "bootstrap path deleted in git",
    user_sees: "the plan: `repository_files_summary` adds the three files back",
    left: "the install in the cluster, still running: Flux reports the path missing and prunes nothing",
    next_apply: "commits the three files again and waits for Flux; the plan after it is empty",
};

const NAMESPACE_DELETED: Row = Row {
    fault: "flux-system namespace deleted by hand",
    user_sees: "the plan: `cluster_drift` names the missing objects",
    left: "the files in git",
    next_apply: "installs again; the plan after it is empty",
};

#[test]
fn faults_branch_rewritten_to_unrelated_history_is_planned_and_repaired() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&FORCE_PUSHED);
    let tf = Terraform::latest();
    let urls = repo("fault-rewritten", false);
    let wd = tf.workdir(
        "fault-rewritten",
        &config(&tf, &urls.http, "clusters/rewritten"),
    );
    let _cleanup = CleanUp(&wd);
    wd.apply().success();

    force_push_unrelated_history(&urls.http);

    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    for file in [
        "gotk-components.yaml",
        "gotk-sync.yaml",
        "kustomization.yaml",
    ] {
        let line = format!("+ \"clusters/rewritten/flux-system/{file}\"");
        assert!(plan.all().contains(&line), "{}", plan.report());
    }
    wd.apply().success();
    assert_plan_empty(&wd);
    let files = clone(&urls.http);
    assert!(files
        .path()
        .join("clusters/rewritten/flux-system/gotk-sync.yaml")
        .exists());
    assert!(files.path().join("README.md").exists());
    wd.destroy().success();
}

#[test]
fn faults_bootstrap_path_deleted_in_git_is_planned_and_committed_again() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&PATH_DELETED);
    let tf = Terraform::latest();
    let urls = repo("fault-path-deleted", false);
    let wd = tf.workdir(
        "fault-path-deleted",
        &config(&tf, &urls.http, "clusters/deleted"),
    );
    let _cleanup = CleanUp(&wd);
    wd.apply().success();

    let files = [
        "gotk-components.yaml",
        "gotk-sync.yaml",
        "kustomization.yaml",
    ]
    .map(|file| format!("clusters/deleted/flux-system/{file}"));
    let paths: Vec<&str> = files.iter().map(String::as_str).collect();
    remove_files(&urls.http, "remove the bootstrap path", &paths);
    request_root_fetch();
    wait_until(
        Duration::from_secs(120),
        "the root Kustomization to report the path missing",
        || {
            root_kustomization("{.status.conditions[?(@.type==\"Ready\")].message}")
                .contains("not found")
        },
    );
    let deployments = kubectl(&["-n", "flux-system", "get", "deployments", "-o", "name"]);
    assert!(
        deployments.contains("deployment.apps/kustomize-controller"),
        "Flux pruned itself:\n{deployments}"
    );

    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    for file in &files {
        let line = format!("+ \"{file}\"");
        assert!(plan.all().contains(&line), "{}", plan.report());
    }
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

#[test]
fn faults_namespace_deleted_by_hand_is_planned_and_installed_again() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&NAMESPACE_DELETED);
    let tf = Terraform::latest();
    let urls = repo("fault-namespace", false);
    let wd = tf.workdir(
        "fault-namespace",
        &config(&tf, &urls.http, "clusters/namespace"),
    );
    let _cleanup = CleanUp(&wd);
    wd.apply().success();
    // Keeps the repository busy so that the plan reads git at a tip Flux has not seen.
    push_commit(&urls.http, "unrelated", &[("apps/a.txt", "a\n")]);

    kubectl(&["delete", "namespace", "flux-system", "--wait=false"]);
    wait_until(Duration::from_secs(180), "flux-system to be gone", || {
        !namespaces().lines().any(|n| n == "namespace/flux-system")
    });
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    assert!(plan.all().contains("cluster_drift"), "{}", plan.report());
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

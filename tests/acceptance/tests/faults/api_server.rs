//! The API server gone between the install and the sync objects: the git push is held
//! by the relay in front of the git server until the install is in the cluster, then
//! the API server's port closes and the push goes on.

use std::time::Duration;

use acceptance::fault_proxy::{Fault, FaultProxy};
use acceptance::fixture::{repo, var};
use acceptance::git::commit_subjects;
use acceptance::hcl::git_http;
use acceptance::kube::object_exists;
use acceptance::plan::assert_plan_empty;
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::{api_server, assert_documented, config_with, kubeconfig_via, CleanUp, Row};

const LOST: Row = Row {
    fault: "API server gone between the install and the sync objects",
    user_sees: "`Failed To Read The Kustomization` (the step before the sync objects are written), naming the API server and `Connection refused`",
    left: "the commits in git and the install in the cluster, without the sync objects; the plan shows the resource to create",
    next_apply: "applies the sync objects and waits for Flux; the plan after it is empty",
};

#[test]
fn faults_api_server_lost_between_the_install_and_the_sync_objects() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&LOST);
    let tf = Terraform::latest();
    let urls = repo("fault-api-sync", false);
    let git = FaultProxy::start(&urls.http);
    let git_url = git.url_for(&urls.http);
    let server = api_server();
    let mut api = FaultProxy::start(&server);
    let api_url = api.url_for(&server);
    let via = kubeconfig_via(&server, &api_url);
    let wd = tf.workdir(
        "fault-api-sync",
        &config_with(
            &tf,
            &git_http(&git_url),
            &via.path().display().to_string(),
            "clusters/api-sync",
        ),
    );
    let _cleanup = CleanUp(&wd);
    let commits = commit_subjects(&urls.http);
    let kubeconfig = var("KUBECONFIG");
    let installed = || object_exists(&kubeconfig, &["-n", "flux-system", "secret", "flux-system"]);
    let synced = || {
        object_exists(
            &kubeconfig,
            &[
                "-n",
                "flux-system",
                "gitrepositories.source.toolkit.fluxcd.io",
                "flux-system",
            ],
        )
    };

    git.set_fault(Fault::HoldPushes);
    let running = wd.spawn(&["apply", "-auto-approve"]);
    // The Secret is the install's last object; the sync objects wait for the push.
    wait_until(
        Duration::from_secs(180),
        "the install and its Secret flux-system/flux-system",
        || installed() && git.held_pushes() > 0,
    );
    api.close();
    git.release_pushes();
    let out = running.wait(Duration::from_secs(300));
    api.open();
    assert_ne!(out.code, -1, "the apply did not stop:\n{}", out.report());
    assert_ne!(out.code, 0, "{}", out.report());
    for part in [
        "Failed To Read The Kustomization",
        &format!("API server at {api_url}"),
        "Connection refused",
    ] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    assert!(
        commit_subjects(&urls.http).len() > commits.len(),
        "nothing was committed:\n{}",
        out.report()
    );
    assert!(!synced(), "the sync objects were applied");

    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    assert!(plan.all().contains("will be created"), "{}", plan.report());
    wd.apply().success();
    assert!(synced());
    assert_plan_empty(&wd);
    wd.destroy().success();
}

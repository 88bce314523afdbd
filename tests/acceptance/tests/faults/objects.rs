//! The same faults for a Flux object: a `flux_source_git` delivered to git with the git
//! server's port closed or a push cut, and delivered to the cluster with the API
//! server's port closed before the apply and while the apply waits for Ready.

use std::time::Duration;

use acceptance::fault_proxy::{Fault, FaultProxy};
use acceptance::fixture::{unique, var};
use acceptance::git::commit_subjects;
use acceptance::hcl::{git_http, hcl, provider_with};
use acceptance::kube::{apply_flux_crds, kubectl};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::{api_server, assert_documented, kubeconfig_via, Row};

const GIT_DOWN: Row = Row {
    fault: "git server down before the apply of an object delivered to git",
    user_sees: "an error naming the URL and `Connection refused`",
    left: "nothing",
    next_apply: "commits the object; the plan after it is empty",
};

const GIT_CUT: Row = Row {
    fault: "git server gone in the middle of an object's push",
    user_sees: "an error naming the URL",
    left: "no commit; the plan shows the object to create",
    next_apply: "commits the object; the plan after it is empty",
};

const API_DOWN: Row = Row {
    fault: "API server down before the apply of an object delivered to the cluster",
    user_sees:
        "`Cluster Operation Failed`, naming the object it was writing, the API server and `Connection refused`",
    left: "nothing",
    next_apply: "creates the object; the plan after it is empty",
};

const API_LOST: Row = Row {
    fault: "API server gone while the apply waits for an object to be Ready",
    user_sees: "an error naming the object it waited for",
    left: "the object, created; the plan shows what is left to do",
    next_apply: "finishes; the plan after it is empty",
};

fn git_object(url: &str) -> String {
    format!(
        r#"{provider}resource "flux_source_git" "app" {{
  name          = "app"
  git_directory = "clusters/faults/sources"
  url           = "https://example.com/app.git"
  ref           = {{ branch = "main" }}
}}
"#,
        provider = provider_with(None, Some(&git_http(url))),
    )
}

fn fleet() -> acceptance::env::RepoUrls {
    acceptance::fixture::env()
        .create_repo(&unique("fault-objects"), false)
        .unwrap_or_else(|e| panic!("create repo: {e}"))
}

#[test]
fn faults_object_in_git_with_the_git_server_down_or_cut() {
    assert_documented(&GIT_DOWN);
    assert_documented(&GIT_CUT);
    let urls = fleet();
    let mut proxy = FaultProxy::start(&urls.http);
    let url = proxy.url_for(&urls.http);
    let tf = Terraform::latest();
    let wd = tf.workdir("fault-object-git", &git_object(&url));
    let _cleanup = DestroyOnPanic(&wd);
    let commits = commit_subjects(&urls.http);

    proxy.close();
    let out = wd.apply().failure();
    for part in [url.as_str(), "Connection refused"] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    assert_eq!(commit_subjects(&urls.http), commits);

    proxy.open();
    proxy.set_fault(Fault::CutPushAfter(512));
    let out = wd.apply().failure();
    assert!(proxy.cut_pushes() > 0, "no push was cut:\n{}", out.report());
    assert!(out.flat().contains(&url), "{}", out.report());
    assert_eq!(commit_subjects(&urls.http), commits);

    proxy.set_fault(Fault::None);
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
}

fn cluster_object(kubeconfig: &str, namespace: &str, app_url: &str) -> String {
    format!(
        r#"{provider}resource "flux_source_git" "app" {{
  name        = "app"
  namespace   = {ns}
  url         = {url}
  interval    = "10s"
  secret_ref  = "app-auth"
  secret_data = {{ username = {user}, password = {password} }}
  ref         = {{ branch = "main" }}
  wait_timeout = "2m"
}}
"#,
        provider = provider_with(Some(kubeconfig), None),
        ns = hcl(namespace),
        url = hcl(app_url),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
    )
}

#[test]
fn faults_object_in_cluster_with_the_api_server_down_or_lost() {
    let _turn = acceptance::env::cluster_turn();
    assert_documented(&API_DOWN);
    assert_documented(&API_LOST);
    apply_flux_crds(&["source-controller.yaml"]);
    let ns = unique("fault-objects");
    kubectl(&["create", "namespace", &ns]);
    let app = fleet();
    let server = api_server();
    let mut proxy = FaultProxy::start(&server);
    let via = proxy.url_for(&server);
    let kubeconfig = kubeconfig_via(&server, &via);
    let kubeconfig = kubeconfig.path().display().to_string();
    let tf = Terraform::latest();
    let wd = tf.workdir(
        "fault-object-api",
        &cluster_object(&kubeconfig, &ns, &app.http),
    );
    let _cleanup = DestroyOnPanic(&wd);

    proxy.close();
    let out = wd.apply().failure();
    for part in [
        "Cluster Operation Failed",
        &format!("Secret/{ns}/app-auth"),
        &format!("API server at {via}"),
        "Connection refused",
    ] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    let exists = || {
        kubectl(&["-n", &ns, "get", "gitrepositories", "-o", "name"])
            .lines()
            .any(|l| l.ends_with("/app"))
    };
    assert!(!exists());

    // Lost while the apply waits: the object is created, then the port closes.
    proxy.open();
    let running = wd.spawn(&["apply", "-auto-approve"]);
    wait_until(Duration::from_secs(60), "GitRepository app", exists);
    proxy.close();
    let out = running.wait(Duration::from_secs(240));
    assert_ne!(out.code, 0, "{}", out.report());
    assert_ne!(out.code, -1, "the apply did not stop:\n{}", out.report());
    assert!(out.flat().contains("GitRepository"), "{}", out.report());

    proxy.open();
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

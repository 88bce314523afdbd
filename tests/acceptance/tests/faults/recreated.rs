//! The cluster recreated empty under the same address after a bootstrap and a Flux
//! object delivered to it (a cluster of its own: its kube-apiserver starts again on
//! fresh etcd data, with the same credentials), as when a platform team rebuilds a
//! cluster and applies again.

use acceptance::fixture::{env, repo, var};
use acceptance::hcl::{git_http, hcl};
use acceptance::kube::object_exists;
use acceptance::plan::assert_plan_empty;
use acceptance::terraform::Terraform;

use super::{assert_documented, config_with, CleanUp, Row};

const RECREATED: Row = Row {
    fault: "cluster recreated empty at the same address",
    user_sees: "the plan: `cluster_drift` names the missing objects",
    left: "the files in git",
    next_apply: "installs again; the plan after it is empty",
};

const OBJECT_RECREATED: Row = Row {
    fault: "cluster recreated empty under an object delivered to it",
    user_sees: "the plan: the object to create",
    left: "nothing in the cluster",
    next_apply: "creates it once its kind is served again (here with the bootstrap it depends on); the plan after it is empty",
};

/// A GitRepository applied to the cluster once Flux runs there, syncing the same
/// repository anonymously.
fn object(url: &str) -> String {
    format!(
        r#"resource "flux_source_git" "app" {{
  name       = "app"
  delivery   = "cluster"
  url        = {url}
  ref        = {{ branch = "main" }}
  depends_on = [flux_bootstrap_git.this]
}}
"#,
        url = hcl(url),
    )
}

#[test]
fn faults_cluster_recreated_empty_is_planned_and_installed_again() {
    assert_documented(&RECREATED);
    assert_documented(&OBJECT_RECREATED);
    let cluster = env()
        .add_cluster("recreated")
        .unwrap_or_else(|e| panic!("add cluster: {e}"));
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let tf = Terraform::latest();
    let urls = repo("fault-recreated", false);
    let anonymous = urls.http.replace(
        &var("FLUX_TEST_GIT_HTTP_URL"),
        &var("FLUX_TEST_GIT_HTTP_ANON_URL"),
    );
    let main = config_with(
        &tf,
        &git_http(&urls.http),
        &kubeconfig,
        "clusters/recreated",
    );
    let wd = tf.workdir("fault-recreated", &(main + &object(&anonymous)));
    let _cleanup = CleanUp(&wd);
    wd.apply().success();
    let flux_system = || object_exists(&kubeconfig, &["namespace", "flux-system"]);
    assert!(flux_system());

    env()
        .recreate_cluster("recreated")
        .unwrap_or_else(|e| panic!("recreate the cluster: {e}"));
    assert!(!flux_system(), "the recreated cluster is not empty");
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    assert!(plan.all().contains("cluster_drift"), "{}", plan.report());
    assert!(
        plan.all().contains("flux_source_git.app will be created"),
        "{}",
        plan.report()
    );
    wd.apply().success();
    assert!(flux_system());
    assert!(object_exists(
        &kubeconfig,
        &["-n", "flux-system", "gitrepositories", "app"]
    ));
    assert_plan_empty(&wd);
    wd.destroy().success();
}

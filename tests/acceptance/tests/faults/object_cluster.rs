//! Faults of the cluster for a Flux object delivered to it (`flux_source_git`):
//! Terraform interrupted while the apply waits for Ready, the object and then its
//! namespace deleted by hand, the state lost.

use std::time::Duration;

use acceptance::fixture::{unique, var};
use acceptance::hcl::{hcl, provider_with};
use acceptance::kube::{apply_flux_crds, kubectl, object_exists};
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::poll::wait_until;
use acceptance::terraform::Terraform;

use super::{assert_documented, assert_plans_the_object, Row};

const INTERRUPTED: Row = Row {
    fault: "Terraform interrupted (Ctrl-C) while the apply waits for an object delivered to the cluster",
    user_sees: "Terraform's `Interrupt received`, then `Operation Interrupted`; no crash",
    left: "the object, created; the plan shows what is left to do",
    next_apply: "finishes; the plan after it is empty",
};

const DELETED: Row = Row {
    fault: "object deleted from the cluster by hand",
    user_sees: "the plan: the object to create",
    left: "nothing of the object",
    next_apply: "creates it; the plan after it is empty",
};

const NAMESPACE_DELETED: Row = Row {
    fault: "the namespace of an object delivered to the cluster deleted by hand",
    user_sees: "the plan: the object to create; the apply: an error naming the missing namespace",
    left: "nothing of the object",
    next_apply: "once the namespace exists again, creates the object; the plan after it is empty",
};

const STATE_LOST: Row = Row {
    fault: "state lost, then `terraform import` of an object delivered to the cluster",
    user_sees: "the import reads the object from the cluster",
    left: "the object in the cluster",
    next_apply: "the plan after the import shows only `wait_timeout` when it is not the default (the cluster does not hold it); one apply records it and changes nothing else",
};

fn config(namespace: &str, url: &str) -> String {
    format!(
        r#"{provider}resource "flux_source_git" "app" {{
  name         = "app"
  namespace    = {ns}
  url          = {url}
  interval     = "10s"
  ref          = {{ branch = "main" }}
  wait_timeout = "3m"
}}
"#,
        provider = provider_with(Some(&var("KUBECONFIG")), None),
        ns = hcl(namespace),
        url = hcl(url),
    )
}

#[test]
fn faults_object_in_cluster_interrupted_deleted_and_reimported() {
    let _turn = acceptance::env::cluster_turn();
    for row in [&INTERRUPTED, &DELETED, &NAMESPACE_DELETED, &STATE_LOST] {
        assert_documented(row);
    }
    apply_flux_crds(&["source-controller.yaml"]);
    let ns = unique("fault-object-cluster");
    kubectl(&["create", "namespace", &ns]);
    let repo = unique("fault-object-cluster");
    acceptance::fixture::env()
        .create_repo(&repo, false)
        .unwrap_or_else(|e| panic!("create repo: {e}"));
    let url = format!("{}/{repo}.git", var("FLUX_TEST_GIT_HTTP_ANON_URL"));
    let missing = format!("{}/{repo}-missing.git", var("FLUX_TEST_GIT_HTTP_ANON_URL"));
    let tf = Terraform::latest();
    let wd = tf.workdir("fault-object-cluster", &config(&ns, &missing));
    let _cleanup = DestroyOnPanic(&wd);
    let exists = || object_exists(&var("KUBECONFIG"), &["-n", &ns, "gitrepositories", "app"]);

    // A repository that does not exist keeps the apply waiting for Ready.
    let running = wd.spawn(&["apply", "-auto-approve"]);
    wait_until(Duration::from_secs(60), "GitRepository app", exists);
    running.interrupt();
    let out = running.wait(Duration::from_secs(120));
    assert_ne!(out.code, -1, "the apply did not stop:\n{}", out.report());
    assert_ne!(out.code, 0, "{}", out.report());
    for part in ["Interrupt received", "Operation Interrupted"] {
        assert!(out.flat().contains(part), "{}", out.report());
    }
    for crash in ["panic", "crashed", "Plugin did not respond"] {
        assert!(!out.flat().contains(crash), "{}", out.report());
    }
    assert!(exists());
    wd.write_main(&config(&ns, &url));
    wd.apply().success();
    assert_plan_empty(&wd);

    kubectl(&["-n", &ns, "delete", "gitrepositories", "app"]);
    assert_plans_the_object(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);

    delete_namespace(&ns);
    assert_plans_the_object(&wd);
    let out = wd.apply().failure();
    assert!(out.flat().contains(&ns), "{}", out.report());
    assert!(!exists());
    kubectl(&["create", "namespace", &ns]);
    wd.apply().success();
    assert_plan_empty(&wd);

    std::fs::remove_file(wd.path().join("terraform.tfstate")).unwrap_or_else(|e| panic!("{e}"));
    wd.run(&["import", "flux_source_git.app", &format!("{ns}/app")])
        .success();
    // The import cannot read `wait_timeout` back (the cluster does not hold it): its
    // default is recorded, and the plan shows the configured one and nothing else.
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 2, "{}", plan.report());
    let wait_timeout = |l: &str| {
        let l = l.trim();
        l.starts_with("~ wait_timeout ") && l.ends_with("= \"5m\" -> \"3m\"")
    };
    assert!(plan.all().lines().any(wait_timeout), "{}", plan.report());
    let changed = plan
        .all()
        .lines()
        .filter(|l| l.trim_start().starts_with("~ ") && l.contains(" = "))
        .count();
    assert_eq!(
        changed,
        1,
        "more than wait_timeout changes:\n{}",
        plan.report()
    );
    wd.apply().success();
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

fn delete_namespace(ns: &str) {
    kubectl(&["delete", "namespace", ns, "--wait=false"]);
    wait_until(Duration::from_secs(180), "the namespace to be gone", || {
        !object_exists(&var("KUBECONFIG"), &["namespace", ns])
    });
}

//! Drift that converges: each change made by hand to what the bootstrap owns is
//! planned in a few lines naming the object and the field, one apply repairs it, and
//! the next plan is empty. One bootstrap serves every case, one after the other.

use acceptance::fixture::repo;
use acceptance::git::{clone, git};
use acceptance::hcl::{bootstrap_resource, provider};
use acceptance::kube::kubectl;
use acceptance::plan::{assert_plan_empty, assert_plan_shows, DestroyOnPanic};
use acceptance::terraform::{Terraform, Workdir};

use super::serial;

/// The longest plan a single drift may print.
const PLAN_LINES: usize = 40;

/// Plans (naming every fragment of `expected`, in under [`PLAN_LINES`] lines), applies,
/// and checks that the next plan is empty.
fn planned_and_repaired(wd: &Workdir, case: &str, expected: &[&str]) {
    let plan = assert_plan_shows(wd, expected);
    let lines = plan.lines().count();
    assert!(lines < PLAN_LINES, "{case}: plan of {lines} lines:\n{plan}");
    wd.apply().success();
    assert_plan_empty(wd);
}

fn flux_system(args: &[&str]) -> String {
    let mut all = vec!["-n", "flux-system"];
    all.extend_from_slice(args);
    kubectl(&all)
}

#[test]
fn bootstrap_git_drift_of_every_owned_kind_is_planned_briefly_and_repaired() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-drift-kinds", false);
    let main = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            r#"  path       = "clusters/kinds"
  components = ["source-controller", "kustomize-controller"]"#
        )
    );
    let wd = tf.workdir("bootstrap-drift-kinds", &main);
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);

    flux_system(&["scale", "deployment/source-controller", "--replicas=0"]);
    planned_and_repaired(
        &wd,
        "scaled to 0",
        &["Deployment flux-system/source-controller: spec.replicas is 0, expected 1"],
    );
    assert_eq!(
        flux_system(&[
            "get",
            "deployment",
            "source-controller",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "1"
    );

    flux_system(&[
        "patch",
        "deployment",
        "kustomize-controller",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--concurrent=20"}]"#,
    ]);
    planned_and_repaired(
        &wd,
        "args changed",
        &[
            "Deployment flux-system/kustomize-controller: spec.template.spec.containers[manager].args is",
        ],
    );

    flux_system(&["delete", "networkpolicy", "allow-egress"]);
    planned_and_repaired(
        &wd,
        "network policy deleted",
        &["NetworkPolicy flux-system/allow-egress is missing"],
    );

    kubectl(&[
        "patch",
        "clusterrole",
        "crd-controller-flux-system",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["nodes"],"verbs":["delete"]}}]"#,
    ]);
    planned_and_repaired(
        &wd,
        "cluster role edited",
        &["ClusterRole crd-controller-flux-system: rules is"],
    );

    kubectl(&[
        "delete",
        "customresourcedefinition",
        "buckets.source.toolkit.fluxcd.io",
    ]);
    planned_and_repaired(
        &wd,
        "CRD deleted",
        &["CustomResourceDefinition buckets.source.toolkit.fluxcd.io is missing"],
    );

    flux_system(&[
        "patch",
        "gitrepository",
        "flux-system",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"url":"https://git.invalid/elsewhere.git"}}"#,
    ]);
    planned_and_repaired(
        &wd,
        "GitRepository URL changed",
        &["GitRepository flux-system/flux-system: spec.url is https://git.invalid/elsewhere.git, expected"],
    );

    // A bootstrap file edited in git: its summary's digest changes, not its content.
    let checkout = clone(&urls.http);
    let file = checkout
        .path()
        .join("clusters/kinds/flux-system/gotk-components.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("--log-level=info"));
    std::fs::write(
        &file,
        text.replacen("--log-level=info", "--log-level=debug", 1),
    )
    .unwrap();
    git(
        checkout.path(),
        &["commit", "-qam", "edit behind terraform"],
    );
    git(checkout.path(), &["push", "-q", "origin", "HEAD:main"]);
    planned_and_repaired(
        &wd,
        "file edited in git",
        &["clusters/kinds/flux-system/gotk-components.yaml", "sha256:"],
    );
    let restored = clone(&urls.http);
    let text = std::fs::read_to_string(
        restored
            .path()
            .join("clusters/kinds/flux-system/gotk-components.yaml"),
    )
    .unwrap();
    assert!(!text.contains("--log-level=debug"));

    wd.destroy().success();
}

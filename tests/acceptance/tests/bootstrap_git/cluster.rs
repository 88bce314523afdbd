//! Per-resource connections: `for_each` over clusters, a plan before the clusters are
//! known, and several bootstraps into one repository in one apply.

use acceptance::fixture::{env, repo, var};
use acceptance::git::{clone, git};
use acceptance::hcl::{git_http, hcl, required_providers};
use acceptance::kube::kubectl_at;
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::terraform::Terraform;

use super::serial;

/// TPF #717 (connection settings on the resource, `for_each` over clusters without
/// provider aliases), TPF #694 (a plan while the kubeconfig is not known yet: here it
/// comes from a `terraform_data` that does not exist before the apply) and TPF #662 /
/// #431 (three bootstraps pushing to one repository at once converge, with a linear
/// history and no failure).
#[test]
fn bootstrap_git_for_each_over_three_clusters_into_one_repository_converges() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-fleet", false);
    let clusters = [
        ("a", var("KUBECONFIG")),
        (
            "b",
            env()
                .add_cluster("fleet-b")
                .unwrap()
                .kubeconfig
                .display()
                .to_string(),
        ),
        (
            "c",
            env()
                .add_cluster("fleet-c")
                .unwrap()
                .kubeconfig
                .display()
                .to_string(),
        ),
    ];
    let map: Vec<String> = clusters
        .iter()
        .map(|(name, kubeconfig)| format!("    {name} = {}", hcl(kubeconfig)))
        .collect();
    let main = format!(
        r#"{required}
provider "flux" {{}}

# Stands for the resource that creates a cluster: its output is unknown until apply.
resource "terraform_data" "cluster" {{
  for_each = {{
{map}
  }}
  input = each.value
}}

resource "flux_bootstrap_git" "fleet" {{
  for_each   = terraform_data.cluster
  path       = "clusters/${{each.key}}"
  components = ["source-controller", "kustomize-controller"]
  kubernetes = {{ config_path = each.value.output }}
  git        = {git}
}}
"#,
        required = required_providers(),
        map = map.join("\n"),
        git = git_http(&urls.http),
    );
    let wd = tf.workdir("bootstrap-fleet", &main);
    let plan = wd.plan().success();
    assert!(plan.all().contains("6 to add"), "{}", plan.all());
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);

    let checkout = clone(&urls.http);
    let merges = git(checkout.path(), &["rev-list", "--merges", "HEAD"]);
    assert_eq!(merges, "", "the history is not linear");
    let subjects = git(checkout.path(), &["log", "--format=%s"]);
    assert_eq!(
        subjects.matches("Add Flux sync manifests").count(),
        3,
        "{subjects}"
    );
    for (name, kubeconfig) in &clusters {
        assert!(checkout
            .path()
            .join(format!("clusters/{name}/flux-system/gotk-sync.yaml"))
            .is_file());
        let path = kubectl_at(
            kubeconfig,
            &[
                "-n",
                "flux-system",
                "get",
                "kustomization",
                "flux-system",
                "-o",
                "jsonpath={.spec.path}",
            ],
        );
        assert_eq!(path, format!("./clusters/{name}"));
    }
    wd.destroy().success();
    let checkout = clone(&urls.http);
    assert!(!checkout.path().join("clusters").exists());
    assert_eq!(
        git(checkout.path(), &["rev-list", "--merges", "HEAD"]),
        "",
        "the history is not linear"
    );
}

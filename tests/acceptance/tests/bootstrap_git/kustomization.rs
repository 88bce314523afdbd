//! `kustomization_override` and the `kustomization.yaml` users edit in git.

use acceptance::fixture::repo;
use acceptance::git::{clone, commit_subjects, git, push_commit};
use acceptance::hcl::{bootstrap_resource, provider};
use acceptance::kube::kubectl;
use acceptance::plan::{assert_plan_empty, DestroyOnPanic};
use acceptance::terraform::Terraform;

use super::serial;

const DIR: &str = "clusters/custom/flux-system";

fn override_with(concurrent: u32) -> String {
    format!(
        r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- gotk-components.yaml
- gotk-sync.yaml
patches:
- patch: |
    - op: add
      path: /spec/template/spec/containers/0/args/-
      value: --concurrent={concurrent}
  target:
    kind: Deployment
    name: kustomize-controller
"#
    )
}

fn kustomize_controller_args() -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        "deployment",
        "kustomize-controller",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].args}",
    ])
}

/// Every blob of every commit under the managed directory, with its size.
fn empty_files_in_history(url: &str) -> Vec<String> {
    let checkout = clone(url);
    let mut empty = Vec::new();
    for commit in git(checkout.path(), &["rev-list", "HEAD"]).lines() {
        for line in git(checkout.path(), &["ls-tree", "-r", "-l", commit, "--", DIR]).lines() {
            // "<mode> blob <id> <size>\t<path>"
            let (meta, path) = line.split_once('\t').unwrap_or((line, ""));
            if meta.split_whitespace().nth(3) == Some("0") {
                empty.push(format!("{commit}:{path}"));
            }
        }
    }
    empty
}

/// The reference's customization case: the override's patch reaches the cluster and
/// nothing empty is ever committed (TPF #740). Once the override is unset, the file
/// stays as it is in git, and a user's edit to it is kept and applied (flux2 #5686).
#[test]
fn bootstrap_git_kustomization_override_patches_and_user_edits_are_kept() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-custom", false);
    let config = |extra: &str| {
        format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(
                &tf,
                &format!(
                    "  path       = \"clusters/custom\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n{extra}"
                )
            )
        )
    };
    let wd = tf.workdir(
        "bootstrap-custom",
        &config(&format!(
            "  kustomization_override = {:?}",
            override_with(7)
        )),
    );
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    assert!(kustomize_controller_args().contains("--concurrent=7"));
    assert_eq!(empty_files_in_history(&urls.http), Vec::<String>::new());
    let subjects = commit_subjects(&urls.http);
    assert!(
        !subjects.iter().any(|s| s.contains("Init Flux")),
        "{subjects:?}"
    );

    // Unset: the override stays in git as the kustomization.yaml, unchanged.
    wd.write_main(&config(""));
    wd.apply().success();
    assert_plan_empty(&wd);
    let kustomization_path = format!("{DIR}/kustomization.yaml");
    let in_git =
        || std::fs::read_to_string(clone(&urls.http).path().join(&kustomization_path)).unwrap();
    assert_eq!(in_git(), override_with(7));

    // A user edits it in git: the plan stays empty, and the next update keeps and
    // applies the edit.
    push_commit(
        &urls.http,
        "tune kustomize-controller",
        &[(&kustomization_path, &override_with(8))],
    );
    assert_plan_empty(&wd);
    wd.write_main(&config("  interval = \"2m0s\""));
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(in_git(), override_with(8));
    assert!(kustomize_controller_args().contains("--concurrent=8"));
    wd.destroy().success();
}

/// A kustomization only kustomize builds (a resource file the user committed, a
/// ConfigMap generator) plans and applies as with the reference: the provider applies
/// Flux as rendered and says so, kustomize-controller builds the whole kustomization
/// from git, and the `replicas` it applies itself show in the cluster.
#[test]
fn bootstrap_git_kustomization_override_built_by_kustomize_controller() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-kustomize-built", false);
    let over = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- gotk-components.yaml
- gotk-sync.yaml
- extra.yaml
configMapGenerator:
- name: generated
  namespace: flux-system
  literals:
  - mode=kustomize
replicas:
- name: kustomize-controller
  count: 2
"#;
    let config = format!(
        "{}{}",
        provider(Some(&urls.http)),
        bootstrap_resource(
            &tf,
            &format!(
                "  path       = \"clusters/built\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n  kustomization_override = {over:?}\n"
            )
        )
    );
    let wd = tf.workdir("bootstrap-kustomize-built", &config);
    let _cleanup = DestroyOnPanic(&wd);

    // The resource it lists is not in git yet: refused before anything changes.
    let commits = commit_subjects(&urls.http);
    let namespaces = || kubectl(&["get", "namespaces", "-o", "name"]);
    let namespaces_before = namespaces();
    let refused = wd.apply().failure();
    assert!(
        refused.flat().contains("resources[2] names clusters/built/flux-system/extra.yaml: the branch main has neither a file nor a directory"),
        "{}",
        refused.report()
    );
    assert!(
        refused.flat().contains("kustomization_override"),
        "{}",
        refused.report()
    );
    assert_eq!(commit_subjects(&urls.http), commits);
    assert_eq!(namespaces(), namespaces_before);

    push_commit(
        &urls.http,
        "add a resource for the flux-system kustomization",
        &[(
            "clusters/built/flux-system/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-settings\n  namespace: flux-system\ndata:\n  from: git\n",
        )],
    );
    let applied = wd.apply().success();
    assert!(
        applied
            .flat()
            .contains("kustomize-controller builds and applies the whole kustomization from git"),
        "{}",
        applied.report()
    );
    for field in ["resources[2]", "configMapGenerator"] {
        assert!(applied.flat().contains(field), "{}", applied.report());
    }
    let data = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "configmap",
        "extra-settings",
        "-o",
        "jsonpath={.data.from}",
    ]);
    assert_eq!(data, "git");
    let names = kubectl(&["-n", "flux-system", "get", "configmaps", "-o", "name"]);
    assert!(
        names.lines().any(|n| n.starts_with("configmap/generated-")),
        "no generated ConfigMap with kustomize's hash suffix in {names}"
    );
    let replicas = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "deployment",
        "kustomize-controller",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas, "2");
    assert_plan_empty(&wd);
    wd.destroy().success();
}

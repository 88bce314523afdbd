//! What is installed: embedded manifests with every component, import, an upgrade
//! between two Flux versions, an existing git Secret.

use acceptance::fixture::{repo, var};
use acceptance::git::{clone, commit_subjects};
use acceptance::hcl::{bootstrap_resource, provider};
use acceptance::kube::kubectl;
use acceptance::plan::{assert_plan_empty, assert_plan_shows, DestroyOnPanic};
use acceptance::terraform::{workspace_root, Terraform};

use super::serial;

const ALL_COMPONENTS: [&str; 7] = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

fn deployment_field(name: &str, jsonpath: &str) -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        "deployment",
        name,
        "-o",
        &format!("jsonpath={jsonpath}"),
    ])
}

/// The reference's "air-gapped" and "all components" cases in one apply, then its
/// import case: a new state imported by namespace plans no change.
#[test]
fn bootstrap_git_embedded_all_components_imports_to_an_empty_plan() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-all", false);
    let body = r#"  path               = "clusters/all"
  components_extra   = ["source-watcher", "image-reflector-controller", "image-automation-controller"]"#;
    let wd = tf.workdir(
        "bootstrap-all",
        &format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(&tf, &format!("{body}\n  embedded_manifests = true"))
        ),
    );
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    for name in ALL_COMPONENTS {
        assert!(
            deployment_field(name, "{.spec.template.spec.containers[0].image}")
                .starts_with(&format!("ghcr.io/fluxcd/{name}:")),
            "{name} is not installed from ghcr.io/fluxcd"
        );
    }
    let checkout = clone(&urls.http);
    let components = std::fs::read_to_string(
        checkout
            .path()
            .join("clusters/all/flux-system/gotk-components.yaml"),
    )
    .unwrap();
    // Sorted components, then sorted extras, as the reference writes the header.
    assert!(
        components.contains("# Components: helm-controller,kustomize-controller,notification-controller,source-controller,image-automation-controller,image-reflector-controller,source-watcher\n"),
        "{}",
        &components[..components.len().min(400)]
    );
    // source-watcher turns on the ExternalArtifact gate of kustomize-controller.
    assert!(deployment_field(
        "kustomize-controller",
        "{.spec.template.spec.containers[0].args}"
    )
    .contains("--feature-gates=ExternalArtifact=true"));

    // Import into a fresh state (the embedded set is what `version` selects anyway, so
    // the configuration leaves embedded_manifests out, as import cannot see it).
    let imported = tf.workdir(
        "bootstrap-all-import",
        &format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(&tf, body)
        ),
    );
    imported
        .run(&["import", "flux_bootstrap_git.this", "flux-system"])
        .success();
    assert_plan_empty(&imported);
    imported.destroy().success();
    assert_eq!(commit_subjects(&urls.http)[0], "Uninstall Flux");
}

/// A copy of the built-in v2.9.4 base manifests with the controller tags Flux v2.9.0
/// pins (source v1.9.1, kustomize v1.9.1, helm v1.6.1, notification v1.9.1): an honest
/// stand-in for the v2.9.0 release, which is not available offline. Only tags differ, so
/// the controllers running here serve both.
fn older_release_manifests() -> tempfile::TempDir {
    let built_in = workspace_root().join("core/flux-manifests/v2.9.4");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&built_in).unwrap() {
        let entry = entry.unwrap();
        if !entry.file_name().to_string_lossy().ends_with(".yaml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .unwrap()
            .replace(
                "fluxcd/source-controller:v1.9.4",
                "fluxcd/source-controller:v1.9.1",
            )
            .replace(
                "fluxcd/kustomize-controller:v1.9.4",
                "fluxcd/kustomize-controller:v1.9.1",
            )
            .replace(
                "fluxcd/helm-controller:v1.6.3",
                "fluxcd/helm-controller:v1.6.1",
            )
            .replace(
                "fluxcd/notification-controller:v1.9.3",
                "fluxcd/notification-controller:v1.9.1",
            );
        std::fs::write(dir.path().join(entry.file_name()), text).unwrap();
    }
    dir
}

/// The reference's upgrade case: bootstrap Flux "v2.9.0" from local manifests, then
/// upgrade to the built-in v2.9.4; the controllers move to the new tags and version
/// label, and each step plans empty afterwards.
#[test]
fn bootstrap_git_upgrade_between_flux_versions_rolls_the_controllers() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-upgrade", false);
    let older = older_release_manifests();
    let config = |extra: &str| {
        format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(
                &tf,
                &format!(
                    "  path       = \"clusters/upgrade\"\n  components = [\"source-controller\", \"kustomize-controller\"]\n{extra}"
                )
            )
        )
    };
    let wd = tf.workdir(
        "bootstrap-upgrade",
        &config(&format!(
            "  version        = \"v2.9.0\"\n  manifests_path = {:?}",
            older.path().display().to_string()
        )),
    );
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    let image = "{.spec.template.spec.containers[0].image}";
    let version = "{.metadata.labels.app\\.kubernetes\\.io/version}";
    assert_eq!(
        deployment_field("kustomize-controller", image),
        "ghcr.io/fluxcd/kustomize-controller:v1.9.1"
    );
    assert_eq!(deployment_field("kustomize-controller", version), "v2.9.0");
    assert!(commit_subjects(&urls.http).contains(&"Add Flux v2.9.0 component manifests".into()));

    wd.write_main(&config(""));
    // Readable: the versions and images that change, not the files' thousands of lines.
    let plan = assert_plan_shows(
        &wd,
        &[
            "\"v2.9.0\" -> \"v2.9.4\"",
            "image: ghcr.io/fluxcd/kustomize-controller:v1.9.1",
            "image: ghcr.io/fluxcd/kustomize-controller:v1.9.4",
        ],
    );
    let lines = plan.lines().count();
    assert!(lines < 200, "upgrade plan of {lines} lines:\n{plan}");
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(
        deployment_field("kustomize-controller", image),
        "ghcr.io/fluxcd/kustomize-controller:v1.9.4"
    );
    assert_eq!(deployment_field("kustomize-controller", version), "v2.9.4");
    assert_eq!(commit_subjects(&urls.http)[0], "Update Flux manifests");
    wd.destroy().success();
}

/// The reference's existing-secret case: with `disable_secret_creation` the Secret a
/// user created beforehand is used and left as it was.
#[test]
fn bootstrap_git_existing_secret_is_used_and_left_alone() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-secret", false);
    let user = var("FLUX_TEST_GIT_USERNAME");
    let password = var("FLUX_TEST_GIT_PASSWORD");
    let existing = format!(
        r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"flux-system"}}}}
{{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"git-auth","namespace":"flux-system","annotations":{{"owner":"platform-team"}}}},"stringData":{{"username":"{user}","password":"{password}"}}}}"#
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), existing).unwrap();
    kubectl(&["apply", "-f", &file.path().display().to_string()]);
    let before = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "git-auth",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    let wd = tf.workdir(
        "bootstrap-secret",
        &format!(
            "{}{}",
            provider(Some(&urls.http)),
            bootstrap_resource(
                &tf,
                r#"  path                    = "clusters/secret"
  components              = ["source-controller", "kustomize-controller"]
  secret_name             = "git-auth"
  disable_secret_creation = true"#
            )
        ),
    );
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    let after = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "git-auth",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    assert_eq!(before, after, "the existing Secret was rewritten");
    assert!(
        !kubectl(&["-n", "flux-system", "get", "secrets", "-o", "name"])
            .contains("secret/flux-system\n")
    );
    // The GitRepository authenticated with it (the bootstrap waited for it at HEAD).
    let secret_ref = kubectl(&[
        "-n",
        "flux-system",
        "get",
        "gitrepository",
        "flux-system",
        "-o",
        "jsonpath={.spec.secretRef.name}",
    ]);
    assert_eq!(secret_ref, "git-auth");
    wd.destroy().success();
}

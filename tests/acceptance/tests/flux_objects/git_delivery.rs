//! Git delivery of Flux objects next to a bootstrap: committed beside it, applied by
//! the real controllers, drift in git planned and restored, import by directory, and
//! the move to cluster delivery keeping the object.

use std::time::Duration;

use acceptance::fixture::{repo, unique, var};
use acceptance::git::{clone, push_first_commit};
use acceptance::hcl::hcl;
use acceptance::kube::{jsonpath, kubectl};
use acceptance::plan::{assert_plan_empty, assert_plan_shows, DestroyOnPanic};
use acceptance::poll::wait_for;
use acceptance::terraform::Terraform;

use super::{app_objects, configmap, header, wait_configmap};

fn bootstrap(path: &str) -> String {
    format!(
        r#"
resource "flux_bootstrap_git" "this" {{
  path       = {path}
  interval   = "10s"
  components = ["source-controller", "kustomize-controller"]
}}
"#,
        path = hcl(path)
    )
}

/// Asks the root Kustomization to reconcile now and waits until it did.
fn reconcile_root() {
    let stamp = unique("now");
    kubectl(&[
        "-n",
        "flux-system",
        "annotate",
        "--overwrite",
        "kustomization",
        "flux-system",
        &format!("reconcile.fluxcd.io/requestedAt={stamp}"),
    ]);
    wait_for(
        Duration::from_secs(90),
        "the root Kustomization to reconcile",
        || {
            let handled = jsonpath(
                "kustomization",
                "flux-system",
                "flux-system",
                "{.status.lastHandledReconcileAt}",
            )?;
            let ready = jsonpath(
                "kustomization",
                "flux-system",
                "flux-system",
                "{.status.conditions[?(@.type==\"Ready\")].status}",
            )?;
            (handled == stamp && ready == "True").then_some(())
        },
    );
}

/// Waits until Flux caught up with the fleet repository: the root Kustomization
/// applied its tip and the app Kustomization is Ready at its generation. Flux follows
/// git on its own schedule; a plan made before it caught up sees an object still
/// being reconciled (an edit from git applied late), which the next refresh no
/// longer shows.
fn settle(fleet_url: &str) {
    let checkout = clone(fleet_url);
    let tip = acceptance::git::git(checkout.path(), &["rev-parse", "HEAD"]);
    let tip = tip.trim().to_string();
    acceptance::kube::request_root_fetch();
    let field = |kind: &str, name: &str, path: &str| {
        jsonpath(kind, "flux-system", name, path).unwrap_or_default()
    };
    wait_for(
        Duration::from_secs(120),
        &format!("the root Kustomization to apply {tip} and app to be Ready"),
        || {
            let applied = field(
                "kustomization",
                "flux-system",
                "{.status.lastAppliedRevision}",
            );
            let generation = field("kustomization", "app", "{.metadata.generation}");
            let observed = field("kustomization", "app", "{.status.observedGeneration}");
            let ready = field(
                "kustomization",
                "app",
                "{.status.conditions[?(@.type==\"Ready\")].status}",
            );
            (applied.ends_with(&tip) && generation == observed && ready == "True").then_some(())
        },
    );
}

#[test]
fn flux_objects_git_delivery_reconciles_imports_and_moves_to_cluster_in_place() {
    let _turn = acceptance::env::cluster_turn();
    let fleet = repo("objects-fleet", true);
    let app = repo("objects-app-git", true);
    let cm = unique("from-git");
    push_first_commit(
        &app.http,
        &[(
            "deploy/configmap.yaml",
            &configmap("flux-system", &cm, "two"),
        )],
    );
    let tf = Terraform::latest();
    let objects = |source_extra: &str| {
        app_objects(
            "flux-system",
            &app.http,
            &format!("  depends_on = [flux_bootstrap_git.this]\n{source_extra}"),
            "  wait = true\n  wait_timeout = \"3m\"",
        )
    };
    let main = format!(
        "{}{}{}",
        header(Some(&fleet.http)),
        bootstrap("clusters/objs"),
        objects("")
    );
    let wd = tf.workdir("objects-git", &main);
    // A failure must not leave its bootstrap for the next test on the cluster.
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    // Committed next to the bootstrap, listed, and applied by the real controllers.
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("clusters/objs/flux-objects");
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        list.contains("- gitrepository-flux-system-app.yaml")
            && list.contains("- kustomization-flux-system-app.yaml"),
        "{list}"
    );
    let source_file =
        std::fs::read_to_string(dir.join("gitrepository-flux-system-app.yaml")).unwrap_or_default();
    assert!(source_file.contains("kind: GitRepository"), "{source_file}");
    // Secret material never reaches git.
    assert!(
        !source_file.contains(&var("FLUX_TEST_GIT_PASSWORD")),
        "{source_file}"
    );
    wait_configmap("flux-system", &cm, "two");
    settle(&fleet.http);
    assert_plan_empty(&wd);

    // Drift in git: the file edited behind Terraform's back is planned and restored.
    let edit = clone(&fleet.http);
    let file = edit
        .path()
        .join("clusters/objs/flux-objects/kustomization-flux-system-app.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(text.contains("path: ./deploy"), "{text}");
    std::fs::write(&file, text.replace("path: ./deploy", "path: ./edited"))
        .unwrap_or_else(|e| panic!("{e}"));
    acceptance::git::git(edit.path(), &["commit", "-qam", "edit behind terraform"]);
    acceptance::git::git(edit.path(), &["push", "-q", "origin", "HEAD:main"]);
    assert_plan_shows(&wd, &["./edited"]);
    wd.apply().success();
    let restored = clone(&fleet.http);
    let text = std::fs::read_to_string(
        restored
            .path()
            .join("clusters/objs/flux-objects/kustomization-flux-system-app.yaml"),
    )
    .unwrap_or_default();
    assert!(text.contains("path: ./deploy"), "{text}");
    settle(&fleet.http);
    assert_plan_empty(&wd);

    // Import of a git-delivered object by namespace/name@directory.
    wd.run(&["state", "rm", "flux_kustomization.app"]).success();
    wd.run(&[
        "import",
        "flux_kustomization.app",
        "flux-system/app@clusters/objs/flux-objects",
    ])
    .success();
    let plan = wd.plan_detailed();
    // `wait` is configured (true) while an import of a git object starts with false.
    assert!(plan.code != 1, "{}", plan.report());
    wd.apply().success();
    settle(&fleet.http);
    assert_plan_empty(&wd);

    // Moving the source to cluster delivery keeps the object (same uid), removes the
    // file, and the root Kustomization does not prune it afterwards.
    let uid = jsonpath("gitrepository", "flux-system", "app", "{.metadata.uid}");
    assert!(uid.as_deref().is_some_and(|u| !u.is_empty()));
    wd.write_main(&format!(
        "{}{}{}",
        header(Some(&fleet.http)),
        bootstrap("clusters/objs"),
        objects("  delivery = \"cluster\"")
    ));
    wd.apply().success();
    let checkout = clone(&fleet.http);
    let dir = checkout.path().join("clusters/objs/flux-objects");
    assert!(!dir.join("gitrepository-flux-system-app.yaml").exists());
    let list = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        !list.contains("gitrepository-flux-system-app.yaml"),
        "{list}"
    );
    reconcile_root();
    assert_eq!(
        jsonpath("gitrepository", "flux-system", "app", "{.metadata.uid}"),
        uid
    );
    assert_plan_empty(&wd);

    wd.destroy().success();
}

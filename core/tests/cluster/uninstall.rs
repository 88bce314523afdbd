//! Uninstall, twice and with drain.

use super::*;

#[tokio::test]
async fn uninstall_twice_succeeds_and_second_run_finds_nothing() {
    let _serial = serial().await;
    let cluster = admin();
    install(&cluster).await;
    // A Flux object with a finalizer that no controller will remove would block the CRD
    // deletion if the uninstall did not strip it.
    cluster
        .apply(&[json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "held", "namespace": "default", "finalizers": ["test.invalid/hold"]},
            "spec": {"interval": "1m", "url": "http://127.0.0.1:1/x.git", "suspend": true}
        })])
        .await
        .unwrap();
    let spec = UninstallSpec {
        namespace: NS.into(),
        root_name: NS.into(),
        keep_namespace: false,
        drain: None,
    };
    let first = cluster.uninstall(&spec).await.unwrap();
    assert_eq!(first.namespace, NamespaceOutcome::Deleted);
    assert!(first
        .deleted
        .iter()
        .any(|o| o.kind == "CustomResourceDefinition"));
    assert!(first.deleted.iter().any(|o| o.kind == "Deployment"));
    assert!(
        first.finalizers_removed.iter().any(|o| o.name == "held"),
        "{first:?}"
    );
    wait_gone(&cluster, &ObjectRef::new("v1", "Namespace", None, NS)).await;
    wait_gone(
        &cluster,
        &ObjectRef::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "gitrepositories.source.toolkit.fluxcd.io",
        ),
    )
    .await;

    // TPF #500: already gone is success.
    let second = cluster.uninstall(&spec).await.unwrap();
    assert_eq!(second.namespace, NamespaceOutcome::AlreadyGone);
    assert!(second.deleted.is_empty(), "{second:?}");
}

#[tokio::test]
async fn uninstall_with_drain_deletes_what_flux_deployed() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    // The root syncs an app Kustomization, which deploys a ConfigMap in its own namespace.
    let app = format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: {NS}\nspec:\n  interval: 10m\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: {NS}\n"
    );
    let app_ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: drain-app\n";
    bootstrap(
        &cluster,
        "drain",
        &[
            ("cluster/app.yaml", &app),
            ("cluster/ns.yaml", app_ns),
            ("app/cm.yaml", &config_map("drain-app", "deployed-by-app")),
        ],
    )
    .await;
    let deployed = ObjectRef::new("v1", "ConfigMap", Some("drain-app"), "deployed-by-app");
    for _ in 0..120 {
        if cluster.find_object(&deployed).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        cluster.find_object(&deployed).await.unwrap().is_some(),
        "the app was never deployed"
    );

    let outcome = cluster
        .uninstall(&UninstallSpec {
            namespace: NS.into(),
            root_name: NS.into(),
            keep_namespace: false,
            drain: Some(Duration::from_secs(60)),
        })
        .await
        .unwrap();
    assert!(
        outcome.drained.iter().any(|o| o.name == "app"),
        "{outcome:?}"
    );
    assert!(
        cluster.find_object(&deployed).await.unwrap().is_none(),
        "the drain left {deployed}"
    );
    wait_gone(&cluster, &ObjectRef::new("v1", "Namespace", None, NS)).await;
}

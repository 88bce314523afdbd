//! Waiting for the root objects through the real controllers, and the drift read.

use super::*;

#[tokio::test]
async fn wait_root_objects_reach_pushed_revision_through_real_controllers_and_drift_is_read() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    let revision = bootstrap(
        &cluster,
        "ready",
        &[("cluster/cm.yaml", &config_map("default", "synced-by-flux"))],
    )
    .await;
    // The real kustomize-controller applied the pushed manifest.
    assert!(cluster
        .find_object(&ObjectRef::new(
            "v1",
            "ConfigMap",
            Some("default"),
            "synced-by-flux"
        ))
        .await
        .unwrap()
        .is_some());

    let spec = ObserveSpec {
        namespace: NS.into(),
        root_name: NS.into(),
        components: COMPONENTS.iter().map(|c| c.to_string()).collect(),
        secret_name: Some(NS.into()),
        expected_revision: Some(revision.clone()),
    };
    let seen = cluster.observe(&spec).await.unwrap();
    assert_eq!(
        seen.git_repository.as_ref().unwrap().readiness,
        Readiness::Current
    );
    assert_eq!(
        seen.kustomization.as_ref().unwrap().revision.as_deref(),
        Some(revision.as_str())
    );
    assert_eq!(seen.flux_version.as_deref(), Some("v2.9.4"));
    assert_eq!(
        seen.secret_fingerprint,
        Some(git_credentials_secret().data.fingerprint())
    );
    assert!(
        seen.components
            .iter()
            .all(|c| c.present && c.readiness.is_current()),
        "{:?}",
        seen.components
    );

    // Outside changes: an image edited, the GitRepository deleted.
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(cluster.client().await.unwrap(), NS);
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "manager", "image": "example.invalid/edited:v0"}]}}}});
    deployments
        .patch(
            "source-controller",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(&patch),
        )
        .await
        .unwrap();
    let git_repository =
        ObjectRef::new("source.toolkit.fluxcd.io/v1", "GitRepository", Some(NS), NS);
    // source-controller runs its finalizer, so the delete completes.
    cluster.delete_object(&git_repository).await.unwrap();
    wait_gone(&cluster, &git_repository).await;
    let seen = cluster.observe(&spec).await.unwrap();
    assert!(seen.git_repository.is_none());
    let source = seen
        .components
        .iter()
        .find(|c| c.name == "source-controller")
        .unwrap();
    assert_eq!(source.images, vec!["example.invalid/edited:v0"]);
}

#[tokio::test]
async fn wait_ready_false_fails_at_once_with_the_object_message() {
    let _serial = serial().await;
    let cluster = admin();
    install(&cluster).await;
    let missing = format!("{}/does-not-exist.git", env().var("FLUX_TEST_GIT_HTTP_URL"));
    let broken = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "broken", "namespace": NS},
        "spec": {"interval": "1m", "ref": {"branch": "main"}, "url": missing, "timeout": "10s"}
    });
    cluster.apply(&[broken]).await.unwrap();
    let started = std::time::Instant::now();
    let err = cluster
        .wait_with_interval(
            &[WaitTarget {
                object: ObjectRef::new(
                    "source.toolkit.fluxcd.io/v1",
                    "GitRepository",
                    Some(NS),
                    "broken",
                ),
                rule: WaitRule::Flux {
                    expected_revision: None,
                },
            }],
            Duration::from_secs(120),
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClusterError::Failed { .. }),
        "{err:?}\n{}",
        controller_logs()
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    // The message is source-controller's own, which names the failing fetch.
    let text = err.to_string();
    assert!(
        text.contains("GitRepository/flux-system/broken failed:"),
        "{text}"
    );
    assert!(
        text.len() > "GitRepository/flux-system/broken failed: ".len() + 5,
        "{text}"
    );
}

#[tokio::test]
async fn wait_timeout_lists_objects_still_not_ready() {
    let _serial = serial().await;
    let cluster = admin();
    let started = std::time::Instant::now();
    let err = cluster
        .wait_with_interval(
            &[
                WaitTarget {
                    object: ObjectRef::new(
                        "apps/v1",
                        "Deployment",
                        Some("default"),
                        "never-created",
                    ),
                    rule: WaitRule::Kstatus,
                },
                WaitTarget {
                    object: ObjectRef::new("v1", "Namespace", None, "default"),
                    rule: WaitRule::Kstatus,
                },
            ],
            Duration::from_secs(2),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = err.to_string();
    assert!(
        text.contains("Deployment/default/never-created (not found)"),
        "{text}"
    );
    assert!(!text.contains("Namespace/default"), "{text}");
}

//! Server-side apply of the install set, watches, and unknown kinds.

use super::*;

#[tokio::test]
async fn apply_fixture_install_set_creates_then_reapply_is_unchanged() {
    let _serial = serial().await;
    let cluster = admin();
    clean(&cluster).await;
    let objects = install_set();
    assert_eq!(objects.len(), 32);

    let first = cluster.apply(&objects).await.unwrap();
    assert_eq!(first.created.len(), 32, "{first:?}");
    assert_eq!(first.created[0].kind, "CustomResourceDefinition");
    for object in &first.created {
        assert!(
            cluster.find_object(object).await.unwrap().is_some(),
            "{object} missing"
        );
    }

    let again = cluster.apply(&objects).await.unwrap();
    assert_eq!(again.unchanged.len(), 32, "{again:?}");

    // An outside edit is put back and reported as configured.
    let mut edited = objects.clone();
    let deployment = edited
        .iter_mut()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "helm-controller")
        .unwrap();
    deployment["metadata"]["labels"]["test-edit"] = json!("1");
    let changed = cluster.apply(&edited).await.unwrap();
    assert_eq!(changed.configured.len(), 1, "{changed:?}");
    assert_eq!(changed.configured[0].name, "helm-controller");
}

/// A watch from a version read earlier replays every later version in order, also the
/// ones overwritten before anybody read them, and stops at the object's deletion.
#[tokio::test]
async fn watch_object_replays_every_version_after_the_one_read() {
    let cluster = admin();
    let object = ObjectRef::new("v1", "ConfigMap", Some("default"), "history-test");
    let _ = cluster.delete_object(&object).await.unwrap();
    wait_gone(&cluster, &object).await;
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "history-test", "namespace": "default"},
        "data": {"step": "0"},
    });
    cluster.apply(&[config_map]).await.unwrap();
    let read = cluster.find_object(&object).await.unwrap().unwrap();
    let version = read["metadata"]["resourceVersion"].as_str().unwrap();
    for step in 1..=3 {
        let patch = json!({"data": {"step": step.to_string()}});
        assert!(cluster.merge_patch(&object, &patch).await.unwrap());
    }
    let mut history = cluster.watch_object(&object, version).await.unwrap();
    let mut steps = Vec::new();
    for _ in 0..100 {
        steps.extend(
            history
                .take()
                .await
                .iter()
                .map(|v| v["data"]["step"].as_str().unwrap().to_string()),
        );
        if steps.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(steps, ["1", "2", "3"]);
    assert!(history.complete());

    assert!(cluster.delete_object(&object).await.unwrap());
    for _ in 0..100 {
        if !history.complete() {
            break;
        }
        assert!(history.take().await.is_empty());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!history.complete(), "the deletion did not end the history");
}

#[tokio::test]
async fn apply_unknown_kind_fails_naming_kind_and_changes_nothing_before() {
    let _serial = serial().await;
    let cluster = admin();
    let err = cluster
        .apply(&[
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
            json!({"apiVersion": "v1", "metadata": {"name": "no-kind"}}),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("kind"), "{err}");
    assert!(cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "x"))
        .await
        .unwrap()
        .is_none());

    let err = cluster
        .apply(&[json!({"apiVersion": "example.invalid/v1", "kind": "Nope", "metadata": {"name": "a", "namespace": "default"}})])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Nope"), "{err}");
}

//! Secrets the engine keeps in the cluster: rotation and image pull secrets.

use super::*;

#[tokio::test]
async fn ensure_secret_rotation_reaches_cluster_and_same_content_is_unchanged() {
    let _serial = serial().await;
    let cluster = admin();
    let ns = "secret-rotation";
    cluster
        .apply(&[json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})])
        .await
        .unwrap();
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(cluster.client().await.unwrap(), ns);
    let _ = api.delete("git", &Default::default()).await;

    let spec = |password: &str, ssh: bool| SecretSpec {
        namespace: ns.into(),
        name: "git".into(),
        secret_type: SecretType::Opaque,
        data: if ssh {
            git_secret_data(&GitCredentials::Ssh {
                identity: Sensitive::new("-----BEGIN PRIVATE KEY-----\nx\n".into()),
                identity_pub: "ssh-ed25519 AAAA".into(),
                known_hosts: "host ssh-ed25519 AAAA".into(),
                password: None,
            })
        } else {
            git_secret_data(&GitCredentials::Http {
                username: Some("git".into()),
                password: Some(Sensitive::new(password.into())),
                bearer_token: None,
                ca_certificate: None,
            })
        },
        labels: Default::default(),
    };
    assert_eq!(
        cluster.ensure_secret(&spec("one", false)).await.unwrap(),
        SecretOutcome::Created
    );
    let first = cluster
        .find_secret_fingerprint(ns, "git")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, spec("one", false).data.fingerprint());
    assert_eq!(
        cluster.ensure_secret(&spec("one", false)).await.unwrap(),
        SecretOutcome::Unchanged
    );

    // TPF #596/#566: a rotated password reaches the cluster.
    assert_eq!(
        cluster.ensure_secret(&spec("two", false)).await.unwrap(),
        SecretOutcome::Updated
    );
    let live = api.get("git").await.unwrap();
    let data = live.data.unwrap();
    assert_eq!(data["password"].0, b"two");
    assert_ne!(
        cluster
            .find_secret_fingerprint(ns, "git")
            .await
            .unwrap()
            .unwrap(),
        first
    );

    // Switching transport leaves no stale key behind.
    assert_eq!(
        cluster.ensure_secret(&spec("", true)).await.unwrap(),
        SecretOutcome::Updated
    );
    let live = api.get("git").await.unwrap();
    let keys: Vec<_> = live.data.unwrap().into_keys().collect();
    assert_eq!(keys, vec!["identity", "identity.pub", "known_hosts"]);
}

#[tokio::test]
async fn ensure_secret_image_pull_secret_has_dockerconfigjson_type() {
    let _serial = serial().await;
    let cluster = admin();
    let ns = "secret-pull";
    cluster
        .apply(&[json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})])
        .await
        .unwrap();
    let spec = SecretSpec {
        namespace: ns.into(),
        name: "pull".into(),
        secret_type: SecretType::DockerConfigJson,
        data: flux_core::cluster::image_pull_secret_data(
            "ghcr.io",
            "bot",
            &Sensitive::new("pw".into()),
        )
        .unwrap(),
        labels: Default::default(),
    };
    let outcome = cluster.ensure_secret(&spec).await.unwrap();
    assert_ne!(outcome, SecretOutcome::Updated);
    let live = cluster
        .find_object(&ObjectRef::new("v1", "Secret", Some(ns), "pull"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        cluster.ensure_secret(&spec).await.unwrap(),
        SecretOutcome::Unchanged
    );
}

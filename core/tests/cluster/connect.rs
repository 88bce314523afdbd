//! Every connection form reaches the kube-apiserver, and the wrong ones fail the way they should.

use super::*;

async fn assert_reaches_server(spec: ConnectionSpec) {
    let cluster = Cluster::new(spec).unwrap();
    let client = cluster.client().await.unwrap();
    let version = client.apiserver_version().await.unwrap();
    assert!(
        version.git_version.starts_with("v1."),
        "{}",
        version.git_version
    );
    // And an authenticated request, not only /version.
    let ns = ObjectRef::new("v1", "Namespace", None, "default");
    assert!(cluster.find_object(&ns).await.unwrap().is_some());
}

#[tokio::test]
async fn connect_kubeconfig_path_with_client_certificate_reaches_server() {
    assert_reaches_server(ConnectionSpec {
        config_path: Some(env().kubeconfig()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_kubeconfig_paths_merged_with_context_override_reaches_server() {
    let dir = tempfile::tempdir().unwrap();
    // A first file whose current context points nowhere useful; the second file holds the
    // real entries and `config_context` selects them.
    let decoy = dir.path().join("decoy");
    std::fs::write(
        &decoy,
        "apiVersion: v1\nkind: Config\ncurrent-context: decoy\ncontexts:\n- name: decoy\n  context: {cluster: decoy, user: decoy}\nclusters:\n- name: decoy\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: decoy\n  user: {token: nope}\n",
    )
    .unwrap();
    let real: Value =
        serde_norway::from_str(&std::fs::read_to_string(env().kubeconfig()).unwrap()).unwrap();
    let context = real["current-context"].as_str().unwrap().to_owned();
    assert_reaches_server(ConnectionSpec {
        config_paths: vec![decoy, env().kubeconfig()],
        config_context: Some(context),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_host_token_and_ca_reaches_server() {
    let env = env();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        cluster_ca_certificate: Some(env.ca_pem()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_host_client_certificate_and_key_reaches_server() {
    let env = env();
    let kubeconfig: Value =
        serde_norway::from_str(&std::fs::read_to_string(env.kubeconfig()).unwrap()).unwrap();
    let user = &kubeconfig["users"][0]["user"];
    let pem = |data_key: &str, file_key: &str| -> String {
        match user[data_key].as_str() {
            Some(data) => String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
            .unwrap(),
            None => {
                let file = user[file_key].as_str().unwrap();
                let base = env.kubeconfig().parent().unwrap().to_path_buf();
                std::fs::read_to_string(base.join(file)).unwrap()
            }
        }
    };
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        client_certificate: Some(pem("client-certificate-data", "client-certificate")),
        client_key: Some(Sensitive::new(pem("client-key-data", "client-key"))),
        cluster_ca_certificate: Some(env.ca_pem()),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_insecure_without_ca_reaches_server() {
    let env = env();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        insecure: Some(true),
        ..ConnectionSpec::default()
    })
    .await;
}

#[tokio::test]
async fn connect_token_overrides_kubeconfig_user_and_wrong_token_is_unauthorized() {
    let env = env();
    let cluster = Cluster::new(ConnectionSpec {
        config_path: Some(PathBuf::from(env.var("FLUX_TEST_KUBECONFIG_TOKEN"))),
        token: Some(Sensitive::new("wrong-token".into())),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-token"));
}

#[tokio::test]
async fn connect_without_ca_fails_tls_verification() {
    let env = env();
    let cluster = Cluster::new(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}

#[tokio::test]
async fn connect_exec_plugin_token_reaches_server() {
    let env = env();
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("credential-plugin");
    // The token comes from the plugin's environment, as `exec.env` passes it.
    std::fs::write(
        &plugin,
        "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' \"$PLUGIN_TOKEN\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        cluster_ca_certificate: Some(env.ca_pem()),
        exec: Some(ExecSpec {
            api_version: "client.authentication.k8s.io/v1".into(),
            command: plugin.display().to_string(),
            env: vec![(
                "PLUGIN_TOKEN".into(),
                Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into()),
            )],
            args: vec![],
        }),
        ..ConnectionSpec::default()
    })
    .await;
}

/// A minimal HTTP CONNECT proxy on loopback that counts the tunnels it opened.
async fn start_connect_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).await.unwrap();
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).await.unwrap();
                    if header == "\r\n" || header.is_empty() {
                        break;
                    }
                }
                let target = request_line.split_whitespace().nth(1).unwrap().to_owned();
                let mut upstream = tokio::net::TcpStream::connect(target).await.unwrap();
                let mut client = reader.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (format!("http://{address}"), tunnels)
}

#[tokio::test]
async fn connect_through_proxy_url_tunnels_requests() {
    let env = env();
    let (proxy, tunnels) = start_connect_proxy().await;
    assert_reaches_server(ConnectionSpec {
        host: Some(env.var("FLUX_TEST_KUBE_HOST").into()),
        token: Some(Sensitive::new(env.var("FLUX_TEST_KUBE_TOKEN").into())),
        cluster_ca_certificate: Some(env.ca_pem()),
        proxy_url: Some(proxy),
        ..ConnectionSpec::default()
    })
    .await;
    assert!(tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn connect_is_lazy_until_the_first_operation() {
    // Neither the missing file nor the closed port matters until something is asked.
    let cluster = Cluster::new(ConnectionSpec {
        config_path: Some("/nonexistent/kubeconfig".into()),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster.client().await.err().unwrap();
    assert!(err.to_string().contains("/nonexistent/kubeconfig"), "{err}");

    let cluster = Cluster::new(ConnectionSpec {
        host: Some("https://127.0.0.1:1".into()),
        insecure: Some(true),
        ..ConnectionSpec::default()
    })
    .unwrap();
    let err = cluster
        .find_object(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

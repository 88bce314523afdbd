//! Notifications out and in, through the real notification-controller: alert
//! Providers (`generic`, `generic-hmac`) posting a Kustomization's events to a
//! listener of the test, and a `generic` Receiver whose webhook makes Flux
//! reconcile its target.

use std::time::{Duration, Instant};

use acceptance::fixture::{repo, unique, var};
use acceptance::git::push_first_commit;
use acceptance::hcl::hcl;
use acceptance::kube::{apply_flux_crds, configmap, kubectl};
use acceptance::terraform::Terraform;
use acceptance::webhook::{post_json, Listener, Request};
use hmac::{Hmac, Mac};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::{app_objects, assert_plan_empty, header, jsonpath, wait_configmap};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The requests of `listener` until one is an event of Kustomization `namespace/name`
/// (every one seen must be a Kustomization's: the Alert selects nothing else).
fn kustomization_event(listener: &Listener, namespace: &str, name: &str) -> (Request, Json) {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(request) = listener.next(left) else {
            panic!(
                "no event of Kustomization {namespace}/{name} at {} within 180s; received: {seen:#?}",
                listener.url
            );
        };
        let event: Json = serde_json::from_slice(&request.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&request.body)
            )
        });
        let object = &event["involvedObject"];
        assert_eq!(object["kind"], "Kustomization", "{event:#}");
        if object["namespace"] == namespace && object["name"] == name {
            return (request, event);
        }
        seen.push(event);
    }
}

#[test]
fn flux_objects_alert_providers_generic_and_hmac_post_kustomization_events() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&[
        "source-controller.yaml",
        "kustomize-controller.yaml",
        "notification-controller.yaml",
    ]);
    let ns = unique("objects-alerts");
    kubectl(&["create", "namespace", &ns]);
    let app = repo("objects-alerts-app", true);
    push_first_commit(
        &app.http,
        &[("deploy/configmap.yaml", &configmap(&ns, "alerted", "one"))],
    );
    let generic = Listener::start(Duration::from_secs(600));
    let signed = Listener::start(Duration::from_secs(600));
    let key = unique("hmac-key");
    let notifications = format!(
        r#"
resource "flux_alert_provider" "generic" {{
  name      = "generic"
  namespace = {ns}
  type      = "generic"
  address   = {generic}
}}
resource "flux_alert_provider" "signed" {{
  name        = "signed"
  namespace   = {ns}
  type        = "generic-hmac"
  address     = {signed}
  secret_ref  = "hmac-key"
  secret_data = {{ token = {key} }}
}}
resource "flux_alert" "generic" {{
  name          = "generic"
  namespace     = {ns}
  provider_ref  = flux_alert_provider.generic.name
  event_sources = [{{ kind = "Kustomization", name = "*" }}]
}}
resource "flux_alert" "signed" {{
  name          = "signed"
  namespace     = {ns}
  provider_ref  = flux_alert_provider.signed.name
  event_sources = [{{ kind = "Kustomization", name = "*" }}]
}}
"#,
        ns = hcl(&ns),
        generic = hcl(&format!("{}/generic", generic.url)),
        signed = hcl(&format!("{}/signed", signed.url)),
        key = hcl(&key),
    );
    // The Kustomization comes after the Alerts, so its first apply's event finds them.
    let main = format!(
        "{}{notifications}{}",
        header(None),
        app_objects(
            &ns,
            &app.http,
            "",
            "  depends_on = [flux_alert.generic, flux_alert.signed]"
        )
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("objects-alerts", &main);
    wd.apply().success();
    wait_configmap(&ns, "alerted", "one");

    let (request, event) = kustomization_event(&generic, &ns, "app");
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/generic");
    assert_eq!(event["severity"], "info", "{event:#}");
    assert_eq!(event["reportingController"], "kustomize-controller");
    assert!(!request.headers.contains_key("x-signature"), "{request:?}");

    let (request, event) = kustomization_event(&signed, &ns, "app");
    assert_eq!(request.path, "/signed");
    assert_eq!(event["severity"], "info", "{event:#}");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    mac.update(&request.body);
    let expected = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    assert_eq!(
        request.headers.get("x-signature"),
        Some(&expected),
        "the signature is not the HMAC-SHA256 of the body with the key"
    );

    // The controllers' status (and the events) plan nothing.
    assert_plan_empty(&wd);
    wd.destroy().success();
    assert!(jsonpath(
        "providers.notification.toolkit.fluxcd.io",
        &ns,
        "signed",
        "{.metadata.name}"
    )
    .is_none());
    assert!(jsonpath("secret", &ns, "hmac-key", "{.metadata.name}").is_none());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

const REQUESTED_AT: &str = "{.metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt}";

#[test]
fn flux_objects_receiver_generic_webhook_path_makes_flux_reconcile_the_target() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "notification-controller.yaml"]);
    let ns = unique("objects-receiver");
    kubectl(&["create", "namespace", &ns]);
    let app = repo("objects-receiver-app", true);
    push_first_commit(
        &app.http,
        &[("deploy/configmap.yaml", &configmap(&ns, "received", "one"))],
    );
    let token = unique("receiver-token");
    let main = format!(
        r#"{header}
resource "flux_source_git" "app" {{
  name        = "app"
  namespace   = {ns}
  url         = {url}
  interval    = "1h"
  secret_ref  = "app-auth"
  secret_data = {{ username = {user}, password = {password} }}
  ref         = {{ branch = "main" }}
}}
resource "flux_receiver" "hook" {{
  name        = "hook"
  namespace   = {ns}
  type        = "generic"
  secret_ref  = "hook-token"
  secret_data = {{ token = {token} }}
  resources   = [{{ kind = "GitRepository", name = flux_source_git.app.name }}]
}}
output "webhook_path" {{
  value = flux_receiver.hook.webhook_path
}}
"#,
        header = header(None),
        ns = hcl(&ns),
        url = hcl(&app.http),
        user = hcl(&var("FLUX_TEST_GIT_USERNAME")),
        password = hcl(&var("FLUX_TEST_GIT_PASSWORD")),
        token = hcl(&token),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("objects-receiver", &main);
    wd.apply().success();

    // The path is the controller's: sha256(token + name + namespace), as in status.
    let path = wd.run(&["output", "-raw", "webhook_path"]).success().stdout;
    let digest = hex(&Sha256::digest(format!("{token}hook{ns}").as_bytes()));
    assert_eq!(path, format!("/hook/{digest}"));
    assert_eq!(
        jsonpath(
            "receivers.notification.toolkit.fluxcd.io",
            &ns,
            "hook",
            "{.status.webhookPath}"
        ),
        Some(path.clone())
    );

    // The source interval is an hour: a reconcile now is the webhook's doing.
    let before = jsonpath("gitrepository", &ns, "app", REQUESTED_AT).unwrap_or_default();
    let url = format!("{}{path}", var("FLUX_TEST_RECEIVER_URL"));
    let mut last = before;
    for round in 0..2 {
        // requestedAt has a resolution of a second: calls in one second look alike.
        std::thread::sleep(Duration::from_millis(1100));
        let (code, body) = post_json(&url, "{}");
        assert_eq!(code, 200, "round {round}: POST {url}: {body}");
        let stamp = acceptance::poll::wait_for(
            Duration::from_secs(60),
            &format!("round {round}: requestedAt on GitRepository {ns}/app to move from {last:?}"),
            || {
                jsonpath("gitrepository", &ns, "app", REQUESTED_AT)
                    .filter(|s| !s.is_empty() && *s != last)
            },
        );
        // source-controller handled that request.
        acceptance::poll::wait_for(
            Duration::from_secs(60),
            &format!("round {round}: GitRepository {ns}/app to handle {stamp:?}"),
            || {
                (jsonpath(
                    "gitrepository",
                    &ns,
                    "app",
                    "{.status.lastHandledReconcileAt}",
                )? == stamp)
                    .then_some(())
            },
        );
        last = stamp;
    }
    // A path that is not the Receiver's is refused and annotates nothing.
    let (code, _) = post_json(
        &format!("{}/hook/{}", var("FLUX_TEST_RECEIVER_URL"), "0".repeat(64)),
        "{}",
    );
    assert_eq!(code, 404);
    assert_eq!(
        jsonpath("gitrepository", &ns, "app", REQUESTED_AT),
        Some(last)
    );

    assert_plan_empty(&wd);
    wd.destroy().success();
    assert!(jsonpath(
        "receivers.notification.toolkit.fluxcd.io",
        &ns,
        "hook",
        "{.metadata.name}"
    )
    .is_none());
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

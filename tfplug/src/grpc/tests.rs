//! The gRPC layer through the generated client, with the server's tower service in
//! process: protobuf encoding, gRPC framing and routing are real, the network is not.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::path::AttributePath;
use crate::proto::tfplugin6::provider_client::ProviderClient;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::test_provider::{thing, Calls, Create, TestProvider};
use crate::types::Type;
use crate::value::{msgpack, Value};

type Client = ProviderClient<ProviderServer<ProviderService<TestProvider>>>;

fn client(create: Create) -> (Client, Calls) {
    let calls = Calls::default();
    let provider = TestProvider {
        calls: Arc::clone(&calls),
        create,
    };
    let service = ProviderServer::new(ProviderService::new(provider));
    (ProviderClient::new(service), calls)
}

async fn configured(create: Create) -> (Client, Calls) {
    let (mut client, calls) = client(create);
    let config = Value::object([("mode", Value::Null)]);
    let response = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(dynamic(&config, &provider_type())),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    (client, calls)
}

fn provider_type() -> Type {
    Type::object([("mode", Type::String)])
}

fn thing_type() -> Type {
    Type::object([("id", Type::String), ("name", Type::String)])
}

fn dynamic(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    }
}

fn garbage() -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: vec![0xa1, b'x'],
        json: Vec::new(),
    }
}

fn decoded(value: Option<&pb::DynamicValue>) -> Value {
    msgpack::decode(&value.unwrap().msgpack, &thing_type()).unwrap()
}

fn summaries(diags: &[pb::Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.summary.as_str()).collect()
}

fn create_request(type_name: &str) -> pb::apply_resource_change::Request {
    let ty = thing_type();
    pb::apply_resource_change::Request {
        type_name: type_name.into(),
        prior_state: Some(dynamic(&Value::Null, &ty)),
        planned_state: Some(dynamic(&thing(Value::unknown(), "a"), &ty)),
        config: Some(dynamic(&thing(Value::Null, "a"), &ty)),
        planned_private: b"planned".to_vec(),
        provider_meta: None,
    }
}

#[tokio::test]
async fn schema_and_metadata_name_every_type() {
    let (mut client, _) = client(Create::Succeed);
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut resources: Vec<_> = schema.resource_schemas.keys().cloned().collect();
    resources.sort();
    assert_eq!(resources, ["test_thing"]);
    assert!(schema.data_source_schemas.contains_key("test_lookup"));
    let provider = schema.provider.unwrap().block.unwrap();
    assert_eq!(provider.attributes[0].name, "mode");
    assert!(schema.server_capabilities.unwrap().plan_destroy);

    let metadata = client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.resources[0].type_name, "test_thing");
    assert_eq!(metadata.data_sources[0].type_name, "test_lookup");
}

#[tokio::test]
async fn diagnostics_reach_the_wire_with_severity_and_attribute() {
    let (mut client, _) = client(Create::Succeed);
    let config = thing(Value::Null, "c");
    let response = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(dynamic(&config, &thing_type())),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let diags = &response.diagnostics;
    assert_eq!(summaries(diags), ["Invalid Attribute Value", "Own Check"]);
    assert_eq!(diags[0].severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(
        diags[0].attribute,
        Some(wire::attribute_path(&AttributePath::attr("name")))
    );
    assert_eq!(diags[1].severity, pb::diagnostic::Severity::Warning as i32);
    assert_eq!(diags[1].attribute, None);
}

#[tokio::test]
async fn an_undecodable_configuration_never_reaches_the_provider() {
    let (mut client, calls) = client(Create::Succeed);
    let response = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(garbage()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&response.diagnostics),
        ["Invalid Configuration Value"]
    );
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn every_undecodable_plan_value_is_reported() {
    let (mut client, calls) = configured(Create::Succeed).await;
    let response = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(garbage()),
            proposed_new_state: Some(garbage()),
            config: Some(garbage()),
            prior_private: Vec::new(),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&response.diagnostics),
        [
            "Invalid Prior State Value",
            "Invalid Proposed State Value",
            "Invalid Configuration Value"
        ]
    );
    assert_eq!(response.planned_state, None);
    assert_eq!(*calls.lock().unwrap(), ["configure"]);
}

#[tokio::test]
async fn an_unknown_type_is_reported_without_decoding() {
    let (mut client, _) = configured(Create::Succeed).await;
    let response = client
        .read_data_source(pb::read_data_source::Request {
            type_name: "test_nope".into(),
            config: Some(garbage()),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&response.diagnostics),
        ["Unknown Data Source Type"]
    );
    assert_eq!(response.state, None);
}

#[tokio::test]
async fn a_failed_read_returns_the_bytes_terraform_sent() {
    let (mut client, _) = client(Create::Succeed);
    let sent = dynamic(&thing("made", "a"), &thing_type());
    let response = client
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(sent.clone()),
            private: b"old".to_vec(),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&response.diagnostics),
        ["Provider Not Configured"]
    );
    assert_eq!(response.new_state, Some(sent));
    assert_eq!(response.private, b"old");
}

#[tokio::test]
async fn a_failed_create_sends_its_partial_state() {
    let (mut client, _) = configured(Create::FailPartway).await;
    let response = client
        .apply_resource_change(create_request("test_thing"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&response.diagnostics), ["Create Failed"]);
    assert_eq!(decoded(response.new_state.as_ref()), thing("half", "a"));
    assert_eq!(response.private, b"half");
}

#[tokio::test]
async fn a_create_that_fails_without_state_sends_the_prior_state_back() {
    let (mut client, _) = configured(Create::FailEmpty).await;
    let request = create_request("test_thing");
    let prior = request.prior_state.clone();
    let response = client
        .apply_resource_change(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&response.diagnostics), ["Create Failed"]);
    assert_eq!(response.new_state, prior);
    assert_eq!(response.private, b"planned");
}

#[tokio::test]
async fn a_destroy_plan_before_configure_plans_null() {
    let (mut client, calls) = client(Create::Succeed);
    let ty = thing_type();
    let response = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(dynamic(&thing("made", "a"), &ty)),
            proposed_new_state: Some(dynamic(&Value::Null, &ty)),
            config: Some(dynamic(&Value::Null, &ty)),
            prior_private: b"prior".to_vec(),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decoded(response.planned_state.as_ref()), Value::Null);
    assert_eq!(response.planned_private, b"prior");
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_plan_sends_its_replacement_paths() {
    let (mut client, _) = configured(Create::Succeed).await;
    let ty = thing_type();
    let proposed = dynamic(&thing(Value::Null, "replace"), &ty);
    let response = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: None,
            proposed_new_state: Some(proposed.clone()),
            config: Some(proposed),
            prior_private: Vec::new(),
            provider_meta: None,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let expected: Vec<_> = [AttributePath::attr("id"), AttributePath::attr("name")]
        .iter()
        .map(wire::attribute_path)
        .collect();
    assert_eq!(response.requires_replace, expected);
    assert!(decoded(response.planned_state.as_ref())
        .attr("id")
        .is_unknown());
    assert_eq!(response.planned_private, b"planned");
}

#[tokio::test]
async fn an_import_that_fails_imports_nothing() {
    let (mut client, _) = configured(Create::Succeed).await;
    let response = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "x".into(),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&response.diagnostics), ["Import Not Supported"]);
    assert!(response.imported_resources.is_empty());
}

#[tokio::test]
async fn upgrade_sends_the_state_as_msgpack() {
    let (mut client, _) = client(Create::Succeed);
    let response = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"x","name":"a"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decoded(response.upgraded_state.as_ref()), thing("x", "a"));
}

#[tokio::test]
async fn stop_provider_interrupts_an_apply_in_flight() {
    let (client, _) = configured(Create::Hang).await;
    let apply = tokio::spawn({
        let mut client = client.clone();
        async move {
            client
                .apply_resource_change(create_request("test_thing"))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!apply.is_finished());
    let stop = client
        .clone()
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");
    let response = tokio::time::timeout(Duration::from_secs(5), apply)
        .await
        .expect("the apply still runs after StopProvider")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&response.diagnostics), ["Operation Interrupted"]);
    assert_eq!(
        response.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
}

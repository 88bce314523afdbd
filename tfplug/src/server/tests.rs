//! The server's decisions, driven directly with a scripted provider.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::diag::Severity;
use crate::provider::{ApplyRequest, ReadRequest};
use crate::test_provider::{thing, Calls, Create, TestProvider};

fn server(create: Create) -> (Server<TestProvider>, Calls) {
    let calls = Calls::default();
    let provider = TestProvider {
        calls: Arc::clone(&calls),
        create,
    };
    (Server::new(provider), calls)
}

async fn configured(create: Create) -> (Server<TestProvider>, Calls) {
    let (server, calls) = server(create);
    let diags = server
        .configure(ConfigureRequest {
            terraform_version: "1.15.5".into(),
            config: Value::object([("mode", Value::Null)]),
        })
        .await;
    assert!(diags.is_empty(), "{diags:?}");
    (server, calls)
}

fn summaries(diags: &Diagnostics) -> Vec<&str> {
    diags.iter().map(|d| d.summary.as_str()).collect()
}

fn create_request(name: &str) -> ApplyRequest {
    ApplyRequest {
        prior: Value::Null,
        planned: thing(Value::unknown(), name),
        config: thing(Value::Null, name),
        planned_private: b"planned".to_vec(),
    }
}

fn plan_request(prior: Value, proposed: Value) -> PlanRequest {
    PlanRequest {
        config: proposed.clone(),
        prior,
        proposed,
        prior_private: b"prior".to_vec(),
    }
}

#[tokio::test]
async fn validation_runs_attribute_validators_then_the_resources_own_check() {
    let (server, _) = server(Create::Succeed);
    let diags = server
        .validate_resource("test_thing", thing(Value::Null, "c"))
        .await;
    assert_eq!(summaries(&diags), ["Invalid Attribute Value", "Own Check"]);
    let first = diags.iter().next().unwrap();
    assert_eq!(first.path, Some(AttributePath::attr("name")));
    assert_eq!(first.severity, Severity::Error);
}

#[tokio::test]
async fn provider_validation_runs_the_providers_own_check() {
    let (server, _) = server(Create::Succeed);
    let diags = server
        .validate_provider(Value::object([("mode", Value::from("bad"))]))
        .await;
    assert_eq!(summaries(&diags), ["Bad Mode"]);
    let diags = server
        .validate_provider(Value::object([("mode", Value::from("good"))]))
        .await;
    assert!(diags.is_empty());
}

#[tokio::test]
async fn an_unknown_resource_type_is_an_error_in_every_rpc() {
    let (server, calls) = configured(Create::Succeed).await;
    let name = "test_nope";
    let expected = "This provider has no resource type \"test_nope\".";
    let validate = server.validate_resource(name, Value::Null).await;
    let upgrade = server.upgrade_resource(name, 0, b"{}");
    let read = server
        .read_resource(
            name,
            ReadRequest {
                state: Value::Null,
                private: Vec::new(),
            },
        )
        .await;
    let plan = server
        .plan_resource(name, plan_request(Value::Null, thing("x", "a")))
        .await;
    let apply = server.apply_resource(name, create_request("a")).await;
    let import = server.import_resource(name, "x").await;
    assert!(upgrade.result.is_none() && read.result.is_none() && plan.result.is_none());
    assert!(apply.result.is_none() && import.result.is_none());
    for diags in [
        &validate,
        &upgrade.diagnostics,
        &read.diagnostics,
        &plan.diagnostics,
        &apply.diagnostics,
        &import.diagnostics,
    ] {
        let only: Vec<_> = diags
            .iter()
            .map(|d| (d.summary.as_str(), d.detail.as_str()))
            .collect();
        assert_eq!(only, [("Unknown Resource Type", expected)]);
    }
    assert_eq!(*calls.lock().unwrap(), ["configure"]);
}

#[tokio::test]
async fn an_unknown_data_source_type_is_an_error() {
    let (server, _) = configured(Create::Succeed).await;
    let validate = server.validate_data_source("test_nope", Value::Null).await;
    let read = server.read_data_source("test_nope", Value::Null).await;
    assert!(read.result.is_none());
    for diags in [&validate, &read.diagnostics] {
        let d = diags.iter().next().unwrap();
        assert_eq!(diags.len(), 1);
        assert_eq!(d.summary, "Unknown Data Source Type");
        assert_eq!(
            d.detail,
            "This provider has no data source type \"test_nope\"."
        );
    }
}

#[tokio::test]
async fn operations_before_configure_report_it_and_call_nothing() {
    let (server, calls) = server(Create::Succeed);
    let read = server
        .read_resource(
            "test_thing",
            ReadRequest {
                state: thing("x", "a"),
                private: Vec::new(),
            },
        )
        .await;
    let plan = server
        .plan_resource(
            "test_thing",
            plan_request(Value::Null, thing(Value::Null, "a")),
        )
        .await;
    let apply = server
        .apply_resource("test_thing", create_request("a"))
        .await;
    let import = server.import_resource("test_thing", "x").await;
    let data = server
        .read_data_source("test_lookup", Value::object([("name", Value::from("n"))]))
        .await;
    for diags in [
        &read.diagnostics,
        &plan.diagnostics,
        &apply.diagnostics,
        &import.diagnostics,
        &data.diagnostics,
    ] {
        assert_eq!(summaries(diags), ["Provider Not Configured"]);
    }
    assert!(read.result.is_none() && plan.result.is_none() && apply.result.is_none());
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_destroy_plan_before_configure_skips_modify_plan() {
    let (server, calls) = server(Create::Succeed);
    let outcome = server
        .plan_resource("test_thing", plan_request(thing("x", "a"), Value::Null))
        .await;
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    let change = outcome.result.unwrap();
    assert_eq!(change.planned, Value::Null);
    assert!(change.requires_replace.is_empty());
    assert_eq!(change.planned_private, b"prior");
    assert!(calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_destroy_plan_after_configure_runs_modify_plan() {
    let (server, calls) = configured(Create::Succeed).await;
    let outcome = server
        .plan_resource("test_thing", plan_request(thing("x", "a"), Value::Null))
        .await;
    let change = outcome.result.unwrap();
    assert_eq!(change.planned, Value::Null);
    assert_eq!(change.planned_private, b"planned");
    assert_eq!(*calls.lock().unwrap(), ["configure", "modify_plan"]);
}

#[tokio::test]
async fn a_create_plan_marks_computed_unknown_and_sorts_replacements() {
    let (server, _) = configured(Create::Succeed).await;
    let outcome = server
        .plan_resource(
            "test_thing",
            plan_request(Value::Null, thing(Value::Null, "replace")),
        )
        .await;
    assert!(outcome.diagnostics.is_empty());
    let change = outcome.result.unwrap();
    assert!(change.planned.attr("id").is_unknown());
    assert_eq!(
        change.requires_replace,
        [AttributePath::attr("id"), AttributePath::attr("name")]
    );
}

#[tokio::test]
async fn an_error_from_modify_plan_gives_no_plan() {
    let (server, _) = configured(Create::Succeed).await;
    let outcome = server
        .plan_resource(
            "test_thing",
            plan_request(Value::Null, thing(Value::Null, "refuse")),
        )
        .await;
    assert_eq!(summaries(&outcome.diagnostics), ["Refused"]);
    assert!(outcome.result.is_none());
}

#[tokio::test]
async fn a_successful_create_stores_the_new_state() {
    let (server, calls) = configured(Create::Succeed).await;
    let outcome = server
        .apply_resource("test_thing", create_request("a"))
        .await;
    assert!(outcome.diagnostics.is_empty());
    let stored = outcome.result.unwrap();
    assert_eq!(stored.state, thing("made", "a"));
    assert_eq!(stored.private, b"planned");
    assert_eq!(*calls.lock().unwrap(), ["configure", "create"]);
}

#[tokio::test]
async fn a_failed_create_keeps_the_partial_state_it_returned() {
    let (server, _) = configured(Create::FailPartway).await;
    let outcome = server
        .apply_resource("test_thing", create_request("a"))
        .await;
    assert_eq!(summaries(&outcome.diagnostics), ["Create Failed"]);
    let stored = outcome.result.unwrap();
    assert_eq!(stored.state, thing("half", "a"));
    assert_eq!(stored.private, b"half");
}

#[tokio::test]
async fn a_failed_create_without_a_state_stores_nothing() {
    let (server, _) = configured(Create::FailEmpty).await;
    let outcome = server
        .apply_resource("test_thing", create_request("a"))
        .await;
    assert_eq!(summaries(&outcome.diagnostics), ["Create Failed"]);
    assert!(outcome.result.is_none());
}

#[tokio::test]
async fn a_create_that_leaves_a_value_unknown_names_it() {
    let (server, _) = configured(Create::LeaveUnknown).await;
    let outcome = server
        .apply_resource("test_thing", create_request("a"))
        .await;
    assert!(outcome.result.is_none());
    let d = outcome.diagnostics.iter().next().unwrap();
    assert_eq!(outcome.diagnostics.len(), 1);
    assert_eq!(d.summary, "Provider Left a Value Unknown");
    assert_eq!(d.path, Some(AttributePath::attr("id")));
    assert!(d.detail.contains("did not set id"), "{}", d.detail);
}

#[tokio::test]
async fn a_known_prior_state_is_updated_in_place() {
    let (server, calls) = configured(Create::Succeed).await;
    let request = ApplyRequest {
        prior: thing("made", "a"),
        planned: thing("made", "b"),
        config: thing(Value::Null, "b"),
        planned_private: Vec::new(),
    };
    let outcome = server.apply_resource("test_thing", request).await;
    assert_eq!(outcome.result.unwrap().state, thing("updated", "b"));
    assert_eq!(*calls.lock().unwrap(), ["configure", "update"]);
}

#[tokio::test]
async fn a_null_plan_deletes_and_stores_null_without_private_state() {
    let (server, calls) = configured(Create::Succeed).await;
    let request = ApplyRequest {
        prior: thing("made", "a"),
        planned: Value::Null,
        config: Value::Null,
        planned_private: b"planned".to_vec(),
    };
    let outcome = server.apply_resource("test_thing", request).await;
    assert!(outcome.diagnostics.is_empty());
    assert_eq!(
        outcome.result,
        Some(Stored {
            state: Value::Null,
            private: Vec::new()
        })
    );
    assert_eq!(*calls.lock().unwrap(), ["configure", "delete"]);
}

#[tokio::test]
async fn a_failed_delete_keeps_the_prior_state() {
    let (server, _) = configured(Create::Succeed).await;
    let request = ApplyRequest {
        prior: thing("stuck", "a"),
        planned: Value::Null,
        config: Value::Null,
        planned_private: Vec::new(),
    };
    let outcome = server.apply_resource("test_thing", request).await;
    assert_eq!(summaries(&outcome.diagnostics), ["Delete Failed"]);
    assert!(outcome.result.is_none());
}

#[tokio::test]
async fn a_read_refreshes_removes_or_keeps_the_state() {
    let (server, _) = configured(Create::Succeed).await;
    let read = |id: &'static str| {
        server.read_resource(
            "test_thing",
            ReadRequest {
                state: thing(id, "a"),
                private: b"old".to_vec(),
            },
        )
    };
    let fresh = read("made").await.result.unwrap();
    assert_eq!(
        fresh,
        Stored {
            state: thing("made", "a"),
            private: b"read".to_vec()
        }
    );
    let gone = read("gone").await.result.unwrap();
    assert_eq!(gone.state, Value::Null);
    let broken = read("broken").await;
    assert_eq!(summaries(&broken.diagnostics), ["Read Failed"]);
    assert!(broken.result.is_none());
}

#[tokio::test]
async fn upgrade_reads_the_current_version_and_refuses_flatmap_state() {
    let (server, _) = server(Create::Succeed);
    let upgraded = server.upgrade_resource("test_thing", 0, br#"{"id":"x","name":"a"}"#);
    assert!(upgraded.diagnostics.is_empty());
    assert_eq!(upgraded.result, Some(thing("x", "a")));
    let flatmap = server.upgrade_resource("test_thing", 0, b"");
    assert_eq!(
        summaries(&flatmap.diagnostics),
        ["Unsupported State Format"]
    );
    assert!(flatmap.result.is_none());
    let future = server.upgrade_resource("test_thing", 7, br#"{"id":"x","name":"a"}"#);
    assert_eq!(
        summaries(&future.diagnostics),
        ["Unsupported State Version"]
    );
    assert!(future.result.is_none());
}

#[tokio::test]
async fn import_is_refused_by_default() {
    let (server, _) = configured(Create::Succeed).await;
    let outcome = server.import_resource("test_thing", "x").await;
    assert_eq!(summaries(&outcome.diagnostics), ["Import Not Supported"]);
    assert!(outcome.result.is_none());
}

#[tokio::test]
async fn a_data_source_read_must_set_every_computed_value() {
    let (server, _) = configured(Create::Succeed).await;
    let found = server
        .read_data_source("test_lookup", Value::object([("name", Value::from("n"))]))
        .await;
    assert_eq!(
        found.result.unwrap().attr("value").as_str(),
        Some("found n")
    );
    let unknown = server
        .read_data_source(
            "test_lookup",
            Value::object([("name", Value::from("unknowable"))]),
        )
        .await;
    let d = unknown.diagnostics.iter().next().unwrap();
    assert_eq!(d.summary, "Provider Left a Value Unknown");
    assert_eq!(d.path, Some(AttributePath::attr("value")));
    assert!(unknown.result.is_some());
}

#[tokio::test]
async fn stop_cancels_an_apply_in_flight_with_an_error() {
    let (server, _) = configured(Create::Hang).await;
    let server = Arc::new(server);
    let apply = tokio::spawn({
        let server = Arc::clone(&server);
        async move {
            server
                .apply_resource("test_thing", create_request("a"))
                .await
        }
    });
    // The create really is in flight: it does not finish on its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!apply.is_finished());
    server.stop();
    let outcome = tokio::time::timeout(Duration::from_secs(5), apply)
        .await
        .expect("the apply still runs after StopProvider")
        .unwrap();
    assert_eq!(summaries(&outcome.diagnostics), ["Operation Interrupted"]);
    assert!(outcome.result.is_none());
}

#[tokio::test]
async fn after_stop_operations_fail_at_once() {
    let (server, _) = configured(Create::Hang).await;
    server.stop();
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        server.apply_resource("test_thing", create_request("a")),
    )
    .await
    .expect("an apply after StopProvider hangs");
    assert_eq!(summaries(&outcome.diagnostics), ["Operation Interrupted"]);
}

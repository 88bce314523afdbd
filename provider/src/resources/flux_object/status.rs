//! Kind-specific values of an object's status exported as read-only attributes
//! (a Receiver's `webhook_path`), beside the `ready`, `revision` and `message`
//! every object resource has.

use std::sync::Arc;

use flux_core::cluster::{Cluster, ObjectRef};
use serde_json::Value as Json;
use tfplug::{Attribute, Value};

use crate::cluster_task::run_on_cluster;

/// A string of the live object's status, exported as a computed attribute.
#[derive(Debug, Clone, Copy)]
pub struct StatusAttribute {
    /// The attribute name.
    pub name: &'static str,
    /// JSON pointer into the live object (`/status/webhookPath`).
    pub pointer: &'static str,
    /// The attribute's description.
    pub description: &'static str,
}

/// The status attributes every object resource has.
pub const COMMON_STATUS: [&str; 3] = ["ready", "revision", "message"];

/// Whether `name` is a status attribute of the resource: values the controller
/// writes, which the plan keeps from the state instead of comparing them with
/// the configuration.
pub fn is_status(extra: &[StatusAttribute], name: &str) -> bool {
    COMMON_STATUS.contains(&name) || extra.iter().any(|a| a.name == name)
}

/// Every status attribute name of the resource.
pub fn names(extra: &[StatusAttribute]) -> impl Iterator<Item = &'static str> + '_ {
    COMMON_STATUS
        .into_iter()
        .chain(extra.iter().map(|a| a.name))
}

/// The schema attribute.
pub fn attribute(extra: &StatusAttribute) -> Attribute {
    Attribute::string(extra.name)
        .computed()
        .description(extra.description)
}

/// Sets the attributes from the live object; null when there is none or it has
/// no such value yet (the controller has not reconciled it).
pub fn set(state: &mut Value, extra: &[StatusAttribute], live: Option<&Json>) {
    for a in extra {
        let value = live
            .and_then(|l| l.pointer(a.pointer))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(Value::from)
            .unwrap_or(Value::Null);
        state.set_attr(a.name, value);
    }
}

/// Puts back the status values the plan already knew. The plan knows them only when
/// the object does not change (a change of `wait_timeout` alone), and Terraform holds
/// an apply to what its plan knew; the controller may have reconciled since the
/// refresh, and its newer words reach the state at the next refresh.
pub fn keep_planned(extra: &[StatusAttribute], planned: &Value, state: &mut Value) {
    for name in names(extra) {
        let known = planned.attr(name);
        if !known.is_unknown() {
            state.set_attr(name, known.clone());
        }
    }
}

/// The live object, for the status attributes after an apply. `None` when the
/// resource has none, without a cluster, or when the read fails: like the rest
/// of the status, these values are informative once the delivery succeeded.
pub async fn live_for(
    extra: &[StatusAttribute],
    cluster: Option<&Arc<Cluster>>,
    object: ObjectRef,
) -> Option<Json> {
    let cluster = cluster.filter(|_| !extra.is_empty())?;
    run_on_cluster(cluster, move |c| async move {
        flux_core::objects::find(&c, &object).await
    })
    .await
    .ok()?
    .ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: StatusAttribute = StatusAttribute {
        name: "webhook_path",
        pointer: "/status/webhookPath",
        description: "",
    };

    #[test]
    fn set_reads_the_pointer_and_nulls_what_is_absent_or_empty() {
        let mut state = Value::object([("webhook_path", Value::from("old"))]);
        let live = serde_json::json!({"status": {"webhookPath": "/hook/abc"}});
        set(&mut state, &[PATH], Some(&live));
        assert_eq!(state.attr("webhook_path").as_str(), Some("/hook/abc"));
        let empty = serde_json::json!({"status": {"webhookPath": ""}});
        set(&mut state, &[PATH], Some(&empty));
        assert!(state.attr("webhook_path").is_null());
        state.set_attr("webhook_path", Value::from("old"));
        set(&mut state, &[PATH], None);
        assert!(state.attr("webhook_path").is_null());
    }

    #[test]
    fn keep_planned_restores_known_values_and_leaves_unknown_ones_to_the_apply() {
        let planned = Value::object([
            ("ready", Value::from(true)),
            ("revision", Value::unknown()),
            ("message", Value::from("finished in 629ms")),
            ("webhook_path", Value::unknown()),
        ]);
        let mut state = Value::object([
            ("ready", Value::from(true)),
            ("revision", Value::from("v2.9.4@sha256:abc")),
            ("message", Value::from("finished in 5s")),
            ("webhook_path", Value::from("/hook/abc")),
        ]);
        keep_planned(&[PATH], &planned, &mut state);
        assert_eq!(state.attr("message").as_str(), Some("finished in 629ms"));
        assert_eq!(state.attr("revision").as_str(), Some("v2.9.4@sha256:abc"));
        assert_eq!(state.attr("webhook_path").as_str(), Some("/hook/abc"));
    }

    #[test]
    fn is_status_covers_common_and_extra_names_only() {
        assert!(is_status(&[PATH], "webhook_path"));
        assert!(is_status(&[], "ready"));
        assert!(!is_status(&[], "webhook_path"));
        assert!(!is_status(&[PATH], "interval"));
        assert_eq!(names(&[PATH]).count(), 4);
    }
}

//! `cluster_drift` of an object whose controller installs other objects (a FluxInstance,
//! whose operator installs Flux): what differs between what the controller says it
//! installed and the cluster. Planned empty, so a finding shows in the plan; an apply
//! asks the controller to reconcile the object, which applies its objects again, and
//! fails if they still differ.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use flux_core::cluster::{Cluster, ObjectRef};
use flux_core::objects;
use serde_json::Value as Json;
use tfplug::{Attribute, Diagnostic, Diagnostics, Type, Value};

use super::cluster::on_cluster;
use super::model::Delivery;
use crate::cluster_task::run_on_cluster;

/// The attribute's name.
pub const NAME: &str = "cluster_drift";

/// The findings about a live object, one line each.
pub type Findings = Pin<Box<dyn Future<Output = Result<Vec<String>, Diagnostic>>>>;

/// A kind's check: the cluster and the live object to its findings.
#[derive(Debug, Clone, Copy)]
pub struct DriftCheck {
    /// What the attribute holds, for its description.
    pub description: &'static str,
    /// The check.
    pub check: fn(Arc<Cluster>, Json) -> Findings,
}

/// The schema attribute.
pub fn attribute(check: &DriftCheck) -> Attribute {
    Attribute::list(NAME, Type::String)
        .computed()
        .description(check.description)
}

/// Planned empty for cluster delivery, where the findings are read; null for git
/// delivery, where the object reaches the cluster through Flux on its own schedule.
/// A state without the attribute (written before it existed, or read while the
/// cluster was unknown) keeps it null, so that its first plan is no update for nothing.
pub fn plan(delivery: Option<Delivery>, prior: &Value, planned: &mut Value) {
    let value = match delivery {
        _ if !prior.is_null() && prior.attr(NAME).is_null() => Value::Null,
        Some(Delivery::Cluster) => Value::list(Vec::new()),
        Some(Delivery::Git) => Value::Null,
        None => Value::unknown(),
    };
    planned.set_attr(NAME, value);
}

/// The findings about `live` as the attribute's value.
pub async fn read(
    check: &DriftCheck,
    cluster: &Arc<Cluster>,
    delivery: Delivery,
    live: Option<&Json>,
) -> Result<Value, Diagnostics> {
    let (Delivery::Cluster, Some(live)) = (delivery, live) else {
        return Ok(Value::Null);
    };
    let findings = findings(check, cluster, live.clone()).await?;
    Ok(Value::list(findings.into_iter().map(Value::from)))
}

async fn findings(
    check: &DriftCheck,
    cluster: &Arc<Cluster>,
    live: Json,
) -> Result<Vec<String>, Diagnostics> {
    let f = check.check;
    run_on_cluster(cluster, move |c| f(c, live))
        .await
        .map_err(Diagnostics::from)?
        .map_err(Diagnostics::from)
}

/// After an apply: when the prior state had findings, asks the controller to
/// reconcile `object` and waits for it; then there must be none. A finding right
/// after an apply that did not ask also gets one reconcile before it counts: the
/// Flux Operator writes its status from the copy of the instance it started with,
/// so a reconciliation that ran while the instance was being changed can leave the
/// status naming components the operator has since removed. Returns the live object
/// read last, and the attribute's value, which is the planned empty list.
pub async fn repair(
    check: &DriftCheck,
    cluster: &Arc<Cluster>,
    object: ObjectRef,
    prior: Option<&Value>,
    timeout: Duration,
) -> Result<(Option<Json>, Value), Diagnostics> {
    let had_findings = prior
        .and_then(|p| p.attr(NAME).as_elements())
        .is_some_and(|l| !l.is_empty());
    if had_findings {
        reconcile(cluster, &object, timeout).await?;
    }
    let (mut live, mut findings) = observe(check, cluster, &object).await?;
    if !findings.is_empty() && !had_findings {
        tracing::debug!(%object, findings = findings.len(), "drift after apply, reconciling once");
        reconcile(cluster, &object, timeout).await?;
        (live, findings) = observe(check, cluster, &object).await?;
    }
    if findings.is_empty() {
        return Ok((live, Value::list(Vec::new())));
    }
    Err(Diagnostics::from(Diagnostic::error(
        "Cluster Still Drifted",
        format!(
            "{object} was reconciled by its controller, yet the cluster still differs from what it installed:\n- {}",
            findings.join("\n- ")
        ),
    )))
}

async fn reconcile(
    cluster: &Arc<Cluster>,
    object: &ObjectRef,
    timeout: Duration,
) -> Result<(), Diagnostics> {
    let o = object.clone();
    on_cluster(cluster, move |c| async move {
        objects::reconcile(&c, &o, timeout).await
    })
    .await
}

/// The live object and the findings about it.
async fn observe(
    check: &DriftCheck,
    cluster: &Arc<Cluster>,
    object: &ObjectRef,
) -> Result<(Option<Json>, Vec<String>), Diagnostics> {
    let o = object.clone();
    let live = on_cluster(cluster, move |c| async move { objects::find(&c, &o).await }).await?;
    let findings = match &live {
        Some(l) => findings(check, cluster, l.clone()).await?,
        None => Vec::new(),
    };
    Ok((live, findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(drift: Value) -> Value {
        Value::object([(NAME, drift)])
    }

    #[test]
    fn plan_is_empty_for_cluster_delivery_and_null_for_git() {
        let mut planned = state(Value::Null);
        plan(Some(Delivery::Cluster), &Value::Null, &mut planned);
        assert_eq!(planned.attr(NAME), &Value::list(Vec::new()));
        let prior = state(Value::list([Value::from("source-controller: missing")]));
        plan(Some(Delivery::Cluster), &prior, &mut planned);
        assert_eq!(planned.attr(NAME), &Value::list(Vec::new()));
        plan(Some(Delivery::Git), &Value::Null, &mut planned);
        assert!(planned.attr(NAME).is_null());
        plan(None, &Value::Null, &mut planned);
        assert!(planned.attr(NAME).is_unknown());
    }

    #[test]
    fn plan_keeps_null_from_a_state_without_the_attribute() {
        let mut planned = state(Value::Null);
        plan(Some(Delivery::Cluster), &state(Value::Null), &mut planned);
        assert!(planned.attr(NAME).is_null());
    }
}

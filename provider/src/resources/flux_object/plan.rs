//! The plan of a Flux object resource: `delivery`, `wait`, `git_directory`,
//! `git_file`, `id` and the status, from the configuration, the prior state and
//! the provider's settings.

use flux_core::objects;
use tfplug::{AttributePath, Diagnostic, Diagnostics, PlanContext, Value};

use super::model::{join, normalize_directory, Delivery};
use super::status::{self, StatusAttribute};
use super::{cluster_drift, TypeDef};
use crate::config::{ProviderData, Setting};

/// Plans the computed attributes; a destroy plan is left alone.
pub fn modify_plan(
    def: TypeDef,
    data: &ProviderData,
    plan: &mut PlanContext,
    diags: &mut Diagnostics,
) {
    let (kind, extra) = (def.kind, def.status);
    if plan.is_destroy() {
        return;
    }
    let config = plan.config.clone();
    let prior = plan.prior.clone();
    let planned = &mut plan.planned;
    let delivery = plan_delivery(data, &config, &prior, diags);
    planned.set_attr(
        "delivery",
        delivery.map_or_else(Value::unknown, |d| Value::from(d.as_str())),
    );
    // Unset, `wait` follows the delivery (the schema's description says so).
    if config.attr("wait").is_null() {
        planned.set_attr(
            "wait",
            delivery.map_or_else(Value::unknown, |d| Value::from(d == Delivery::Cluster)),
        );
    }
    let directory = plan_directory(delivery, &config, &prior);
    planned.set_attr("git_directory", directory.clone());
    let namespace = planned.attr("namespace").as_str().map(str::to_string);
    let name = planned.attr("name").as_str().map(str::to_string);
    let file = match (delivery, directory.as_str(), &namespace, &name) {
        (Some(Delivery::Cluster), _, _, _) => Value::Null,
        (Some(Delivery::Git), Some(dir), Some(ns), Some(n)) => {
            Value::from(join(dir, &objects::file_name(kind, ns, n)))
        }
        _ => Value::unknown(),
    };
    planned.set_attr("git_file", file);
    if let (Some(ns), Some(n)) = (&namespace, &name) {
        planned.set_attr("id", Value::from(format!("{ns}/{n}")));
    }
    if def.drift.is_some() {
        cluster_drift::plan(delivery, &prior, planned);
    }
    plan_status(extra, planned, &prior);
}

/// The configured delivery, else the prior one, else `git` when the provider has
/// a `git` configuration; `None` while the configuration is not known.
fn plan_delivery(
    data: &ProviderData,
    config: &Value,
    prior: &Value,
    diags: &mut Diagnostics,
) -> Option<Delivery> {
    let configured = config.attr("delivery");
    let delivery = match configured.as_str() {
        Some(d) => Delivery::parse(d),
        None if configured.is_unknown() => None,
        None => Delivery::of(prior.attr("delivery")).or(Some(match data.git {
            Setting::Unset => Delivery::Cluster,
            _ => Delivery::Git,
        })),
    };
    if delivery == Some(Delivery::Git) && data.git == Setting::Unset {
        diags.push(
            Diagnostic::error(
                "Git Delivery Without Git",
                "delivery = \"git\" needs the provider's `git` configuration.",
            )
            .at(AttributePath::attr("delivery")),
        );
    }
    delivery
}

/// Git delivery: the configured directory, else the prior one, else unknown
/// until apply reads the default from the cluster.
fn plan_directory(delivery: Option<Delivery>, config: &Value, prior: &Value) -> Value {
    let prior_git = Delivery::of(prior.attr("delivery")) == Some(Delivery::Git);
    let configured = config.attr("git_directory");
    match delivery {
        Some(Delivery::Git) => match configured {
            v if v.is_null() && prior_git && prior.attr("git_directory").as_str().is_some() => {
                prior.attr("git_directory").clone()
            }
            v if v.is_null() => Value::unknown(),
            v => match v.as_str() {
                Some(d) => Value::from(normalize_directory(d)),
                None => v.clone(),
            },
        },
        Some(Delivery::Cluster) => configured.clone(),
        None => Value::unknown(),
    }
}

/// The status: kept when nothing changes, except that an object found not ready
/// (drift) plans ready = true, which an apply then restores.
fn plan_status(extra: &[StatusAttribute], planned: &mut Value, prior: &Value) {
    let wait = planned.attr("wait").as_bool();
    let suspended = planned.attr("suspend").as_bool() == Some(true);
    let expect_ready = wait == Some(true) && !suspended;
    let changed = prior.is_null() || !same_except_status(extra, planned, prior);
    let found_not_ready = expect_ready && prior.attr("ready").as_bool() == Some(false);
    if !(changed || found_not_ready) {
        for name in status::names(extra) {
            planned.set_attr(name, prior.attr(name).clone());
        }
        return;
    }
    planned.set_attr(
        "ready",
        if expect_ready {
            Value::from(true)
        } else {
            Value::unknown()
        },
    );
    planned.set_attr("revision", Value::unknown());
    planned.set_attr("message", Value::unknown());
    for a in extra {
        planned.set_attr(a.name, Value::unknown());
    }
}

/// Attributes that bound what the provider does and are not part of the object: a
/// change of them alone (typically right after an import, which cannot read them
/// back) leaves the object, and so its status, as it is.
const PROVIDER_SETTINGS: [&str; 1] = ["wait_timeout"];

fn same_except_status(extra: &[StatusAttribute], planned: &Value, prior: &Value) -> bool {
    match (planned.as_entries(), prior.as_entries()) {
        (Some(a), Some(b)) => a
            .iter()
            .filter(|(k, _)| {
                !status::is_status(extra, k) && !PROVIDER_SETTINGS.contains(&k.as_str())
            })
            .all(|(k, v)| b.get(k).is_some_and(|p| p == v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(wait_timeout: &str, interval: &str) -> Value {
        Value::object([
            ("wait", Value::from(true)),
            ("suspend", Value::from(false)),
            ("wait_timeout", Value::from(wait_timeout)),
            ("interval", Value::from(interval)),
            ("ready", Value::from(true)),
            ("revision", Value::from("main@sha1:abc")),
            ("message", Value::from("stored artifact")),
        ])
    }

    #[test]
    fn a_new_wait_timeout_alone_keeps_the_status() {
        let prior = object("5m", "1m");
        let mut planned = object("3m", "1m");
        plan_status(&[], &mut planned, &prior);
        assert_eq!(planned.attr("revision").as_str(), Some("main@sha1:abc"));
        assert_eq!(planned.attr("message").as_str(), Some("stored artifact"));
    }

    #[test]
    fn a_change_of_the_object_plans_its_status_unknown() {
        let prior = object("5m", "1m");
        let mut planned = object("5m", "2m");
        plan_status(&[], &mut planned, &prior);
        assert!(planned.attr("revision").is_unknown());
        assert!(planned.attr("message").is_unknown());
        assert_eq!(planned.attr("ready").as_bool(), Some(true));
    }
}

//! `notification.toolkit.fluxcd.io/v1beta3` Provider: where alerts are sent (static: no status).

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{always_static, duration, local_ref, name_of, no_derived_defaults, SUSPEND};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef};
use Check::{Name, OneOf};
use DefaultValue::Str;

const PROVIDER_TYPES: &[&str] = &[
    "slack",
    "discord",
    "msteams",
    "rocket",
    "generic",
    "generic-hmac",
    "github",
    "gitlab",
    "gitea",
    "bitbucketserver",
    "bitbucket",
    "azuredevops",
    "googlechat",
    "googlepubsub",
    "webex",
    "sentry",
    "azureeventhub",
    "telegram",
    "lark",
    "matrix",
    "opsgenie",
    "alertmanager",
    "grafana",
    "githubdispatch",
    "pagerduty",
    "datadog",
    "nats",
];

const NOTIFICATION_PROVIDER_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(field!("type"), "Provider type.").required().check(OneOf(PROVIDER_TYPES)),
    FieldDef::string(field!("channel"), "Channel, room or topic, depending on the type.").check(Check::MaxLen(2048)),
    FieldDef::string(field!("username"), "Bot user name.").check(Check::MaxLen(2048)),
    FieldDef::string(field!("address"), "Webhook or API address, depending on the type; a secret address belongs in secret_data (`address`).").check(Check::MaxLen(2048)),
    duration(field!("timeout"), "Timeout of each notification.").default(Str("15s")),
    local_ref(field!("secretRef"), "Secret with the credentials (`token`, `address`, `username`, `password`, `headers`)."),
    local_ref(field!("proxySecretRef"), "Secret with `address` (and optional `username`, `password`) of a proxy."),
    local_ref(field!("certSecretRef"), "Secret with `ca.crt`, `tls.crt` and `tls.key`."),
    FieldDef::string(field!("serviceAccountName"), "ServiceAccount for workload identity (azureeventhub, azuredevops, googlepubsub).").check(Name),
    FieldDef::string(field!("commitStatusExpr"), "CEL expression of the commit status id (git providers only)."),
    SUSPEND,
]);

fn notification_provider_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let kind = spec.get("type").and_then(Value::as_str).unwrap_or_default();
    let git = [
        "github",
        "gitlab",
        "gitea",
        "bitbucketserver",
        "bitbucket",
        "azuredevops",
    ];
    if spec.contains_key("commitStatusExpr") && !git.contains(&kind) {
        return vec![FieldError::new(
            FieldPath::field(name_of(NOTIFICATION_PROVIDER_FIELDS, "commitStatusExpr")),
            format!("is not supported by type {kind}"),
        )];
    }
    Vec::new()
}

/// `notification.toolkit.fluxcd.io/v1beta3` Provider (static: no status).
pub static NOTIFICATION_PROVIDER: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Provider",
    fields: NOTIFICATION_PROVIDER_FIELDS,
    rules: notification_provider_rules,
    is_static: always_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    #[test]
    fn valid_specs_pass() {
        assert!(error_paths(
            &NOTIFICATION_PROVIDER,
            json!({"type": "slack", "channel": "ops"})
        )
        .is_empty());
        assert!(error_paths(
            &NOTIFICATION_PROVIDER,
            json!({"type": "github", "commitStatusExpr": "event.metadata.id"})
        )
        .is_empty());
    }

    #[test]
    fn type_is_required_and_known() {
        assert_eq!(error_paths(&NOTIFICATION_PROVIDER, json!({})), ["type"]);
        assert_eq!(
            error_paths(&NOTIFICATION_PROVIDER, json!({"type": "carrier-pigeon"})),
            ["type"]
        );
    }

    #[test]
    fn commit_status_expr_needs_a_git_type() {
        assert_eq!(
            error_texts(
                &NOTIFICATION_PROVIDER,
                json!({"type": "slack", "commitStatusExpr": "x"})
            ),
            ["commit_status_expr: is not supported by type slack"]
        );
    }

    #[test]
    fn providers_are_static() {
        assert!((NOTIFICATION_PROVIDER.is_static)(&Map::new()));
    }
}

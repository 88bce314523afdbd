//! Logs as go-hclog JSON lines on stderr. Terraform's plugin client parses them, keeps
//! their level and module, and shows the other keys as fields; `TF_LOG`,
//! `TF_LOG_PROVIDER` and `TF_LOG_PROVIDER_<NAME>` choose the level, as they do for
//! providers built on HashiCorp's SDKs.

use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer;

/// Installs the stderr logger, at the level the environment asks for. Nothing is
/// installed (and nothing logged) when no level is set.
pub(crate) fn init(provider_name: &str, own_targets: &[&str]) {
    let lookup = |k: &str| std::env::var(k).ok();
    let Some(level) = level_from_env(provider_name, lookup) else {
        return;
    };
    // Third-party crates (HTTP/2 frames, TLS, kube's transport) stay at warn unless
    // the user asks for less: their debug output is noise for a Terraform user.
    let mut targets = Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target("tfplug", level);
    for t in own_targets {
        targets = targets.with_target(*t, level);
    }
    let layer = HclogLayer {
        module: format!("provider.terraform-provider-{provider_name}"),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(targets))
        .try_init();
}

/// The level from `TF_LOG_PROVIDER_<NAME>`, else `TF_LOG_PROVIDER`, else `TF_LOG`.
pub(crate) fn level_from_env(
    provider_name: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<LevelFilter> {
    let specific = format!("TF_LOG_PROVIDER_{}", provider_name.to_uppercase());
    let chosen = [specific.as_str(), "TF_LOG_PROVIDER", "TF_LOG"]
        .into_iter()
        .filter_map(lookup)
        .find(|v| !v.trim().is_empty())?;
    let level = match chosen.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(LevelFilter::TRACE),
        "DEBUG" => Some(LevelFilter::DEBUG),
        "INFO" => Some(LevelFilter::INFO),
        "WARN" => Some(LevelFilter::WARN),
        "ERROR" => Some(LevelFilter::ERROR),
        _ => None,
    };
    level
}

struct HclogLayer {
    module: String,
}

#[derive(Default)]
struct JsonFields(Map<String, Json>);

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), Json::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_string(), Json::String(value.to_string()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_string(), Json::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(
            field.name().to_string(),
            Json::String(crate::diag::render_chain(value)),
        );
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// go-hclog's timestamp layout, `2006-01-02T15:04:05.000000Z07:00`, in UTC.
fn timestamp(now: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<JsonFields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        line.insert(
            "@level".into(),
            Json::from(level_name(event.metadata().level())),
        );
        line.insert("@module".into(), Json::from(self.module.clone()));
        line.insert(
            "@timestamp".into(),
            Json::from(timestamp(time::OffsetDateTime::now_utc())),
        );
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<JsonFields>() {
                    for (k, v) in &fields.0 {
                        line.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let message = fields
            .0
            .remove("message")
            .unwrap_or(Json::String(String::new()));
        line.insert("@message".into(), message);
        line.extend(fields.0);
        line.insert("@caller".into(), Json::from(event.metadata().target()));
        if let Ok(mut text) = serde_json::to_vec(&line) {
            text.push(b'\n');
            let _ = std::io::stderr().lock().write_all(&text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn most_specific_variable_wins() {
        let lookup = env(&[
            ("TF_LOG", "ERROR"),
            ("TF_LOG_PROVIDER", "info"),
            ("TF_LOG_PROVIDER_FLUX", "trace"),
        ]);
        assert_eq!(level_from_env("flux", lookup), Some(LevelFilter::TRACE));
        let lookup = env(&[("TF_LOG", "debug")]);
        assert_eq!(level_from_env("flux", lookup), Some(LevelFilter::DEBUG));
    }

    #[test]
    fn no_or_unknown_level_means_no_logs() {
        assert_eq!(level_from_env("flux", env(&[])), None);
        assert_eq!(level_from_env("flux", env(&[("TF_LOG", "loud")])), None);
    }

    #[test]
    fn timestamp_matches_hclog_layout() {
        let t = time::macros::datetime!(2026-11-22 04:05:06.123456 UTC);
        assert_eq!(timestamp(t), "2026-11-22T04:05:06.123456Z");
    }
}

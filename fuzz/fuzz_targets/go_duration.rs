//! flux-core's Go duration parser and formatter (`GoDuration`, intervals and timeouts).
//!
//! - Any text: parsing never panics; a parsed duration's canonical text (`1m30s`) parses
//!   back to the same duration and is its own canonical text.
//! - Whatever Flux's own pattern for duration fields accepts (`Check::Duration`, the CRDs'
//!   `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`) must parse: the provider compares such values
//!   with `GoDuration` after the check.
//! - The first 8 bytes as nanoseconds: every `i64` duration formats to text that parses
//!   back to it.
#![no_main]

use flux_core::manifests::GoDuration;
use flux_core::objects::Check;
use libfuzzer_sys::fuzz_target;

fn round_trips(duration: GoDuration) {
    let text = duration.to_string();
    let back = GoDuration::parse(&text)
        .unwrap_or_else(|e| panic!("{duration:?} formats as {text:?}, which does not parse: {e}"));
    assert_eq!(back, duration, "{text:?} parses to another duration");
    assert_eq!(back.to_string(), text, "the canonical text is not stable");
}

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.first_chunk::<8>() {
        round_trips(GoDuration::from_nanos(i64::from_le_bytes(*bytes)));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = GoDuration::parse(text);
    if let Ok(duration) = parsed {
        round_trips(duration);
    }
    if Check::Duration.check(text).is_ok() {
        if let Err(e) = &parsed {
            panic!("{text:?} passes the duration check but does not parse: {e}");
        }
    }
});

//! flux-core's known_hosts parser and host key check.
//!
//! Input: a known_hosts text, optionally followed by `\0host\0key-type\0key-body`.
//! Parsing and checking never panic (nor take long: host patterns are globs); a parsed
//! text is kept verbatim (it becomes the Secret's `known_hosts`); and the line a key scan
//! writes for a host (`KnownHosts::line_for`), appended to any text, parses and makes
//! that host's key trusted, unless the text revoked it.
#![no_main]

use flux_core::git::{HostKeyMatch, KnownHosts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == 0);
    let Ok(text) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let parsed = KnownHosts::parse(text);
    if let Ok(known) = &parsed {
        assert_eq!(known.as_text(), text);
    }
    let (Some(host), Some(key_type), Some(body)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let (Ok(host), Ok(key_type)) = (std::str::from_utf8(host), std::str::from_utf8(key_type))
    else {
        return;
    };
    let mut blob = u32::try_from(key_type.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    blob.extend_from_slice(key_type.as_bytes());
    blob.extend_from_slice(body);
    if let Ok(known) = &parsed {
        known.check(host, &blob);
    }
    // A host a scan can name: one word, no pattern characters, no marker or hash prefix.
    let plain_host = !host.is_empty()
        && !host.contains(|c: char| c.is_whitespace() || ",*?!".contains(c))
        && !host.starts_with(['|', '@', '#']);
    let plain_type = !key_type.is_empty() && !key_type.contains(char::is_whitespace);
    if !plain_host || !plain_type {
        return;
    }
    let line = KnownHosts::line_for(host, &blob);
    let appended = match parsed {
        Ok(_) => format!("{text}\n{line}\n"),
        Err(_) => format!("{line}\n"),
    };
    let known = KnownHosts::parse(&appended)
        .unwrap_or_else(|e| panic!("a scanned line does not parse: {e}\n{appended:?}"));
    let verdict = known.check(host, &blob);
    let revoked_anywhere = appended.contains("@revoked");
    assert!(
        verdict == HostKeyMatch::Trusted || (revoked_anywhere && verdict == HostKeyMatch::Revoked),
        "the scanned key of {host:?} is {verdict:?}\n{appended:?}"
    );
});

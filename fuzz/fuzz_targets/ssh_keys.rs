//! flux-core's SSH key readers: `git::validate_private_key` (libgit2 auth keys, OpenSSH
//! or PEM), `Signing::Ssh` validation (commit signing keys) and
//! `cluster::find_public_key_line` (the Secret's `identity.pub`).
//!
//! - Text mode (any input not starting with byte 1): none of them panics on any text,
//!   and a public key line found for a key is one known_hosts reads: trusted for its host.
//! - Key mode (byte 1, then a 32-byte Ed25519 seed, a line-ending bit and a comment): a
//!   valid key generated from the input must pass every reader, and its public line must
//!   be the key's own public key.
#![no_main]

use base64::Engine as _;
use flux_core::cluster::find_public_key_line;
use flux_core::git::{validate_private_key, HostKeyMatch, KnownHosts, Signing};
use flux_core::Sensitive;
use libfuzzer_sys::fuzz_target;
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{LineEnding, PrivateKey};

/// The public line, if any, must be `<algorithm> <base64>\n` and trusted for a host
/// through known_hosts; returns the wire blob.
fn check_public_line(text: &str) -> Option<Vec<u8>> {
    let line = find_public_key_line(&Sensitive::new(text.to_string()))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert!(
        line.ends_with('\n') && fields.len() == 2,
        "malformed public key line {line:?}"
    );
    let blob = base64::engine::general_purpose::STANDARD
        .decode(fields[1])
        .unwrap_or_else(|e| panic!("public key line is not base64: {e}: {line:?}"));
    let known = KnownHosts::parse(&format!("git.example.com {line}"))
        .unwrap_or_else(|e| panic!("identity.pub is no known_hosts key: {e}: {line:?}"));
    assert_eq!(known.check("git.example.com", &blob), HostKeyMatch::Trusted);
    Some(blob)
}

fn readers(text: &str) {
    let _ = validate_private_key(text, None);
    let _ = validate_private_key(text, Some("passphrase"));
    let _ = Signing::Ssh {
        private_key: Sensitive::new(text.to_string()),
        passphrase: None,
    }
    .validate();
    check_public_line(text);
}

fuzz_target!(|data: &[u8]| {
    let Some((1, rest)) = data.split_first() else {
        if let Ok(text) = std::str::from_utf8(data) {
            readers(text);
        }
        return;
    };
    let mut seed = [0u8; 32];
    for (slot, byte) in seed.iter_mut().zip(rest) {
        *slot = *byte;
    }
    let rest = rest.get(32..).unwrap_or_default();
    let (crlf, comment) = match rest.split_first() {
        Some((flags, comment)) => (flags & 1 == 1, String::from_utf8_lossy(comment)),
        None => (false, "".into()),
    };
    let keypair = Ed25519Keypair::from_seed(&seed);
    let Ok(key) = PrivateKey::new(KeypairData::from(keypair), comment.as_ref()) else {
        return;
    };
    let ending = if crlf {
        LineEnding::CRLF
    } else {
        LineEnding::LF
    };
    let text = key.to_openssh(ending).expect("encode the key");
    validate_private_key(&text, None).unwrap_or_else(|e| panic!("valid key rejected: {e}"));
    Signing::Ssh {
        private_key: Sensitive::new(text.to_string()),
        passphrase: None,
    }
    .validate()
    .unwrap_or_else(|e| panic!("valid signing key rejected: {e}"));
    let blob = check_public_line(&text).expect("no public key line for a valid key");
    let expected = key.public_key().to_bytes().expect("public blob");
    assert_eq!(blob, expected, "identity.pub is not the key's public key");
});

//! OpenSSH known_hosts text: parsing and matching a presented host key.

use base64::Engine as _;

use super::GitError;

const FIELD: &str = "ssh.known_hosts";

/// A parsed known_hosts text (plain and hashed host names, patterns with `*`, `?`
/// and `!`, the `@revoked` marker; `@cert-authority` lines are kept but never match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHosts {
    text: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    marker: Marker,
    hosts: Hosts,
    key_type: String,
    key: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosts {
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    Patterns(Vec<(bool, String)>),
}

/// The result of looking a presented host key up in a [`KnownHosts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyMatch {
    /// An entry for the host holds exactly this key.
    Trusted,
    /// Entries for the host exist, but none of the presented key's type.
    UnknownType {
        /// The key types known for the host.
        known_types: Vec<String>,
    },
    /// An entry for the host has the same key type but a different key.
    Mismatch,
    /// No entry names the host.
    UnknownHost,
    /// The key is marked `@revoked`.
    Revoked,
}

impl KnownHosts {
    /// Parses a known_hosts text; a malformed line is an error naming its number.
    pub fn parse(text: &str) -> Result<Self, GitError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line).map_err(|reason| {
                GitError::invalid(FIELD, format!("line {}: {reason}", index + 1))
            })?;
            entries.push(entry);
        }
        if entries.is_empty() {
            return Err(GitError::invalid(FIELD, "holds no host key"));
        }
        Ok(Self {
            text: text.to_string(),
            entries,
        })
    }

    /// The text this was parsed from (for a Secret's `known_hosts` key).
    pub fn as_text(&self) -> &str {
        &self.text
    }

    /// Looks up `key` (the SSH wire-format public key blob) for `host`, which is
    /// `name` or `[name]:port` as written in known_hosts.
    pub fn check(&self, host: &str, key: &[u8]) -> HostKeyMatch {
        let key_type = key_type_of_blob(key).unwrap_or_default();
        let mut known_types = Vec::new();
        let mut trusted = false;
        for entry in self.entries.iter().filter(|e| e.hosts.matches(host)) {
            match entry.marker {
                Marker::CertAuthority => continue,
                Marker::Revoked if entry.key == key => return HostKeyMatch::Revoked,
                Marker::Revoked => continue,
                Marker::None => {}
            }
            if entry.key == key {
                trusted = true;
            }
            known_types.push(entry.key_type.clone());
        }
        if trusted {
            HostKeyMatch::Trusted
        } else if known_types.is_empty() {
            HostKeyMatch::UnknownHost
        } else if known_types.contains(&key_type) {
            HostKeyMatch::Mismatch
        } else {
            known_types.dedup();
            HostKeyMatch::UnknownType { known_types }
        }
    }

    /// A known_hosts line for `host` and a wire-format key blob, as a key scan prints.
    pub fn line_for(host: &str, key: &[u8]) -> String {
        format!(
            "{host} {} {}",
            key_type_of_blob(key).unwrap_or_default(),
            base64::engine::general_purpose::STANDARD.encode(key)
        )
    }
}

/// The key type named at the start of an SSH wire-format public key blob.
pub(crate) fn key_type_of_blob(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4 + len)?;
    String::from_utf8(name.to_vec()).ok()
}

fn parse_line(line: &str) -> Result<Entry, String> {
    let mut fields = line.split_whitespace();
    let mut first = fields.next().ok_or("empty line")?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        m if m.starts_with('@') => return Err(format!("unknown marker {m}")),
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next().ok_or("missing host names")?;
    }
    let hosts = parse_hosts(first)?;
    let key_type = fields.next().ok_or("missing key type")?.to_string();
    let encoded = fields.next().ok_or("missing key")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "key is not valid base64".to_string())?;
    match key_type_of_blob(&key) {
        Some(inner) if inner == key_type => {}
        Some(inner) => {
            return Err(format!(
                "key type {key_type} does not match the key's own type {inner}"
            ))
        }
        None => return Err("key is not an SSH public key".to_string()),
    }
    Ok(Entry {
        marker,
        hosts,
        key_type,
        key,
    })
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    if let Some(rest) = field.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|').ok_or("malformed hashed host name")?;
        let decode = |s: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| "hashed host name is not valid base64".to_string())
        };
        return Ok(Hosts::Hashed {
            salt: decode(salt)?,
            hash: decode(hash)?,
        });
    }
    if field.starts_with('|') {
        return Err("unsupported hashed host name format".to_string());
    }
    let patterns = field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_prefix('!') {
            Some(neg) => (true, neg.to_ascii_lowercase()),
            None => (false, p.to_ascii_lowercase()),
        })
        .collect::<Vec<_>>();
    if patterns.is_empty() {
        return Err("missing host names".to_string());
    }
    Ok(Hosts::Patterns(patterns))
}

impl Hosts {
    fn matches(&self, host: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => hmac_sha1(salt, host.as_bytes())
                .is_some_and(|digest| digest.as_slice() == hash.as_slice()),
            Hosts::Patterns(patterns) => {
                let host = host.to_ascii_lowercase();
                let mut matched = false;
                for (negated, pattern) in patterns {
                    if glob(pattern.as_bytes(), host.as_bytes()) {
                        if *negated {
                            return false;
                        }
                        matched = true;
                    }
                }
                matched
            }
        }
    }
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let pkey = openssl::pkey::PKey::hmac(key).ok()?;
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha1(), &pkey).ok()?;
    signer.update(data).ok()?;
    signer.sign_to_vec().ok()
}

/// OpenSSH host pattern matching: `*` any run, `?` one character.
///
/// Iterative, retrying only from the last `*` seen: at most pattern × text steps, where
/// trying every split at every `*` takes exponential time on patterns such as `*.*.*.*x`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // After the last `*`: where the pattern resumes, and the text position it took.
    let mut retry: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                retry = Some((p, t));
            }
            Some(&q) if q == b'?' || q == c => {
                p += 1;
                t += 1;
            }
            _ => match retry {
                // The `*` takes one more character.
                Some((resume, taken)) => {
                    p = resume;
                    t = taken + 1;
                    retry = Some((resume, t));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(key_type: &str, body: &[u8]) -> Vec<u8> {
        let mut out = (key_type.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(key_type.as_bytes());
        out.extend_from_slice(body);
        out
    }

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    #[test]
    fn check_plain_entry_with_port_is_trusted() {
        let key = blob("ssh-ed25519", b"k1");
        let kh =
            KnownHosts::parse(&format!("[127.0.0.1]:2222 ssh-ed25519 {}\n", b64(&key))).unwrap();
        assert_eq!(kh.check("[127.0.0.1]:2222", &key), HostKeyMatch::Trusted);
        assert_eq!(kh.check("127.0.0.1", &key), HostKeyMatch::UnknownHost);
    }

    #[test]
    fn check_hashed_entry_matches_only_its_host() {
        let key = blob("ssh-ed25519", b"k1");
        let salt = b"0123456789abcdef0123";
        let hash = hmac_sha1(salt, b"github.com").unwrap();
        let line = format!("|1|{}|{} ssh-ed25519 {}", b64(salt), b64(&hash), b64(&key));
        let kh = KnownHosts::parse(&line).unwrap();
        assert_eq!(kh.check("github.com", &key), HostKeyMatch::Trusted);
        assert_eq!(kh.check("gitlab.com", &key), HostKeyMatch::UnknownHost);
    }

    #[test]
    fn check_other_key_of_same_type_is_a_mismatch() {
        let known = blob("ssh-ed25519", b"k1");
        let presented = blob("ssh-ed25519", b"k2");
        let kh = KnownHosts::parse(&format!("h ssh-ed25519 {}", b64(&known))).unwrap();
        assert_eq!(kh.check("h", &presented), HostKeyMatch::Mismatch);
    }

    #[test]
    fn check_other_key_type_reports_known_types() {
        let known = blob("ecdsa-sha2-nistp256", b"k1");
        let presented = blob("ssh-ed25519", b"k2");
        let kh = KnownHosts::parse(&format!("h ecdsa-sha2-nistp256 {}", b64(&known))).unwrap();
        assert_eq!(
            kh.check("h", &presented),
            HostKeyMatch::UnknownType {
                known_types: vec!["ecdsa-sha2-nistp256".into()]
            }
        );
    }

    #[test]
    fn check_patterns_and_negation() {
        let key = blob("ssh-rsa", b"k");
        let kh = KnownHosts::parse(&format!(
            "*.example.com,!bad.example.com ssh-rsa {}",
            b64(&key)
        ))
        .unwrap();
        assert_eq!(kh.check("git.example.com", &key), HostKeyMatch::Trusted);
        assert_eq!(kh.check("bad.example.com", &key), HostKeyMatch::UnknownHost);
    }

    #[test]
    fn glob_matches_as_openssh_does() {
        for (pattern, text, expected) in [
            ("*.example.com", "git.example.com", true),
            ("*.example.com", "example.com", false),
            ("git?.example.org", "git1.example.org", true),
            ("git?.example.org", "git.example.org", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("a*b", "ab", true),
            ("*", "", true),
            ("**", "x", true),
            ("?", "", false),
            ("", "", true),
            ("a*", "b", false),
            ("*a", "baa", true),
            ("[127.0.0.1]:*", "[127.0.0.1]:2222", true),
        ] {
            assert_eq!(
                glob(pattern.as_bytes(), text.as_bytes()),
                expected,
                "{pattern} {text}"
            );
        }
    }

    // Found by the known_hosts fuzz target: many `*` against a long host name took
    // exponential time (a match that never ends).
    #[test]
    fn check_many_wildcards_is_fast() {
        let key = blob("ssh-ed25519", b"k");
        let pattern = format!("{}x", "*.".repeat(40));
        let kh = KnownHosts::parse(&format!("{pattern} ssh-ed25519 {}", b64(&key))).unwrap();
        let host = "a.".repeat(200);
        assert_eq!(kh.check(&host, &key), HostKeyMatch::UnknownHost);
        assert_eq!(kh.check(&format!("{host}x"), &key), HostKeyMatch::Trusted);
    }

    #[test]
    fn check_revoked_key_is_reported() {
        let key = blob("ssh-rsa", b"k");
        let text = format!("@revoked h ssh-rsa {0}\nh ssh-rsa {0}\n", b64(&key));
        let kh = KnownHosts::parse(&text).unwrap();
        assert_eq!(kh.check("h", &key), HostKeyMatch::Revoked);
    }

    #[test]
    fn parse_malformed_line_names_the_line() {
        let key = blob("ssh-rsa", b"k");
        let text = format!("# comment\nh ssh-rsa {}\nh ssh-rsa !!!\n", b64(&key));
        let err = KnownHosts::parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("ssh.known_hosts") && err.contains("line 3"),
            "{err}"
        );
        assert!(KnownHosts::parse("").is_err());
        let mislabelled = format!("h ssh-ed25519 {}", b64(&key));
        assert!(KnownHosts::parse(&mislabelled).is_err());
    }
}

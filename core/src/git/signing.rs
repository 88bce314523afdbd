//! Commit signatures (GPG and SSH).

use crate::Sensitive;

use super::GitError;

const SSH_KEY_FIELD: &str = "signing.ssh_private_key";

/// How to sign commits. GPG and SSH signing are mutually exclusive.
#[derive(Debug, Clone)]
pub enum Signing {
    /// OpenPGP signature with a key from a key ring.
    Gpg {
        /// The content of the key ring file (armored or binary) holding the secret key.
        key_ring: Sensitive<Vec<u8>>,
        /// 16 hex digits, optional `0x`; the first key of the ring when `None`.
        key_id: Option<String>,
        /// Passphrase of the secret key.
        passphrase: Option<Sensitive<String>>,
    },
    /// SSH signature (`git config gpg.format ssh`).
    Ssh {
        /// The private key in OpenSSH format.
        private_key: Sensitive<String>,
        /// Passphrase of the private key.
        passphrase: Option<Sensitive<String>>,
    },
}

impl Signing {
    /// Checks the settings that can be checked without signing.
    pub fn validate(&self) -> Result<(), GitError> {
        match self {
            Signing::Gpg {
                key_ring, key_id, ..
            } => {
                let wanted = match key_id {
                    Some(id) => Some(parse_key_id(id).ok_or_else(|| {
                        GitError::invalid(
                            "gpg_key_id",
                            "must be 16 hex digits, optionally prefixed with 0x",
                        )
                    })?),
                    None => None,
                };
                // Parsing only: unlocking runs the key's KDF, which signing does anyway.
                let keys = read_key_ring(key_ring.expose())?;
                match wanted {
                    Some(id) if find_gpg_key(&keys, id).is_none() => Err(GitError::invalid(
                        "gpg_key_id",
                        "no secret key with this id in the key ring",
                    )),
                    _ => Ok(()),
                }
            }
            Signing::Ssh {
                private_key,
                passphrase,
            } => {
                // Parsing only: decrypting runs the key's KDF, which signing does anyway.
                let key =
                    ssh_key::PrivateKey::from_openssh(private_key.expose()).map_err(|_| {
                        GitError::invalid(SSH_KEY_FIELD, "not a readable OpenSSH private key")
                    })?;
                if key.is_encrypted() && passphrase.is_none() {
                    return Err(GitError::invalid(
                        SSH_KEY_FIELD,
                        "the key is encrypted; set its passphrase",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Signs a commit buffer and returns the armored signature for the `gpgsig` header.
pub(crate) fn sign_commit(signing: &Signing, content: &str) -> Result<String, GitError> {
    match signing {
        Signing::Gpg {
            key_ring,
            key_id,
            passphrase,
        } => sign_gpg(
            key_ring.expose(),
            key_id.as_deref(),
            passphrase.as_ref(),
            content,
        ),
        Signing::Ssh {
            private_key,
            passphrase,
        } => {
            let key = load_ssh_key(private_key.expose(), passphrase.as_ref())?;
            // Namespace "git" and SHA-512, as `git` with gpg.format=ssh (ssh-keygen -Y sign -n git).
            let signature = key
                .sign("git", ssh_key::HashAlg::Sha512, content.as_bytes())
                .map_err(|_| GitError::Signing {
                    reason: "the ssh key cannot sign (unsupported key type)".to_string(),
                })?;
            signature
                .to_pem(ssh_key::LineEnding::LF)
                .map_err(|_| GitError::Signing {
                    reason: "cannot encode the ssh signature".to_string(),
                })
        }
    }
}

/// Reads an OpenSSH private key, decrypting it with the passphrase when needed.
fn load_ssh_key(
    pem: &str,
    passphrase: Option<&Sensitive<String>>,
) -> Result<ssh_key::PrivateKey, GitError> {
    let key = ssh_key::PrivateKey::from_openssh(pem)
        .map_err(|_| GitError::invalid(SSH_KEY_FIELD, "not a readable OpenSSH private key"))?;
    if !key.is_encrypted() {
        return Ok(key);
    }
    let passphrase = passphrase.ok_or_else(|| {
        GitError::invalid(SSH_KEY_FIELD, "the key is encrypted; set its passphrase")
    })?;
    key.decrypt(passphrase.expose().as_bytes())
        .map_err(|_| GitError::invalid(SSH_KEY_FIELD, "cannot decrypt the key (wrong passphrase)"))
}

/// The 8 bytes of a `gpg_key_id` (16 hex digits, optional `0x`).
fn parse_key_id(key_id: &str) -> Option<[u8; 8]> {
    let hex = key_id.strip_prefix("0x").unwrap_or(key_id);
    if hex.len() != 16 {
        return None;
    }
    let mut out = [0u8; 8];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

const GPG_RING_FIELD: &str = "gpg_key_ring";

/// Every secret key of an armored or binary key ring; an error when there is none.
fn read_key_ring(key_ring: &[u8]) -> Result<Vec<pgp::composed::SignedSecretKey>, GitError> {
    use pgp::composed::{Deserializable, SignedSecretKey};
    let (keys, _) = SignedSecretKey::from_reader_many(key_ring)
        .map_err(|_| GitError::invalid(GPG_RING_FIELD, "not an OpenPGP key ring"))?;
    let keys = keys
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| GitError::invalid(GPG_RING_FIELD, "the key ring holds an unreadable key"))?;
    if keys.is_empty() {
        return Err(GitError::invalid(
            GPG_RING_FIELD,
            "the key ring holds no secret key",
        ));
    }
    Ok(keys)
}

/// A primary key or subkey of the ring, by its 8-byte key id.
enum GpgKey<'k> {
    Primary(&'k pgp::packet::SecretKey),
    Subkey(&'k pgp::packet::SecretSubkey),
}

fn find_gpg_key(keys: &[pgp::composed::SignedSecretKey], id: [u8; 8]) -> Option<GpgKey<'_>> {
    use pgp::types::KeyDetails;
    keys.iter()
        .find(|k| k.primary_key.legacy_key_id().as_ref() == id)
        .map(|k| GpgKey::Primary(&k.primary_key))
        .or_else(|| {
            keys.iter()
                .flat_map(|k| k.secret_subkeys.iter())
                .find(|s| s.key.legacy_key_id().as_ref() == id)
                .map(|s| GpgKey::Subkey(&s.key))
        })
}

/// An OpenPGP detached signature (SHA-256) by the key `key_id` of the ring, or by
/// the primary key of its first entry.
fn sign_gpg(
    key_ring: &[u8],
    key_id: Option<&str>,
    passphrase: Option<&Sensitive<String>>,
    content: &str,
) -> Result<String, GitError> {
    use pgp::composed::{ArmorOptions, DetachedSignature};
    use pgp::crypto::hash::HashAlgorithm;
    use pgp::types::Password;

    let keys = read_key_ring(key_ring)?;
    let key = match key_id {
        None => keys.first().map(|k| GpgKey::Primary(&k.primary_key)),
        Some(id) => {
            let id = parse_key_id(id).ok_or_else(|| {
                GitError::invalid(
                    "gpg_key_id",
                    "must be 16 hex digits, optionally prefixed with 0x",
                )
            })?;
            find_gpg_key(&keys, id)
        }
    }
    .ok_or_else(|| GitError::invalid("gpg_key_id", "no secret key with this id in the key ring"))?;
    let password = passphrase
        .map(|p| Password::from(p.expose().as_str()))
        .unwrap_or_default();
    let rng = rand::thread_rng();
    let data = content.as_bytes();
    let signature = match key {
        GpgKey::Primary(k) => {
            DetachedSignature::sign_binary_data(rng, k, &password, HashAlgorithm::Sha256, data)
        }
        GpgKey::Subkey(k) => {
            DetachedSignature::sign_binary_data(rng, k, &password, HashAlgorithm::Sha256, data)
        }
    }
    .map_err(|_| GitError::Signing {
        reason: "the gpg key cannot sign (wrong passphrase or unsupported key)".to_string(),
    })?;
    signature
        .to_armored_string(ArmorOptions::default())
        .map_err(|_| GitError::Signing {
            reason: "cannot armor the gpg signature".to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_gpg_bad_key_id_names_the_field() {
        let signing = Signing::Gpg {
            key_ring: Sensitive::new(Vec::new()),
            key_id: Some("xyz".into()),
            passphrase: None,
        };
        assert!(matches!(
            signing.validate(),
            Err(GitError::Invalid {
                field: "gpg_key_id",
                ..
            })
        ));
    }

    #[test]
    fn validate_gpg_garbage_ring_names_the_field() {
        let signing = Signing::Gpg {
            key_ring: Sensitive::new(b"not a key ring".to_vec()),
            key_id: None,
            passphrase: None,
        };
        assert!(matches!(
            signing.validate(),
            Err(GitError::Invalid {
                field: "gpg_key_ring",
                ..
            })
        ));
    }

    #[test]
    fn validate_ssh_garbage_key_names_the_field() {
        let signing = Signing::Ssh {
            private_key: Sensitive::new("nope".into()),
            passphrase: None,
        };
        assert!(matches!(
            signing.validate(),
            Err(GitError::Invalid {
                field: "signing.ssh_private_key",
                ..
            })
        ));
    }

    #[test]
    fn parse_key_id_accepts_prefix_and_rejects_bad_hex() {
        assert_eq!(
            parse_key_id("0x0123456789ABCDEF"),
            Some([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        );
        assert_eq!(parse_key_id("0123456789abcdeg"), None);
        assert_eq!(parse_key_id("0123"), None);
    }
}

//! Commit signatures (GPG and SSH).

use crate::Sensitive;

use super::GitError;

/// How to sign commits. GPG and SSH signing are mutually exclusive.
#[derive(Debug, Clone)]
pub enum Signing {
    /// OpenPGP signature with a key from a key ring.
    Gpg {
        /// The key ring (armored or binary) holding the secret key.
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
            Signing::Gpg { key_id, .. } => {
                if let Some(id) = key_id {
                    let hex = id.strip_prefix("0x").unwrap_or(id);
                    if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(GitError::invalid(
                            "gpg_key_id",
                            "must be 16 hex digits, optionally prefixed with 0x",
                        ));
                    }
                }
                Ok(())
            }
            Signing::Ssh { private_key, .. } => {
                if !private_key
                    .expose()
                    .trim_start()
                    .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
                {
                    return Err(GitError::invalid(
                        "signing.ssh_private_key",
                        "expected an OpenSSH private key",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Signs a commit buffer and returns the armored signature for the `gpgsig` header.
pub(crate) fn sign_commit(signing: &Signing, _content: &str) -> Result<String, GitError> {
    match signing {
        Signing::Gpg { .. } => Err(GitError::Signing {
            reason: "gpg signing is not supported yet".to_string(),
        }),
        Signing::Ssh { .. } => Err(GitError::Signing {
            reason: "ssh signing is not supported yet".to_string(),
        }),
    }
}

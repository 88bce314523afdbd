//! Commit signatures (GPG and SSH).

use crate::Sensitive;

use super::GitError;

const SSH_KEY_FIELD: &str = "signing.ssh_private_key";

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
        Signing::Gpg { .. } => Err(GitError::Signing {
            reason: "gpg signing is not supported yet; use ssh signing".to_string(),
        }),
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

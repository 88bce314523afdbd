//! go-plugin's AutoMTLS: a fresh server certificate per process, announced in the
//! handshake, and a client-certificate check pinned to the exact certificate
//! Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is a self-signed ECDSA P-521 certificate marked
//! CA:TRUE; WebPKI-style verifiers reject it as "CA used as end entity", and ring
//! cannot verify P-521 at all, hence rustls on aws-lc-rs with a pinned verifier.
//!
//! The server's own key is made and used to sign its certificate in pure Rust
//! (`p256`, from the OS RNG): aws-lc's first use of its RNG seeds it, which costs
//! ~40 ms, and nothing before the handshake line needs aws-lc's RNG. That seeding
//! is done by [`warm_up_rng`] on a thread of its own while Terraform connects.

use std::sync::Arc;

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePrivateKey as _;
use rcgen::{
    CertificateParams, PublicKeyData, SignatureAlgorithm, SigningKey, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};

use crate::error::ServeError;

/// The server's TLS material.
pub(crate) struct ServerTls {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) cert_der: Vec<u8>,
}

/// Builds the server configuration that accepts only `client_cert_pem`.
pub(crate) fn server_config(client_cert_pem: &str) -> Result<ServerTls, ServeError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(ServeError::ClientCertificate)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (cert_der, key_der) = server_certificate()?;
    let verifier = PinnedClientCert {
        pinned: client_cert.into_owned(),
        provider: provider.clone(),
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ServeError::Tls)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key_der)
        .map_err(ServeError::Tls)?;
    // grpc-go 1.67+ (Terraform 1.10+) refuses a TLS server that negotiates no ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        cert_der,
    })
}

/// A self-signed P-256 certificate for `localhost`, the name Terraform verifies.
fn server_certificate() -> Result<(Vec<u8>, PrivateKeyDer<'static>), ServeError> {
    let key = EphemeralKey::generate();
    let mut params = CertificateParams::new(vec!["localhost".to_string()])
        .map_err(ServeError::ServerCertificate)?;
    let now = time::OffsetDateTime::now_utc();
    // A little slack either side of now for clock skew; a provider process rarely
    // lives more than a day, but a long apply must not outlive its certificate.
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(30);
    let cert = params
        .self_signed(&key)
        .map_err(ServeError::ServerCertificate)?;
    let key_der = key
        .signing
        .to_pkcs8_der()
        .map_err(|_| ServeError::ServerCertificate(rcgen::Error::CouldNotParseKeyPair))?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.as_bytes().to_vec()));
    Ok((cert.der().to_vec(), key_der))
}

/// The server's P-256 key, generated from the OS RNG (getrandom) and signing with
/// RFC 6979 nonces: no aws-lc RNG involved.
struct EphemeralKey {
    signing: p256::ecdsa::SigningKey,
    /// The uncompressed public point, as rcgen writes it into the certificate.
    public: Vec<u8>,
}

impl EphemeralKey {
    fn generate() -> Self {
        let signing = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let public = signing
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        Self { signing, public }
    }
}

impl PublicKeyData for EphemeralKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for EphemeralKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: p256::ecdsa::Signature = self.signing.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// Seeds aws-lc's RNG on a thread of its own, so that the first TLS handshake does
/// not pay for it. Started right after the handshake line is written.
pub(crate) fn warm_up_rng() {
    let spawned = std::thread::Builder::new()
        .name("tls-rng-warm-up".to_string())
        .spawn(|| {
            let mut seed = [0u8; 32];
            // A failure here shows again, and is reported, in the handshake itself.
            let _ = rustls::crypto::aws_lc_rs::default_provider()
                .secure_random
                .fill(&mut seed);
        });
    if spawned.is_err() {
        tracing::debug!("no thread for the TLS RNG warm-up; the first handshake seeds it");
    }
}

/// Accepts exactly one client certificate, byte for byte, and checks handshake
/// signatures with it.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "client certificate is not the one Terraform announced".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, IsCa, KeyPair, PKCS_ECDSA_P521_SHA512};
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A client certificate shaped like Terraform's: P-521, self-signed, CA:TRUE.
    fn terraform_like_client_cert() -> (String, PrivateKeyDer<'static>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (
            cert.pem(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }

    async fn handshake(
        server: &ServerTls,
        client_pem: &str,
        client_key: PrivateKeyDer<'static>,
    ) -> Result<Vec<u8>, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(server.cert_der.clone()))
            .unwrap();
        let client_cert = CertificateDer::from_pem_slice(client_pem.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(vec![client_cert], client_key)
            .unwrap();
        client.alpn_protocols = vec![b"h2".to_vec()];
        let (a, b) = tokio::io::duplex(64 * 1024);
        let acceptor = tokio_rustls::TlsAcceptor::from(server.config.clone());
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let server_side = tokio::spawn(async move {
            let mut s = acceptor.accept(b).await.map_err(|e| e.to_string())?;
            let alpn = s.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
            s.write_all(b"ok").await.map_err(|e| e.to_string())?;
            s.flush().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(alpn)
        });
        let name = ServerName::try_from("localhost").unwrap();
        let mut c = connector
            .connect(name, a)
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 2];
        c.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        let alpn = server_side.await.unwrap()?;
        assert_eq!(&buf, b"ok");
        Ok(alpn.unwrap_or_default())
    }

    #[tokio::test]
    async fn pinned_p521_client_certificate_is_accepted_with_h2() {
        let (pem, key) = terraform_like_client_cert();
        let server = server_config(&pem).unwrap();
        let alpn = handshake(&server, &pem, key).await.unwrap();
        assert_eq!(alpn, b"h2".to_vec());
    }

    #[tokio::test]
    async fn any_other_client_certificate_is_rejected() {
        let (pinned, _) = terraform_like_client_cert();
        let (other, other_key) = terraform_like_client_cert();
        let server = server_config(&pinned).unwrap();
        let result = handshake(&server, &other, other_key).await;
        assert!(result.is_err(), "a different certificate must not connect");
    }

    #[test]
    fn ephemeral_key_signature_verifies_with_aws_lc() {
        let key = EphemeralKey::generate();
        let message = b"tbs certificate bytes";
        let signature = key.sign(message).unwrap();
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let verifiers = provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == SignatureScheme::ECDSA_NISTP256_SHA256)
            .map(|(_, algs)| *algs)
            .unwrap();
        let verifies = |msg: &[u8]| {
            verifiers.iter().any(|alg| {
                alg.verify_signature(key.der_bytes(), msg, &signature)
                    .is_ok()
            })
        };
        assert!(verifies(message));
        assert!(!verifies(b"another message"));
    }

    #[test]
    fn garbage_client_certificate_is_a_clear_error() {
        let err = server_config("not a pem").err().unwrap();
        assert!(matches!(err, ServeError::ClientCertificate(_)));
    }
}

//! TLS on `127.0.0.1`: a throw-away CA, a server certificate it issued for `localhost` and
//! `127.0.0.1`, the rustls server configuration serving it, and clients trusting the CA (all with
//! the aws-lc-rs provider).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsConnector;

/// A CA and the `localhost` / `127.0.0.1` server certificate it issued.
pub struct TestTls {
    /// The CA certificate, PEM: what clients trust.
    pub ca_pem: String,
    /// The server certificate followed by the CA certificate, PEM.
    pub chain_pem: String,
    /// The server's PKCS#8 private key, PEM.
    pub key_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl TestTls {
    /// A fresh CA and server certificate.
    pub fn localhost() -> Self {
        let ca_key = KeyPair::generate().expect("CA key generation");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "custos test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let ca = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().expect("server key generation");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server certificate parameters")
            .signed_by(&leaf_key, &ca)
            .expect("server certificate");
        Self {
            ca_pem: ca_cert.pem(),
            chain_pem: format!("{}{}", leaf.pem(), ca_cert.pem()),
            key_pem: leaf_key.serialize_pem(),
            chain: vec![leaf.der().clone(), ca_cert.der().clone()],
            key_der: leaf_key.serialize_der(),
        }
    }

    /// A server configuration presenting the chain (no client authentication, no ALPN).
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("default protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("a usable server certificate");
        Arc::new(config)
    }

    /// A client connector trusting the CA (no ALPN).
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(client_config(self.ca_pem.as_bytes()))
    }
}

/// A client configuration trusting exactly the certificates of `ca_pem` (no ALPN).
pub fn client_config(ca_pem: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.expect("a PEM certificate")).expect("a usable CA certificate");
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

//! How the client proves who it is: [`Credential`] (a client secret, a certificate, a federated
//! token file, or a managed identity) and [`CertificateKey`], a PEM certificate and private key
//! that sign client assertions the way MSAL does.

use crate::error::Error;
use crate::managed_identity::ManagedIdentity;
use custos_core::Secret;
use custos_jose::cert::ClientCertificate;
use custos_jose::{RsaAlgorithm, SigningKey};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// `client_assertion_type` of a JWT client assertion.
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime of a client assertion, in seconds (MSAL's ten minutes).
pub(crate) const ASSERTION_LIFETIME_SECS: i64 = 600;
/// Largest credential file read (PEM, token file).
const MAX_FILE: u64 = 64 * 1024;

/// How a confidential client (or managed identity) authenticates.
#[derive(Debug, Clone)]
pub struct Credential {
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Secret { client_id: String, secret: Secret<String> },
    Certificate { client_id: String, key: std::sync::Arc<CertificateKey> },
    FederatedTokenFile { client_id: String, path: PathBuf },
    ManagedIdentity(ManagedIdentity),
}

impl Credential {
    /// A client secret (sent in the body as `client_secret`, as MSAL does).
    pub fn client_secret(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self { kind: Kind::Secret { client_id: client_id.into(), secret: Secret::new(secret.into()) } }
    }

    /// A certificate: each request carries a fresh client assertion signed with its key.
    pub fn certificate(client_id: impl Into<String>, key: CertificateKey) -> Self {
        Self { kind: Kind::Certificate { client_id: client_id.into(), key: std::sync::Arc::new(key) } }
    }

    /// Workload identity federation: the client assertion is the token in `path` (a Kubernetes
    /// projected service-account token, `AZURE_FEDERATED_TOKEN_FILE`), read again for every
    /// request so that a rotated token is picked up.
    pub fn federated_token_file(client_id: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self { kind: Kind::FederatedTokenFile { client_id: client_id.into(), path: path.into() } }
    }

    /// Workload identity federation from `AZURE_CLIENT_ID` and `AZURE_FEDERATED_TOKEN_FILE` (the
    /// tenant is `AZURE_TENANT_ID`, the authority `AZURE_AUTHORITY_HOST`: see
    /// [`crate::TokenClientBuilder::from_env`]).
    pub fn federated_from_env() -> Result<Self, Error> {
        let client_id = env("AZURE_CLIENT_ID")?;
        let path = env("AZURE_FEDERATED_TOKEN_FILE")?;
        Ok(Self::federated_token_file(client_id, path))
    }

    /// A managed identity: tokens come from the App Service or IMDS endpoint, not the authority.
    pub fn managed_identity(identity: ManagedIdentity) -> Self {
        Self { kind: Kind::ManagedIdentity(identity) }
    }

    /// The client id, for the credentials that name one.
    pub fn client_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Secret { client_id, .. }
            | Kind::Certificate { client_id, .. }
            | Kind::FederatedTokenFile { client_id, .. } => Some(client_id),
            Kind::ManagedIdentity(identity) => identity.client_id(),
        }
    }
}

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Error::Config(format!("the environment variable {name} is not set")))
}

/// Which header and algorithm a certificate's client assertions use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionStyle {
    /// `alg: PS256` with `x5t#S256` (SHA-256 thumbprint): what Microsoft documents and MSAL
    /// sends when it knows the certificate.
    #[default]
    Ps256Sha256,
    /// `alg: RS256` with `x5t` (SHA-1 thumbprint): what MSAL sends given only a thumbprint, and
    /// what azure-identity's `CertificateCredential` sends.
    Rs256Sha1,
}

/// A client certificate and its RSA private key (2048 to 4096 bits). `Debug` shows the
/// thumbprint only.
pub struct CertificateKey {
    key: SigningKey,
    x5t: String,
    x5t_s256: String,
    style: AssertionStyle,
}

impl std::fmt::Debug for CertificateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateKey")
            .field("x5t", &self.x5t)
            .field("style", &self.style)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl CertificateKey {
    /// Reads PEM text holding a `CERTIFICATE` and a PKCS#8 `PRIVATE KEY`, in any order (one file,
    /// or the two files' contents concatenated).
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let key = PrivatePkcs8KeyDer::from_pem_slice(pem).map_err(|_| {
            Error::Certificate("no PKCS#8 private key (-----BEGIN PRIVATE KEY-----) in the PEM".to_owned())
        })?;
        let certificate = CertificateDer::from_pem_slice(pem).map_err(|_| {
            Error::Certificate("no certificate (-----BEGIN CERTIFICATE-----) in the PEM".to_owned())
        })?;
        let parsed = ClientCertificate::from_der(certificate.as_ref())
            .map_err(|e| Error::Certificate(e.to_string()))?;
        let key = SigningKey::from_parts(key.secret_pkcs8_der(), certificate.as_ref())
            .map_err(|e| Error::Certificate(e.to_string()))?;
        Ok(Self { key, x5t: parsed.x5t(), x5t_s256: parsed.x5t_s256(), style: AssertionStyle::default() })
    }

    /// Reads one PEM file with the certificate and key (what `custos mi credential create` and
    /// `custos cert create` write), or two files given as `cert` and `key`.
    pub fn from_pem_files(cert: &Path, key: Option<&Path>) -> Result<Self, Error> {
        let mut pem = read_small_file(cert)?;
        if let Some(key) = key {
            pem.push(b'\n');
            pem.extend(read_small_file(key)?);
        }
        Self::from_pem(&pem)
    }

    /// Signs assertions in `style` instead of the default PS256 + `x5t#S256`.
    #[must_use]
    pub fn with_style(mut self, style: AssertionStyle) -> Self {
        self.style = style;
        self
    }

    /// The certificate's `x5t`: unpadded base64url SHA-1 thumbprint.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// The certificate's `x5t#S256`: unpadded base64url SHA-256 thumbprint.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// The style assertions are signed in.
    pub fn style(&self) -> AssertionStyle {
        self.style
    }

    /// A fresh client assertion for `audience` (the token endpoint URL): `iss` = `sub` =
    /// `client_id`, a new `jti`, `nbf` = `iat` = `now`, `exp` = `now` + 10 minutes.
    pub fn assertion(&self, client_id: &str, audience: &str, now: i64) -> Result<String, Error> {
        let (algorithm, header) = match self.style {
            AssertionStyle::Ps256Sha256 => (
                RsaAlgorithm::Ps256,
                Header { alg: "PS256", typ: "JWT", x5t: None, x5t_s256: Some(&self.x5t_s256) },
            ),
            AssertionStyle::Rs256Sha1 => (
                RsaAlgorithm::Rs256,
                Header { alg: "RS256", typ: "JWT", x5t: Some(&self.x5t), x5t_s256: None },
            ),
        };
        let claims = Claims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        self.key.sign_compact_as(algorithm, &header, &claims).map_err(|e| Error::Certificate(e.to_string()))
    }
}

/// Reads a file of at most 64 KiB.
pub(crate) fn read_small_file(path: &Path) -> Result<Vec<u8>, Error> {
    let file_error = |detail: String| Error::File { path: path.to_owned(), detail };
    let size = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?.len();
    if size > MAX_FILE {
        return Err(file_error(format!("{size} bytes is too large (at most {MAX_FILE})")));
    }
    std::fs::read(path).map_err(|e| file_error(e.to_string()))
}

/// Reads the federated token in `path` (trimmed; an empty file is an error).
pub(crate) async fn read_token_file(path: &Path) -> Result<Secret<String>, Error> {
    let owned = path.to_owned();
    let bytes = tokio::task::spawn_blocking(move || read_small_file(&owned))
        .await
        .map_err(|e| Error::File { path: path.to_owned(), detail: e.to_string() })??;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::File { path: path.to_owned(), detail: "not UTF-8 text".to_owned() })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::File { path: path.to_owned(), detail: "the file is empty".to_owned() });
    }
    Ok(Secret::new(token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
    use serde_json::{Value, json};

    fn key_and_cert() -> (String, String) {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let cert = CertificateParams::new(Vec::<String>::new()).unwrap().self_signed(&key).unwrap();
        (key.serialize_pem(), cert.pem())
    }

    fn part(token: &str, i: usize) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn assertions_follow_msal_in_both_styles() {
        let (key, cert) = key_and_cert();
        let parsed = ClientCertificate::from_pem(&cert).unwrap();
        let pss = CertificateKey::from_pem(format!("{cert}{key}").as_bytes()).unwrap();
        assert_eq!(pss.style(), AssertionStyle::Ps256Sha256);
        let token = pss.assertion("client-1", "https://h/t/oauth2/v2.0/token", 1_000).unwrap();
        assert_eq!(part(&token, 0), json!({"alg": "PS256", "typ": "JWT", "x5t#S256": parsed.x5t_s256()}));
        let claims = part(&token, 1);
        assert_eq!(claims["aud"], "https://h/t/oauth2/v2.0/token");
        assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some("client-1"), Some("client-1")));
        assert_eq!(
            (claims["nbf"].as_i64(), claims["iat"].as_i64(), claims["exp"].as_i64()),
            (Some(1_000), Some(1_000), Some(1_600))
        );
        let again = pss.assertion("client-1", "https://h/t/oauth2/v2.0/token", 1_000).unwrap();
        assert_ne!(part(&again, 1)["jti"], claims["jti"], "every assertion has a fresh jti");

        let rsa = CertificateKey::from_pem(format!("{key}{cert}").as_bytes())
            .unwrap()
            .with_style(AssertionStyle::Rs256Sha1);
        let token = rsa.assertion("c", "aud", 5).unwrap();
        assert_eq!(part(&token, 0), json!({"alg": "RS256", "typ": "JWT", "x5t": parsed.x5t()}));
        let shown = format!("{rsa:?}");
        assert!(shown.contains(&parsed.x5t()) && !shown.contains("PRIVATE"), "{shown}");
    }

    #[test]
    fn incomplete_or_mismatched_pem_is_refused() {
        let (key, cert) = key_and_cert();
        let (other_key, _) = key_and_cert();
        let message = |pem: &str| CertificateKey::from_pem(pem.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            message(&cert),
            "the certificate credential is unusable: no PKCS#8 private key (-----BEGIN PRIVATE KEY-----) in the PEM"
        );
        assert_eq!(
            message(&key),
            "the certificate credential is unusable: no certificate (-----BEGIN CERTIFICATE-----) in the PEM"
        );
        assert!(
            message(&format!("{other_key}{cert}")).contains("does not belong"),
            "{}",
            message(&format!("{other_key}{cert}"))
        );
    }

    #[test]
    fn pem_files_are_read_together_or_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = key_and_cert();
        let both = dir.path().join("both.pem");
        std::fs::write(&both, format!("{key}{cert}")).unwrap();
        let cert_path = dir.path().join("cert.pem");
        std::fs::write(&cert_path, &cert).unwrap();
        let key_path = dir.path().join("key.pem");
        std::fs::write(&key_path, &key).unwrap();
        let one = CertificateKey::from_pem_files(&both, None).unwrap();
        let two = CertificateKey::from_pem_files(&cert_path, Some(&key_path)).unwrap();
        assert_eq!(one.x5t(), two.x5t());
        let absent = dir.path().join("absent.pem");
        assert!(matches!(CertificateKey::from_pem_files(&absent, None), Err(Error::File { .. })));
    }

    #[tokio::test]
    async fn token_files_are_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  a.b.c\n").unwrap();
        assert_eq!(read_token_file(&path).await.unwrap().expose(), "a.b.c");
        std::fs::write(&path, "\n").unwrap();
        assert_eq!(
            read_token_file(&path).await.unwrap_err().to_string(),
            format!("cannot use {}: the file is empty", path.display())
        );
    }
}

//! The managed identity's credential as `custos agent` holds it: one PEM file with the PKCS#8
//! private key and its certificate (what `custos mi credential create` writes), and the client
//! assertions signed with it (RS256, `x5t` = the certificate's SHA-1 thumbprint, as MSAL sends).

use custos_jose::SigningKey;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Largest credential file read.
const MAX_FILE: u64 = 64 * 1024;
/// Lifetime of a client assertion, in seconds (MSAL's 10 minutes).
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// Why the credential file cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CredentialError {
    /// The file cannot be read or is too large.
    #[error("cannot read the credential file {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    /// A PEM section is missing.
    #[error(
        "the credential file {path} holds no {what} (expected one PEM file with the key and certificate from `custos mi credential create`)"
    )]
    Missing { path: PathBuf, what: &'static str },
    /// The key or certificate is unusable, or they do not belong together.
    #[error("the credential file {path} is unusable: {detail}")]
    Invalid { path: PathBuf, detail: String },
    /// Signing an assertion failed.
    #[error("cannot sign a client assertion: {0}")]
    Sign(String),
}

/// The identity's private key and certificate. `Debug` shows the thumbprint only (`SigningKey`'s
/// own `Debug` prints its `kid`, the certificate's `x5t`, and never the key).
#[derive(Debug)]
pub(crate) struct Credential {
    key: SigningKey,
    client_id: String,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    x5t: &'a str,
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

impl Credential {
    /// Reads `path` (PEM: a `PRIVATE KEY` and a `CERTIFICATE`, in any order) for `client_id`.
    pub(crate) fn load(path: &Path, client_id: &str) -> Result<Self, CredentialError> {
        let unreadable = |detail: String| CredentialError::Unreadable { path: path.to_owned(), detail };
        let size = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?.len();
        if size > MAX_FILE {
            return Err(unreadable(format!("{size} bytes is too large (at most {MAX_FILE})")));
        }
        let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        Self::from_pem(&pem, client_id).map_err(|e| match e {
            PemProblem::Missing(what) => CredentialError::Missing { path: path.to_owned(), what },
            PemProblem::Invalid(detail) => CredentialError::Invalid { path: path.to_owned(), detail },
        })
    }

    fn from_pem(pem: &[u8], client_id: &str) -> Result<Self, PemProblem> {
        let key = PrivatePkcs8KeyDer::from_pem_slice(pem)
            .map_err(|_| PemProblem::Missing("PKCS#8 private key (-----BEGIN PRIVATE KEY-----)"))?;
        let certificate = CertificateDer::from_pem_slice(pem)
            .map_err(|_| PemProblem::Missing("certificate (-----BEGIN CERTIFICATE-----)"))?;
        let key = SigningKey::from_parts(key.secret_pkcs8_der(), certificate.as_ref())
            .map_err(|e| PemProblem::Invalid(e.to_string()))?;
        Ok(Self { key, client_id: client_id.to_owned() })
    }

    /// The client id the assertions name.
    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The certificate's `x5t` (base64url SHA-1 thumbprint).
    pub(crate) fn x5t(&self) -> &str {
        self.key.kid()
    }

    /// A fresh client assertion for `audience` (the token endpoint), valid from `now` for ten
    /// minutes, with a new `jti`.
    pub(crate) fn assertion(&self, audience: &str, now: i64) -> Result<String, CredentialError> {
        let header = Header { alg: "RS256", typ: "JWT", x5t: self.key.kid() };
        let claims = Claims {
            aud: audience,
            iss: &self.client_id,
            sub: &self.client_id,
            jti: Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        self.key.sign_compact(&header, &claims).map_err(|e| CredentialError::Sign(e.to_string()))
    }
}

enum PemProblem {
    Missing(&'static str),
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use custos_jose::cert::ClientCertificate;
    use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
    use serde_json::Value;

    pub(crate) fn key_and_cert() -> (String, String) {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let cert = CertificateParams::new(Vec::<String>::new()).unwrap().self_signed(&key).unwrap();
        (key.serialize_pem(), cert.pem())
    }

    fn part(token: &str, i: usize) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn assertions_carry_x5t_and_the_client_id() {
        let (key, cert) = key_and_cert();
        // Certificate first: the order of the sections does not matter.
        let credential = Credential::from_pem(format!("{cert}{key}").as_bytes(), "client-1").ok().unwrap();
        let parsed = ClientCertificate::from_pem(&cert).unwrap();
        assert_eq!(credential.x5t(), parsed.x5t());
        let token = credential.assertion("https://h/t/oauth2/token", 1_000).unwrap();
        assert_eq!(part(&token, 0), serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": parsed.x5t()}));
        let claims = part(&token, 1);
        assert_eq!(claims["aud"], "https://h/t/oauth2/token");
        assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some("client-1"), Some("client-1")));
        assert_eq!((claims["nbf"].as_i64(), claims["exp"].as_i64()), (Some(1_000), Some(1_600)));
        let other = credential.assertion("https://h/t/oauth2/token", 1_000).unwrap();
        assert_ne!(part(&other, 1)["jti"], claims["jti"]);
        let shown = format!("{credential:?}");
        assert!(shown.contains(&parsed.x5t()) && !shown.contains("PRIVATE"), "{shown}");
    }

    #[test]
    fn incomplete_or_mismatched_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = key_and_cert();
        let (other_key, _) = key_and_cert();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let only_cert = write("cert.pem", &cert);
        assert_eq!(
            Credential::load(&only_cert, "c").unwrap_err().to_string(),
            format!(
                "the credential file {} holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----) (expected one PEM file with the key and certificate from `custos mi credential create`)",
                only_cert.display()
            )
        );
        let only_key = write("key.pem", &key);
        assert!(matches!(Credential::load(&only_key, "c"), Err(CredentialError::Missing { .. })));
        let mismatched = write("mixed.pem", &format!("{other_key}{cert}"));
        assert!(matches!(Credential::load(&mismatched, "c"), Err(CredentialError::Invalid { .. })));
        let absent = dir.path().join("absent.pem");
        assert!(matches!(Credential::load(&absent, "c"), Err(CredentialError::Unreadable { .. })));
        let good = write("good.pem", &format!("{key}{cert}"));
        assert_eq!(Credential::load(&good, "c").unwrap().client_id(), "c");
    }
}

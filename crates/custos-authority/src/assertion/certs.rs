//! The parsed client certificates of each application, so that no X.509 is parsed on the token
//! path after the first request that needs it. An entry is keyed by the application's object id
//! and is used only while it matches the application's current `keyCredentials` exactly (same
//! key ids, dates and DER), so an added, replaced or removed certificate takes effect with the
//! next directory snapshot. The map is bounded: it is emptied when it reaches its cap.

use custos_core::ObjectId;
use custos_core::model::{Application, KEY_USAGE_VERIFY, KeyCredential};
use custos_jose::cert::ClientCertificate;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use time::OffsetDateTime;
use uuid::Uuid;

/// Most applications whose certificates are kept parsed at once.
const MAX_CACHED_APPLICATIONS: usize = 100_000;

/// The parsed certificates of all applications seen so far.
#[derive(Debug, Default)]
pub(crate) struct CertificateCache {
    entries: RwLock<HashMap<ObjectId, Arc<AppCertificates>>>,
}

/// One application's certificate credentials, parsed.
#[derive(Debug)]
pub(crate) struct AppCertificates {
    /// One per key credential, in the application's order.
    credentials: Vec<Parsed>,
    /// The certificates that parsed, in the same order: the slice used when all are valid.
    certificates: Vec<ClientCertificate>,
}

#[derive(Debug)]
struct Parsed {
    key_id: Uuid,
    start: OffsetDateTime,
    end: OffsetDateTime,
    usable: bool,
    der: Vec<u8>,
    /// Index into `certificates` when the certificate parsed.
    certificate: Option<usize>,
}

impl Parsed {
    fn matches(&self, credential: &KeyCredential) -> bool {
        self.key_id == credential.key_id
            && self.start == credential.start
            && self.end == credential.end
            && self.usable == is_verify_key(credential)
            && self.der == credential.certificate_der
    }
}

fn is_verify_key(credential: &KeyCredential) -> bool {
    credential.usage == KEY_USAGE_VERIFY
}

impl AppCertificates {
    fn parse(app: &Application) -> Self {
        let mut certificates = Vec::with_capacity(app.key_credentials.len());
        let credentials = app
            .key_credentials
            .iter()
            .map(|credential| {
                let certificate = match ClientCertificate::from_der(&credential.certificate_der) {
                    Ok(parsed) => {
                        certificates.push(parsed);
                        Some(certificates.len() - 1)
                    }
                    Err(e) => {
                        tracing::warn!(
                            app_id = %app.app_id, key_id = %credential.key_id, error = %e,
                            "a registered certificate cannot be parsed; it is ignored"
                        );
                        None
                    }
                };
                Parsed {
                    key_id: credential.key_id,
                    start: credential.start,
                    end: credential.end,
                    usable: is_verify_key(credential),
                    der: credential.certificate_der.clone(),
                    certificate,
                }
            })
            .collect();
        Self { credentials, certificates }
    }

    fn matches(&self, app: &Application) -> bool {
        self.credentials.len() == app.key_credentials.len()
            && self.credentials.iter().zip(&app.key_credentials).all(|(p, c)| p.matches(c))
    }

    /// The certificates whose credential is valid at `now` (`start <= now < end`) and usable
    /// for verification. Borrowed in the usual case where all of them are.
    pub(crate) fn valid_at(&self, now: OffsetDateTime) -> Cow<'_, [ClientCertificate]> {
        let valid = |p: &Parsed| p.usable && p.start <= now && now < p.end;
        if self.credentials.iter().all(|p| p.certificate.is_some() && valid(p)) {
            return Cow::Borrowed(&self.certificates);
        }
        Cow::Owned(
            self.credentials
                .iter()
                .filter(|p| valid(p))
                .filter_map(|p| p.certificate.map(|i| self.certificates[i].clone()))
                .collect(),
        )
    }
}

impl CertificateCache {
    /// The parsed certificates of `app` as it is now; parses them on the first request and
    /// whenever its key credentials changed.
    pub(crate) fn certificates(&self, app: &Application) -> Arc<AppCertificates> {
        if let Some(entry) = self.entries.read().unwrap_or_else(PoisonError::into_inner).get(&app.id)
            && entry.matches(app)
        {
            return Arc::clone(entry);
        }
        let parsed = Arc::new(AppCertificates::parse(app));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_APPLICATIONS && !entries.contains_key(&app.id) {
            entries.clear();
        }
        entries.insert(app.id, Arc::clone(&parsed));
        parsed
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::model::{KEY_TYPE_X509, SIGN_IN_AUDIENCE_MY_ORG};
    use custos_core::{AppId, TenantId};
    use time::macros::datetime;

    /// A self-signed RSA-2048 certificate, generated once per test binary.
    fn der() -> Vec<u8> {
        static DER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        DER.get_or_init(|| {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
            rcgen::CertificateParams::default().self_signed(&key).unwrap().der().to_vec()
        })
        .clone()
    }

    fn credential(der: Vec<u8>, start: OffsetDateTime, end: OffsetDateTime) -> KeyCredential {
        KeyCredential {
            key_id: Uuid::new_v4(),
            display_name: None,
            custom_key_identifier: vec![],
            usage: KEY_USAGE_VERIFY.to_owned(),
            key_type: KEY_TYPE_X509.to_owned(),
            start,
            end,
            certificate_der: der,
        }
    }

    fn app(keys: Vec<KeyCredential>) -> Application {
        Application {
            id: ObjectId::new_random(),
            tenant_id: TenantId::new_random(),
            app_id: AppId::new_random(),
            display_name: "a".to_owned(),
            description: None,
            identifier_uris: vec![],
            app_roles: vec![],
            requested_access_token_version: None,
            sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.to_owned(),
            password_credentials: vec![],
            key_credentials: keys,
            federated_identity_credentials: Vec::new(),
            oauth2_permission_scopes: Vec::new(),
            required_resource_access: Vec::new(),
            redirect_uris: custos_core::consent::RedirectUris::default(),
            properties: Default::default(),
            access_token_signing_algorithm: Default::default(),
            created: datetime!(2025-01-01 0:00 UTC),
        }
    }

    #[test]
    fn parses_once_and_reparses_after_a_change() {
        let cache = CertificateCache::default();
        let (start, end) = (datetime!(2025-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
        let mut application = app(vec![credential(der(), start, end)]);
        let first = cache.certificates(&application);
        let second = cache.certificates(&application);
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(first.valid_at(datetime!(2025-06-01 0:00 UTC)).len(), 1);
        assert!(matches!(first.valid_at(datetime!(2025-06-01 0:00 UTC)), Cow::Borrowed(_)));
        // Outside the credential's dates: no key at all.
        assert_eq!(first.valid_at(datetime!(2026-01-01 0:00 UTC)).len(), 0);
        assert_eq!(first.valid_at(datetime!(2024-12-31 0:00 UTC)).len(), 0);

        application.key_credentials.clear();
        let removed = cache.certificates(&application);
        assert!(!Arc::ptr_eq(&first, &removed));
        assert_eq!(removed.valid_at(datetime!(2025-06-01 0:00 UTC)).len(), 0);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn unparseable_and_non_verify_credentials_are_never_keys() {
        let cache = CertificateCache::default();
        let (start, end) = (datetime!(2025-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
        let mut encrypt = credential(der(), start, end);
        encrypt.usage = "Encrypt".to_owned();
        let application =
            app(vec![credential(vec![0x30, 0x00], start, end), encrypt, credential(der(), start, end)]);
        let parsed = cache.certificates(&application);
        let valid = parsed.valid_at(datetime!(2025-06-01 0:00 UTC));
        assert_eq!(valid.len(), 1);
        assert!(matches!(valid, Cow::Owned(_)));
    }
}

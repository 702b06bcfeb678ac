//! Token-signing keys at run time: loads the stored keys, opens the signer's private key with
//! the key-encryption key (KEK), creates the first key when there is none, and holds the
//! current signer, the published JWKS and a verifier for them behind one swappable `Arc`.
//!
//! State machine (rotation arrives later): every key that is not removed is published (`next`,
//! `current`, and `retired` until its `retires` time); the signer is the newest `current` key
//! whose `activates` has come. A key is published before it signs because `next` keys are in the
//! JWKS from the moment they are stored.

use custos_core::Clock;
use custos_core::model::{SigningKeyRecord, SigningKeyState};
use custos_jose::{JoseError, Jwk, Jwks, SigningKey, TokenVerifier, seal};
use custos_store::{Store, StoreError};
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;

/// Why the signing keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error("cannot read or write signing keys: {0}")]
    Store(#[from] StoreError),
    /// A stored key could not be opened or parsed (wrong KEK, corrupt record).
    #[error("signing key '{kid}' is unusable: {source}")]
    Unusable {
        /// The key.
        kid: String,
        /// What went wrong.
        source: JoseError,
    },
    /// Generating the first key failed.
    #[error("cannot create a signing key: {0}")]
    Generate(JoseError),
}

/// The 32-byte key-encryption key; its `Debug` is redacted.
#[derive(Clone)]
struct Kek([u8; 32]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(<redacted>)")
    }
}

/// One consistent view of the keys: swapped as a whole on reload.
#[derive(Debug)]
struct KeySet {
    signer: Arc<SigningKey>,
    /// Every published key, without `issuer`.
    published: Vec<Jwk>,
    verifier: Arc<TokenVerifier>,
}

/// The signing keys of the authority.
pub struct KeyManager {
    store: Arc<dyn Store>,
    kek: Kek,
    clock: Arc<dyn Clock>,
    current: RwLock<Arc<KeySet>>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager").field("signer", &self.current().kid()).finish_non_exhaustive()
    }
}

impl KeyManager {
    /// Loads the keys from `store`, creating and storing the first one (state `current`,
    /// activating now) when no key can sign.
    pub async fn load(store: Arc<dyn Store>, kek: [u8; 32], clock: Arc<dyn Clock>) -> Result<Self, KeyError> {
        let kek = Kek(kek);
        let set = build(store.as_ref(), &kek, clock.now()).await?;
        Ok(Self { store, kek, clock, current: RwLock::new(Arc::new(set)) })
    }

    /// Re-reads the keys from the store (after a rotation, or another node's).
    pub async fn reload(&self) -> Result<(), KeyError> {
        let set = build(self.store.as_ref(), &self.kek, self.clock.now()).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }

    fn snapshot(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key that signs tokens now.
    pub fn current(&self) -> Arc<SigningKey> {
        self.snapshot().signer.clone()
    }

    /// The published keys, each carrying `issuer` when one is given (v2 key sets).
    pub fn jwks(&self, issuer: Option<&str>) -> Jwks {
        let set = self.snapshot();
        Jwks { keys: set.published.iter().map(|k| k.clone().with_issuer(issuer)).collect() }
    }

    /// A verifier for tokens signed by any published key.
    pub fn verifier(&self) -> Arc<TokenVerifier> {
        self.snapshot().verifier.clone()
    }
}

fn is_published(record: &SigningKeyRecord, now: OffsetDateTime) -> bool {
    record.state != SigningKeyState::Retired || record.retires.is_none_or(|at| at > now)
}

/// The newest `current` key that has activated.
fn choose_signer(records: &[SigningKeyRecord], now: OffsetDateTime) -> Option<&SigningKeyRecord> {
    records
        .iter()
        .filter(|r| r.state == SigningKeyState::Current && r.activates <= now)
        .max_by_key(|r| (r.activates, r.created))
}

async fn build(store: &dyn Store, kek: &Kek, now: OffsetDateTime) -> Result<KeySet, KeyError> {
    let mut records = store.signing_keys().await?;
    let signer = match choose_signer(&records, now) {
        Some(record) => open_record(record, kek)?,
        None => {
            if !records.is_empty() {
                tracing::warn!("no active signing key in the store; creating a new current key");
            }
            let (key, record) = create_first(kek, now)?;
            store.insert_signing_key(&record).await?;
            tracing::info!(kid = %record.kid, "created a token-signing key");
            records.push(record);
            key
        }
    };
    let mut published = Vec::with_capacity(records.len());
    for record in records.iter().filter(|r| is_published(r, now)) {
        let jwk = Jwk::from_certificate(&record.certificate_der)
            .map_err(|source| KeyError::Unusable { kid: record.kid.clone(), source })?;
        published.push(jwk);
    }
    let verifier = TokenVerifier::new(&Jwks { keys: published.clone() })
        .map_err(|source| KeyError::Unusable { kid: signer.kid().to_owned(), source })?;
    Ok(KeySet { signer: Arc::new(signer), published, verifier: Arc::new(verifier) })
}

fn open_record(record: &SigningKeyRecord, kek: &Kek) -> Result<SigningKey, KeyError> {
    let unusable = |source| KeyError::Unusable { kid: record.kid.clone(), source };
    let pkcs8 = seal::open(&kek.0, &record.sealed_private_key, record.kid.as_bytes()).map_err(unusable)?;
    let key = SigningKey::from_parts(&pkcs8, &record.certificate_der).map_err(unusable)?;
    if key.kid() != record.kid {
        return Err(unusable(JoseError::KeyMismatch));
    }
    Ok(key)
}

fn create_first(kek: &Kek, now: OffsetDateTime) -> Result<(SigningKey, SigningKeyRecord), KeyError> {
    let (key, pkcs8) = SigningKey::generate(now).map_err(KeyError::Generate)?;
    let sealed = seal::seal(&kek.0, &pkcs8, key.kid().as_bytes()).map_err(KeyError::Generate)?;
    let record = SigningKeyRecord {
        kid: key.kid().to_owned(),
        state: SigningKeyState::Current,
        created: now,
        activates: now,
        retires: None,
        sealed_private_key: sealed,
        certificate_der: key.certificate_der().to_vec(),
    };
    Ok((key, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn record(kid: &str, state: SigningKeyState, activates: i64, retires: Option<i64>) -> SigningKeyRecord {
        let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        SigningKeyRecord {
            kid: kid.into(),
            state,
            created: at(activates),
            activates: at(activates),
            retires: retires.map(at),
            sealed_private_key: vec![],
            certificate_der: vec![],
        }
    }

    #[test]
    fn signer_is_the_newest_active_current_key() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let records = [
            record("old", SigningKeyState::Current, 100, None),
            record("new", SigningKeyState::Current, 900, None),
            record("future", SigningKeyState::Current, 2_000, None),
            record("next", SigningKeyState::Next, 950, None),
            record("retired", SigningKeyState::Retired, 990, Some(5_000)),
        ];
        assert_eq!(choose_signer(&records, now).unwrap().kid, "new");
        assert!(choose_signer(&records[2..], now).is_none());
    }

    #[test]
    fn retired_keys_are_published_until_they_retire() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        assert!(is_published(&record("n", SigningKeyState::Next, 2_000, None), now));
        assert!(is_published(&record("r", SigningKeyState::Retired, 0, Some(1_001)), now));
        assert!(!is_published(&record("r", SigningKeyState::Retired, 0, Some(1_000)), now));
        assert!(is_published(&record("r", SigningKeyState::Retired, 0, None), now + Duration::days(1)));
    }

    #[test]
    fn kek_debug_is_redacted() {
        assert_eq!(format!("{:?}", Kek([7; 32])), "Kek(<redacted>)");
    }
}

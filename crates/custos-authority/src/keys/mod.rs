//! Token-signing keys at run time: loads the stored keys, opens their private keys with the
//! key-encryption key (KEK), rotates them ([`KeyManager::rotate`], [`KeyManager::tick`]) and
//! holds the signer, the published JWKS and a verifier for them behind one swappable `Arc`.
//!
//! Every RSA key has an ES256 companion (a P-256 key in the same row, sealed the same way) that
//! signs the access tokens of resources that opted in to ES256: it is created, published,
//! promoted and retired together with its RSA key, so the rotation machinery is one. Keys stored
//! before the companion existed get one when they are next loaded; the JWKS lists the RSA keys
//! first, then the EC keys.
//!
//! The state machine itself is in `plan` (pure functions); this module commits its decisions
//! to the store and only then installs them. Which key signs is re-evaluated on every token
//! against the committed activation times, so a scheduled key takes over exactly on time even
//! between ticks; a key is in the JWKS from the moment it is stored, before it can sign.

mod plan;
mod policy;

// The parser lives in core (the CLI reads durations without the authority); re-exported here
// because the key API speaks in these durations.
pub use custos_core::duration::{DurationError, MAX_DURATION, format_duration, parse_duration};
pub use policy::{KeyPolicy, PolicyError};

use custos_core::audit::{Activity, AuditContext, AuditTarget, DirectoryAudit, ModifiedProperty, TargetType};
use custos_core::model::{Es256KeyRecord, SigningKeyRecord, SigningKeyState};
use custos_core::{Clock, Secret};
use custos_jose::{EcSigningKey, JoseError, Jwk, Jwks, SigningKey, TokenVerifier, seal};
use custos_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};

/// Why the signing keys could not be loaded or changed.
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
    /// Generating a key failed.
    #[error("cannot create a signing key: {0}")]
    Generate(JoseError),
    /// The rotation policy is inconsistent.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A rotation asked for an activation that is neither `0s` nor at least the publish-ahead
    /// time (nor at most [`MAX_DURATION`]).
    #[error(
        "a new signing key starts signing at once (0s) or after at least the publish-ahead time ({publish_ahead}) and at most 3650d"
    )]
    Activation {
        /// The publish-ahead time, formatted like `24h`.
        publish_ahead: String,
    },
    /// No stored key can sign at this time (the clock is before every key's activation).
    #[error("no signing key is active at this time")]
    NoSigner,
}

/// The 32-byte key-encryption key.
type Kek = Secret<[u8; 32]>;

/// An opened key: the RSA key and its ES256 companion (absent only until it is added).
#[derive(Debug, Clone)]
struct Opened {
    rsa: Arc<SigningKey>,
    es256: Option<Arc<EcSigningKey>>,
}

/// A key that will sign from `from` on.
#[derive(Debug)]
struct Upcoming {
    from: OffsetDateTime,
    key: Opened,
}

/// One consistent view of the keys: swapped as a whole.
#[derive(Debug)]
struct KeySet {
    /// The key signing when the set was built.
    signer: Opened,
    /// Keys taking over later, in takeover order.
    upcoming: Vec<Upcoming>,
    /// Every published key, without `issuer`.
    published: Vec<Jwk>,
    verifier: Arc<TokenVerifier>,
}

/// A signing key as the admin API shows it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `kid` (= `x5t`).
    pub kid: String,
    /// Lifecycle state, as in effect now.
    pub state: SigningKeyState,
    /// Creation time.
    pub created: OffsetDateTime,
    /// When it starts (or started) signing.
    pub activates: OffsetDateTime,
    /// When it stops being published, once retired.
    pub retires: Option<OffsetDateTime>,
}

impl From<&SigningKeyRecord> for KeyInfo {
    fn from(r: &SigningKeyRecord) -> Self {
        Self {
            kid: r.kid.clone(),
            state: r.state,
            created: r.created,
            activates: r.activates,
            retires: r.retires,
        }
    }
}

/// The signing keys of the authority.
pub struct KeyManager {
    store: Arc<dyn Store>,
    kek: Kek,
    clock: Arc<dyn Clock>,
    policy: KeyPolicy,
    current: RwLock<Arc<KeySet>>,
    /// Serialises this node's writes (ticks and rotations).
    writer: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager")
            .field("signer", &self.current().kid())
            .field("es256_signer", &self.current_es256().map(|k| k.kid().to_owned()))
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl KeyManager {
    /// [`KeyManager::load_with_policy`] with the default policy.
    pub async fn load(store: Arc<dyn Store>, kek: [u8; 32], clock: Arc<dyn Clock>) -> Result<Self, KeyError> {
        Self::load_with_policy(store, kek, clock, KeyPolicy::default()).await
    }

    /// Loads the keys from `store`, commits the state changes that are due, and creates and
    /// stores a first key (state `current`, activating now) when no key can sign.
    pub async fn load_with_policy(
        store: Arc<dyn Store>,
        kek: [u8; 32],
        clock: Arc<dyn Clock>,
        policy: KeyPolicy,
    ) -> Result<Self, KeyError> {
        policy.validate()?;
        let kek = Kek::new(kek);
        let now = clock.now();
        let mut records = store.signing_keys().await?;
        settle(store.as_ref(), &kek, &policy, &mut records, &AuditContext::installation(now), false).await?;
        let set = build(&records, &kek, &policy, now, &HashMap::new())?;
        let current = RwLock::new(Arc::new(set));
        Ok(Self { store, kek, clock, policy, current, writer: tokio::sync::Mutex::new(()) })
    }

    /// The rotation policy.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    /// Re-reads the keys from the store (another node's rotation) and commits the state
    /// changes that are due, without scheduling a new key.
    pub async fn reload(&self) -> Result<(), KeyError> {
        self.refresh(false).await
    }

    /// The periodic maintenance: re-reads the store, promotes keys whose activation has come,
    /// retires the keys they supersede, creates the next key `publish_ahead` before the
    /// current one is due for rotation, and installs the result.
    pub async fn tick(&self) -> Result<(), KeyError> {
        self.refresh(true).await
    }

    async fn refresh(&self, schedule: bool) -> Result<(), KeyError> {
        let _writing = self.writer.lock().await;
        let now = self.clock.now();
        let mut records = self.store.signing_keys().await?;
        let context = AuditContext::installation(now);
        settle(self.store.as_ref(), &self.kek, &self.policy, &mut records, &context, schedule).await?;
        self.install(&records, now)
    }

    /// Runs [`KeyManager::tick`] now and every `period`, logging failures; never returns.
    pub async fn run_schedule(&self, period: std::time::Duration) {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "signing-key maintenance failed; retrying at the next tick");
            }
        }
    }

    /// Creates, stores and publishes a new key. With `activate_in` zero it is `current` and
    /// signs at once (a drill); otherwise it is `next` and signs after `activate_in`, which
    /// must be at least the publish-ahead time. Returns the new key. The changes are recorded as
    /// `audit`'s (the admin who asked); scheduled rotation records them as the installation's.
    pub async fn rotate(&self, activate_in: Duration, audit: &AuditContext) -> Result<KeyInfo, KeyError> {
        let zero = activate_in.is_zero();
        if !zero && (activate_in < self.policy.publish_ahead || activate_in > MAX_DURATION) {
            return Err(KeyError::Activation { publish_ahead: format_duration(self.policy.publish_ahead) });
        }
        let _writing = self.writer.lock().await;
        let now = self.clock.now();
        let mut records = self.store.signing_keys().await?;
        let (state, activates) =
            if zero { (SigningKeyState::Current, now) } else { (SigningKeyState::Next, now + activate_in) };
        let context = AuditContext { now, ..audit.clone() };
        let record = create(self.store.as_ref(), &self.kek, &context, state, activates).await?;
        let kid = record.kid.clone();
        records.push(record);
        if zero {
            let superseded = plan::supersede(&records, &kid, now, &self.policy);
            commit(self.store.as_ref(), &superseded, &context).await?;
            plan::apply(&mut records, &superseded);
        }
        settle(self.store.as_ref(), &self.kek, &self.policy, &mut records, &context, false).await?;
        self.install(&records, now)?;
        records.iter().find(|r| r.kid == kid).map(KeyInfo::from).ok_or(KeyError::NoSigner)
    }

    /// Every stored key, oldest first, with the states in effect now.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let now = self.clock.now();
        let mut records = self.store.signing_keys().await?;
        let due = plan::plan(&records, now, &self.policy);
        plan::apply(&mut records, &due.updates);
        Ok(records.iter().map(KeyInfo::from).collect())
    }

    fn install(&self, records: &[SigningKeyRecord], now: OffsetDateTime) -> Result<(), KeyError> {
        let previous = self.snapshot();
        let mut opened: HashMap<String, Opened> =
            previous.upcoming.iter().map(|u| (u.key.rsa.kid().to_owned(), u.key.clone())).collect();
        opened.insert(previous.signer.rsa.kid().to_owned(), previous.signer.clone());
        let set = build(records, &self.kek, &self.policy, now, &opened)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }

    fn snapshot(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key that signs RS256 tokens now.
    pub fn current(&self) -> Arc<SigningKey> {
        self.signing(|opened| opened.rsa.clone())
    }

    /// The key that signs ES256 tokens now: the companion of [`KeyManager::current`] (`None`
    /// only if it could not be added to a key stored before ES256 existed).
    pub fn current_es256(&self) -> Option<Arc<EcSigningKey>> {
        self.signing(|opened| opened.es256.clone())
    }

    fn signing<T>(&self, pick: impl Fn(&Opened) -> T) -> T {
        let set = self.snapshot();
        if !set.upcoming.is_empty() {
            let now = self.clock.now();
            if let Some(next) = set.upcoming.iter().rev().find(|u| u.from <= now) {
                return pick(&next.key);
            }
        }
        pick(&set.signer)
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

/// Commits the changes due at `now` to the store and applies them to `records`: a first key
/// when none can sign, promotions and retirements, and (with `schedule`) the next key.
async fn settle(
    store: &dyn Store,
    kek: &Kek,
    policy: &KeyPolicy,
    records: &mut Vec<SigningKeyRecord>,
    context: &AuditContext,
    schedule: bool,
) -> Result<(), KeyError> {
    let now = context.now;
    let due = plan::plan(records, now, policy);
    if due.needs_signer {
        if !records.is_empty() {
            tracing::warn!("no active signing key in the store; creating a new current key");
        }
        let record = create(store, kek, context, SigningKeyState::Current, now).await?;
        records.push(record);
        return Ok(());
    }
    commit(store, &due.updates, context).await?;
    plan::apply(records, &due.updates);
    if schedule && due.schedule_next {
        let record = create(store, kek, context, SigningKeyState::Next, now + policy.publish_ahead).await?;
        records.push(record);
    }
    add_es256_companions(store, kek, records, context).await
}

/// Gives every live key stored without an ES256 companion one, then re-reads the keys (another
/// node may have added its own first: the store keeps the first one written).
async fn add_es256_companions(
    store: &dyn Store,
    kek: &Kek,
    records: &mut Vec<SigningKeyRecord>,
    context: &AuditContext,
) -> Result<(), KeyError> {
    let missing: Vec<SigningKeyRecord> = records
        .iter()
        .filter(|r| r.state != SigningKeyState::Retired && r.es256.is_none())
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for before in &missing {
        let (es256, kid) = generate_es256(kek, context.now).await?;
        let after = SigningKeyRecord { es256: Some(es256), ..before.clone() };
        let record = key_record(context, Activity::UpdateSigningKey, Some(before), &after);
        store.update_signing_key(&after, &[record]).await?;
        tracing::info!(kid = %before.kid, es256_kid = %kid, "added an ES256 key to a signing key");
    }
    *records = store.signing_keys().await?;
    Ok(())
}

/// Generates a P-256 key (off the async threads) and seals it under its own `kid`.
async fn generate_es256(kek: &Kek, now: OffsetDateTime) -> Result<(Es256KeyRecord, String), KeyError> {
    let (key, pkcs8) = tokio::task::spawn_blocking(move || EcSigningKey::generate(now))
        .await
        .map_err(|e| KeyError::Generate(JoseError::Generate(e.to_string())))?
        .map_err(KeyError::Generate)?;
    let sealed = seal::seal(kek.expose(), &pkcs8, key.kid().as_bytes()).map_err(KeyError::Generate)?;
    let kid = key.kid().to_owned();
    Ok((
        Es256KeyRecord {
            kid: kid.clone(),
            sealed_private_key: sealed,
            certificate_der: key.certificate_der().to_vec(),
        },
        kid,
    ))
}

/// Writes state changes to the store, one key at a time, logging each.
async fn commit(
    store: &dyn Store,
    updates: &[SigningKeyRecord],
    context: &AuditContext,
) -> Result<(), KeyError> {
    let records = store.signing_keys().await?;
    for update in updates {
        let before = records.iter().find(|r| r.kid == update.kid);
        let record = key_record(context, Activity::UpdateSigningKey, before, update);
        store.update_signing_key(update, &[record]).await?;
        match (update.state, update.retires) {
            (SigningKeyState::Retired, Some(retires)) => {
                tracing::info!(kid = %update.kid, %retires, "signing key retired; published until it retires");
            }
            _ => {
                tracing::info!(kid = %update.kid, activates = %update.activates, "signing key is now current")
            }
        }
    }
    Ok(())
}

/// The record of a signing-key change (installation-wide: no tenant), naming the
/// key by `kid` with its state and dates (public data only).
fn key_record(
    context: &AuditContext,
    activity: Activity,
    before: Option<&SigningKeyRecord>,
    after: &SigningKeyRecord,
) -> DirectoryAudit {
    let time = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .map(serde_json::Value::String)
    };
    let property = |name: &str, old: Option<serde_json::Value>, new: Option<serde_json::Value>| {
        (old != new || before.is_none()).then(|| ModifiedProperty::attribute(name, old, new))
    };
    let state = |r: &SigningKeyRecord| serde_json::Value::String(r.state.as_str().to_owned());
    let es256 = |r: &SigningKeyRecord| r.es256.as_ref().map(|k| serde_json::Value::String(k.kid.clone()));
    let properties = [
        property("State", before.map(state), Some(state(after))),
        property("Activates", before.and_then(|b| time(Some(b.activates))), time(Some(after.activates))),
        property("Retires", before.and_then(|b| time(b.retires)), time(after.retires)),
        property("ES256 key", before.and_then(es256), es256(after)),
    ];
    let target = AuditTarget::new(TargetType::Other, &after.kid, Some("Token signing key"))
        .with(properties.into_iter().flatten());
    context.record_in(None, activity, vec![target])
}

/// Generates an RSA-2048 key and its ES256 companion (off the async threads), seals them and
/// stores them.
async fn create(
    store: &dyn Store,
    kek: &Kek,
    context: &AuditContext,
    state: SigningKeyState,
    activates: OffsetDateTime,
) -> Result<SigningKeyRecord, KeyError> {
    let now = context.now;
    let (key, pkcs8) = tokio::task::spawn_blocking(move || SigningKey::generate(now))
        .await
        .map_err(|e| KeyError::Generate(JoseError::Generate(e.to_string())))?
        .map_err(KeyError::Generate)?;
    let sealed = seal::seal(kek.expose(), &pkcs8, key.kid().as_bytes()).map_err(KeyError::Generate)?;
    let (es256, _) = generate_es256(kek, now).await?;
    let record = SigningKeyRecord {
        kid: key.kid().to_owned(),
        state,
        created: now,
        activates,
        retires: None,
        sealed_private_key: sealed,
        certificate_der: key.certificate_der().to_vec(),
        es256: Some(es256),
    };
    store.insert_signing_key(&record, &[key_record(context, Activity::AddSigningKey, None, &record)]).await?;
    tracing::info!(kid = %record.kid, state = record.state.as_str(), activates = %activates, "created a token-signing key");
    Ok(record)
}

/// The key set at `now`, reusing the already opened private keys in `opened`.
fn build(
    records: &[SigningKeyRecord],
    kek: &Kek,
    policy: &KeyPolicy,
    now: OffsetDateTime,
    opened: &HashMap<String, Opened>,
) -> Result<KeySet, KeyError> {
    let mut live: Vec<&SigningKeyRecord> =
        records.iter().filter(|r| r.state != SigningKeyState::Retired).collect();
    live.sort_by(|a, b| plan::by_takeover(a, b, policy));
    // An opened key is reused unless its ES256 companion was added since it was opened.
    let same_companion = |key: &Opened, record: &SigningKeyRecord| {
        key.es256.as_ref().map(|k| k.kid()) == record.es256.as_ref().map(|k| k.kid.as_str())
    };
    let open = |record: &SigningKeyRecord| match opened.get(&record.kid) {
        Some(key) if same_companion(key, record) => Ok(key.clone()),
        _ => open_record(record, kek),
    };
    let signer = plan::signer(records, now, policy).ok_or(KeyError::NoSigner)?;
    let mut upcoming = Vec::new();
    for record in live.into_iter().filter(|r| plan::takeover(r, policy) > now) {
        upcoming.push(Upcoming { from: plan::takeover(record, policy), key: open(record)? });
    }
    let signer = open(signer)?;
    let mut published = Vec::with_capacity(2 * records.len());
    let visible: Vec<&SigningKeyRecord> = records.iter().filter(|r| plan::is_published(r, now)).collect();
    let certificates = visible.iter().map(|r| (&r.kid, &r.certificate_der));
    let companions = visible.iter().filter_map(|r| r.es256.as_ref()).map(|k| (&k.kid, &k.certificate_der));
    for (kid, certificate) in certificates.chain(companions) {
        let jwk = Jwk::from_certificate(certificate)
            .map_err(|source| KeyError::Unusable { kid: kid.clone(), source })?;
        published.push(jwk);
    }
    let verifier = TokenVerifier::new(&Jwks { keys: published.clone() })
        .map_err(|source| KeyError::Unusable { kid: signer.rsa.kid().to_owned(), source })?;
    Ok(KeySet { signer, upcoming, published, verifier: Arc::new(verifier) })
}

fn open_record(record: &SigningKeyRecord, kek: &Kek) -> Result<Opened, KeyError> {
    fn unusable(kid: &str) -> impl FnOnce(JoseError) -> KeyError + '_ {
        move |source| KeyError::Unusable { kid: kid.to_owned(), source }
    }
    let pkcs8 = seal::open(kek.expose(), &record.sealed_private_key, record.kid.as_bytes())
        .map_err(unusable(&record.kid))?;
    let key = SigningKey::from_parts(&pkcs8, &record.certificate_der).map_err(unusable(&record.kid))?;
    if key.kid() != record.kid {
        return Err(unusable(&record.kid)(JoseError::KeyMismatch));
    }
    let es256 = match &record.es256 {
        Some(stored) => {
            let pkcs8 = seal::open(kek.expose(), &stored.sealed_private_key, stored.kid.as_bytes())
                .map_err(unusable(&stored.kid))?;
            let key =
                EcSigningKey::from_parts(&pkcs8, &stored.certificate_der).map_err(unusable(&stored.kid))?;
            if key.kid() != stored.kid {
                return Err(unusable(&stored.kid)(JoseError::KeyMismatch));
            }
            Some(Arc::new(key))
        }
        None => None,
    };
    Ok(Opened { rsa: Arc::new(key), es256 })
}

#[cfg(test)]
mod tests;

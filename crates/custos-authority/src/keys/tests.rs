//! The key state machine against a real (in-memory SQLite) store and a fixed clock.

use super::*;
use custos_core::FixedClock;

/// Who asks for a rotation (its time is the key manager's clock's).
fn operator() -> AuditContext {
    AuditContext::installation(OffsetDateTime::UNIX_EPOCH)
}
use custos_store::sqlite::SqliteStore;

/// 2030-01-01T00:00:00Z.
const START: i64 = 1_893_456_000;

struct Setup {
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    keys: KeyManager,
}

async fn setup() -> Setup {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(START).unwrap()));
    let keys = KeyManager::load(store.clone(), [9; 32], clock.clone()).await.unwrap();
    Setup { store, clock, keys }
}

impl Setup {
    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Another node (or a restart) over the same store and clock.
    async fn other_node(&self) -> KeyManager {
        KeyManager::load(self.store.clone(), [9; 32], self.clock.clone()).await.unwrap()
    }

    async fn stored(&self, kid: &str) -> SigningKeyRecord {
        self.store.signing_keys().await.unwrap().into_iter().find(|r| r.kid == kid).unwrap()
    }
}

/// The published RSA kids, sorted (each has an EC companion, checked by the ES256 tests).
fn kids(jwks: &Jwks) -> Vec<String> {
    let mut kids: Vec<String> = rsa(jwks).map(|k| k.kid.clone()).collect();
    kids.sort();
    kids
}

fn rsa(jwks: &Jwks) -> impl Iterator<Item = &Jwk> {
    jwks.keys.iter().filter(|k| k.kty == "RSA")
}

fn sorted(mut kids: Vec<String>) -> Vec<String> {
    kids.sort();
    kids
}

#[tokio::test]
async fn the_first_key_is_current_from_now() {
    let s = setup().await;
    let listed = s.keys.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, SigningKeyState::Current);
    assert_eq!(listed[0].activates, s.now());
    assert_eq!(listed[0].retires, None);
    assert_eq!(listed[0].kid, s.keys.current().kid());
    assert_eq!(kids(&s.keys.jwks(None)), vec![listed[0].kid.clone()]);
}

#[tokio::test]
async fn a_delayed_key_is_published_at_once_signs_on_time_and_its_predecessor_retires() {
    let s = setup().await;
    let old = s.keys.current().kid().to_owned();
    let rotated_at = s.now();
    let new = s.keys.rotate(Duration::hours(24), &operator()).await.unwrap();
    assert_eq!(new.state, SigningKeyState::Next);
    assert_eq!(new.activates, rotated_at + Duration::hours(24));
    assert_eq!(s.stored(&new.kid).await.state, SigningKeyState::Next, "committed before it takes effect");
    // Published at once, not signing.
    assert_eq!(kids(&s.keys.jwks(None)), sorted(vec![old.clone(), new.kid.clone()]));
    assert_eq!(s.keys.current().kid(), old);

    s.clock.advance(Duration::hours(24) - Duration::seconds(1));
    assert_eq!(s.keys.current().kid(), old);
    s.clock.advance(Duration::seconds(1));
    assert_eq!(s.keys.current().kid(), new.kid, "signs on time, even before the next tick");

    s.keys.tick().await.unwrap();
    let retires = new.activates + Duration::seconds(3599 + 300) + Duration::hours(24);
    let stored_old = s.stored(&old).await;
    assert_eq!((stored_old.state, stored_old.retires), (SigningKeyState::Retired, Some(retires)));
    assert_eq!(s.stored(&new.kid).await.state, SigningKeyState::Current);
    assert_eq!(kids(&s.keys.jwks(None)), sorted(vec![old.clone(), new.kid.clone()]));

    s.clock.set(retires - Duration::seconds(1));
    s.keys.tick().await.unwrap();
    assert_eq!(rsa(&s.keys.jwks(None)).count(), 2, "published until `retires`");
    s.clock.set(retires);
    s.keys.tick().await.unwrap();
    assert_eq!(kids(&s.keys.jwks(None)), vec![new.kid.clone()]);
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 2, "the retired row is kept");
}

#[tokio::test]
async fn a_drill_key_signs_at_once_and_retires_the_current_key() {
    let s = setup().await;
    let old = s.keys.current().kid().to_owned();
    let new = s.keys.rotate(Duration::ZERO, &operator()).await.unwrap();
    assert_eq!((new.state, new.activates), (SigningKeyState::Current, s.now()));
    assert_eq!(s.keys.current().kid(), new.kid);
    let stored_old = s.stored(&old).await;
    let retires = s.now() + s.keys.policy().retire_after();
    assert_eq!((stored_old.state, stored_old.retires), (SigningKeyState::Retired, Some(retires)));
    assert_eq!(kids(&s.keys.jwks(None)), sorted(vec![old, new.kid.clone()]));
    // A second drill in the same instant still makes the newest key the signer.
    let newer = s.keys.rotate(Duration::ZERO, &operator()).await.unwrap();
    assert_eq!(s.keys.current().kid(), newer.kid);
    assert_eq!(s.stored(&new.kid).await.state, SigningKeyState::Retired);
}

#[tokio::test]
async fn activations_between_zero_and_the_publish_ahead_time_are_refused() {
    let s = setup().await;
    for bad in
        [Duration::hours(23), Duration::seconds(1), Duration::seconds(-1), MAX_DURATION + Duration::SECOND]
    {
        let err = s.keys.rotate(bad, &operator()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "a new signing key starts signing at once (0s) or after at least the publish-ahead time (1d) and at most 3650d"
        );
    }
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 1, "nothing was stored");
}

#[tokio::test]
async fn the_schedule_creates_the_next_key_publish_ahead_before_rotation_is_due() {
    let s = setup().await;
    let first = s.keys.current().kid().to_owned();
    s.clock.advance(Duration::days(29) - Duration::seconds(1));
    s.keys.tick().await.unwrap();
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 1, "not due yet");
    s.clock.advance(Duration::seconds(1));
    s.keys.tick().await.unwrap();
    let records = s.store.signing_keys().await.unwrap();
    assert_eq!(records.len(), 2);
    let next = records.iter().find(|r| r.kid != first).unwrap().clone();
    assert_eq!((next.state, next.activates), (SigningKeyState::Next, s.now() + Duration::hours(24)));
    assert_eq!(rsa(&s.keys.jwks(None)).count(), 2, "published a day ahead");
    s.keys.tick().await.unwrap();
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 2, "one pending key is enough");

    s.clock.advance(Duration::hours(24));
    s.keys.tick().await.unwrap();
    assert_eq!(s.keys.current().kid(), next.kid, "the first key signed for exactly 30 days");
    assert_eq!(s.stored(&first).await.state, SigningKeyState::Retired);
    // The next rotation counts from the new key's activation.
    s.clock.advance(Duration::days(29) - Duration::seconds(1));
    s.keys.tick().await.unwrap();
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 2);
    s.clock.advance(Duration::seconds(1));
    s.keys.tick().await.unwrap();
    assert_eq!(s.store.signing_keys().await.unwrap().len(), 3);
}

#[tokio::test]
async fn kids_are_never_reused_and_rows_are_kept() {
    let s = setup().await;
    for _ in 0..3 {
        s.keys.rotate(Duration::ZERO, &operator()).await.unwrap();
        s.clock.advance(Duration::days(10));
        s.keys.tick().await.unwrap();
    }
    let records = s.store.signing_keys().await.unwrap();
    let mut kids: Vec<&str> = records.iter().map(|r| r.kid.as_str()).collect();
    kids.sort_unstable();
    kids.dedup();
    assert_eq!(kids.len(), records.len());
    assert!(records.len() >= 4);
    // Re-inserting an existing kid is refused by the store.
    assert!(matches!(s.store.insert_signing_key(&records[0], &audit()).await, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn a_restart_keeps_states_signer_and_key_set() {
    let s = setup().await;
    s.keys.rotate(Duration::ZERO, &operator()).await.unwrap();
    let pending = s.keys.rotate(Duration::days(2), &operator()).await.unwrap();
    let restarted = s.other_node().await;
    assert_eq!(restarted.list().await.unwrap(), s.keys.list().await.unwrap());
    assert_eq!(restarted.current().kid(), s.keys.current().kid());
    assert_eq!(kids(&restarted.jwks(None)), kids(&s.keys.jwks(None)));
    assert_eq!(rsa(&restarted.jwks(None)).count(), 3);
    s.clock.advance(Duration::days(2));
    assert_eq!(restarted.current().kid(), pending.kid);
}

#[tokio::test]
async fn another_node_publishes_a_rotation_after_its_next_tick() {
    let a = setup().await;
    let b = a.other_node().await;
    let new = a.keys.rotate(Duration::hours(24), &operator()).await.unwrap();
    assert_eq!(rsa(&b.jwks(None)).count(), 1, "not seen yet");
    b.tick().await.unwrap();
    assert!(b.jwks(None).find(&new.kid).is_some());
    a.clock.advance(Duration::hours(24));
    assert_eq!(b.current().kid(), new.kid);
    // Both nodes commit the same retirement; neither creates an extra key.
    a.keys.tick().await.unwrap();
    b.tick().await.unwrap();
    assert_eq!(a.store.signing_keys().await.unwrap().len(), 2);
    assert_eq!(a.keys.list().await.unwrap(), b.list().await.unwrap());
}

#[tokio::test]
async fn a_next_key_another_node_activated_too_early_waits_for_the_publish_ahead_time() {
    let s = setup().await;
    let old = s.keys.current().kid().to_owned();
    let (key, pkcs8) = SigningKey::generate(s.now()).unwrap();
    let record = SigningKeyRecord {
        kid: key.kid().to_owned(),
        state: SigningKeyState::Next,
        created: s.now(),
        activates: s.now() + Duration::hours(1),
        retires: None,
        sealed_private_key: seal::seal(&[9; 32], &pkcs8, key.kid().as_bytes()).unwrap(),
        certificate_der: key.certificate_der().to_vec(),
        es256: None,
    };
    s.store.insert_signing_key(&record, &audit()).await.unwrap();
    s.keys.tick().await.unwrap();
    s.clock.advance(Duration::hours(2));
    s.keys.tick().await.unwrap();
    assert_eq!(s.keys.current().kid(), old);
    s.clock.advance(Duration::hours(22));
    assert_eq!(s.keys.current().kid(), key.kid());
    s.keys.tick().await.unwrap();
    assert_eq!(s.stored(key.kid()).await.activates, record.created + Duration::hours(24));
}

#[tokio::test]
async fn an_inconsistent_policy_is_refused() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    let clock: Arc<dyn Clock> =
        Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(START).unwrap()));
    let policy = KeyPolicy { rotate_every: Duration::hours(1), ..KeyPolicy::default() };
    let err = KeyManager::load_with_policy(store, [9; 32], clock, policy).await.unwrap_err();
    assert!(matches!(err, KeyError::Policy(PolicyError::IntervalTooShort)), "{err}");
}

#[test]
fn kek_debug_is_redacted() {
    assert_eq!(format!("{:?}", Kek::new([7; 32])), "Secret(<redacted>)");
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;

#[tokio::test]
async fn every_key_has_an_es256_companion_that_rotates_with_it() {
    let s = setup().await;
    let first = s.keys.current_es256().unwrap().kid().to_owned();
    let jwks = s.keys.jwks(None);
    assert_eq!(jwks.keys.len(), 2);
    assert_eq!((jwks.keys[0].kty.as_str(), jwks.keys[1].kty.as_str()), ("RSA", "EC"), "RSA keys first");
    assert_eq!(jwks.keys[1].kid, first);
    assert_eq!(s.stored(s.keys.current().kid()).await.es256.unwrap().kid, first);

    let new = s.keys.rotate(Duration::hours(24), &operator()).await.unwrap();
    let next = s.stored(&new.kid).await.es256.unwrap().kid;
    assert!(s.keys.jwks(None).find(&next).is_some(), "published with its key, before it signs");
    assert_eq!(s.keys.current_es256().unwrap().kid(), first);
    s.clock.advance(Duration::hours(24));
    assert_eq!(s.keys.current_es256().unwrap().kid(), next, "takes over with its key");
    s.keys.tick().await.unwrap();
    let retires = s.stored(&new.kid).await.activates + s.keys.policy().retire_after();
    s.clock.set(retires);
    s.keys.tick().await.unwrap();
    let left: Vec<String> = s.keys.jwks(None).keys.iter().map(|k| k.kid.clone()).collect();
    assert_eq!(left, [new.kid.clone(), next], "the old pair retired together");
}

#[tokio::test]
async fn a_key_stored_without_a_companion_gets_one_once_on_every_node() {
    let s = setup().await;
    s.clock.advance(Duration::seconds(1));
    let (key, pkcs8) = SigningKey::generate(s.now()).unwrap();
    let legacy = SigningKeyRecord {
        kid: key.kid().to_owned(),
        state: SigningKeyState::Current,
        created: s.now(),
        activates: s.now(),
        retires: None,
        sealed_private_key: seal::seal(&[9; 32], &pkcs8, key.kid().as_bytes()).unwrap(),
        certificate_der: key.certificate_der().to_vec(),
        es256: None,
    };
    s.store.insert_signing_key(&legacy, &audit()).await.unwrap();
    let a = s.other_node().await;
    let b = s.other_node().await;
    assert_eq!(a.current().kid(), legacy.kid);
    let added = s.stored(&legacy.kid).await.es256.expect("added on load");
    assert_eq!(a.current_es256().unwrap().kid(), added.kid);
    b.reload().await.unwrap();
    assert_eq!(b.current_es256().unwrap().kid(), added.kid, "the other node uses the same one");
    assert_eq!(s.stored(&legacy.kid).await.es256.unwrap(), added);
    // A wrong key-encryption key cannot open the companion either.
    assert!(KeyManager::load(s.store.clone(), [8; 32], s.clock.clone()).await.is_err());
}

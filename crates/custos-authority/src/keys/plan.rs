//! The key state machine as pure functions of the stored records, the time and the policy:
//! which key signs, which keys are published, and which state changes are due.
//!
//! States: `next` (published, not signing) → `current` (signing) → `retired` (published until
//! `retires`, then kept as a row only). A key signs from its *takeover* time: its `activates`,
//! except that a `next` key never signs before it has been published for the policy's
//! publish-ahead time (a key created as `current`, by `rotate 0s`, is the explicit exception).
//! The newest key whose takeover has come signs; every older live key is superseded and retires
//! `retire_after` after the newest one took over. Every node computes the same changes from the
//! same rows, so nodes sharing a database converge whichever of them commits first.

use super::KeyPolicy;
use custos_core::model::{SigningKeyRecord, SigningKeyState};
use std::cmp::Ordering;
use time::OffsetDateTime;

/// When `record` signs (or signed) from.
pub(super) fn takeover(record: &SigningKeyRecord, policy: &KeyPolicy) -> OffsetDateTime {
    match record.state {
        SigningKeyState::Next => record.activates.max(record.created + policy.publish_ahead),
        SigningKeyState::Current | SigningKeyState::Retired => record.activates,
    }
}

/// Orders keys by takeover time, then creation, then kid (identical on every node).
pub(super) fn by_takeover(a: &SigningKeyRecord, b: &SigningKeyRecord, policy: &KeyPolicy) -> Ordering {
    (takeover(a, policy), a.created, &a.kid).cmp(&(takeover(b, policy), b.created, &b.kid))
}

/// Whether the key set at `now` includes `record`: every live key, and retired keys until
/// their `retires` time.
pub(super) fn is_published(record: &SigningKeyRecord, now: OffsetDateTime) -> bool {
    record.state != SigningKeyState::Retired || record.retires.is_none_or(|at| at > now)
}

/// The key that signs at `now`: the live key with the latest takeover that has come.
pub(super) fn signer<'a>(
    records: &'a [SigningKeyRecord],
    now: OffsetDateTime,
    policy: &KeyPolicy,
) -> Option<&'a SigningKeyRecord> {
    records
        .iter()
        .filter(|r| r.state != SigningKeyState::Retired && takeover(r, policy) <= now)
        .max_by(|a, b| by_takeover(a, b, policy))
}

/// The state changes due at `now`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// Records with their new state and dates, to be committed.
    pub(super) updates: Vec<SigningKeyRecord>,
    /// No key can sign: a new `current` key must be created.
    pub(super) needs_signer: bool,
    /// The schedule calls for a new `next` key.
    pub(super) schedule_next: bool,
}

/// What is due at `now`: promote the signer to `current`, retire the keys it superseded, and
/// say whether a key must be created.
pub(super) fn plan(records: &[SigningKeyRecord], now: OffsetDateTime, policy: &KeyPolicy) -> Plan {
    let Some(signer) = signer(records, now, policy) else {
        return Plan { needs_signer: true, ..Plan::default() };
    };
    let took_over = takeover(signer, policy);
    let mut updates = Vec::new();
    if signer.state != SigningKeyState::Current || signer.activates != took_over {
        updates.push(SigningKeyRecord {
            state: SigningKeyState::Current,
            activates: took_over,
            ..signer.clone()
        });
    }
    let retires = took_over + policy.retire_after();
    let live = records.iter().filter(|r| r.state != SigningKeyState::Retired);
    for superseded in live.clone().filter(|r| r.kid != signer.kid && takeover(r, policy) <= now) {
        updates.push(SigningKeyRecord {
            state: SigningKeyState::Retired,
            retires: Some(retires),
            ..superseded.clone()
        });
    }
    let pending = live.clone().any(|r| takeover(r, policy) > now);
    let schedule_next = !pending && now >= took_over + policy.rotate_every - policy.publish_ahead;
    Plan { updates, needs_signer: false, schedule_next }
}

/// The retirements a key created to sign at once (`rotate 0s`, named by `kid`) causes: every
/// other live key whose takeover has come, retiring `retire_after` from `now`, whatever the
/// order of keys created within the same instant.
pub(super) fn supersede(
    records: &[SigningKeyRecord],
    kid: &str,
    now: OffsetDateTime,
    policy: &KeyPolicy,
) -> Vec<SigningKeyRecord> {
    let retires = now + policy.retire_after();
    records
        .iter()
        .filter(|r| r.state != SigningKeyState::Retired && r.kid != kid && takeover(r, policy) <= now)
        .map(|r| SigningKeyRecord { state: SigningKeyState::Retired, retires: Some(retires), ..r.clone() })
        .collect()
}

/// Replaces the records named by `updates` (matched by kid).
pub(super) fn apply(records: &mut [SigningKeyRecord], updates: &[SigningKeyRecord]) {
    for update in updates {
        if let Some(record) = records.iter_mut().find(|r| r.kid == update.kid) {
            record.clone_from(update);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    const DAY: i64 = 86_400;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_000_000_000 + secs).unwrap()
    }

    fn record(kid: &str, state: SigningKeyState, created: i64, activates: i64) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            state,
            created: at(created),
            activates: at(activates),
            retires: None,
            sealed_private_key: vec![],
            certificate_der: vec![],
            es256: None,
        }
    }

    fn retired(kid: &str, retires: Option<i64>) -> SigningKeyRecord {
        SigningKeyRecord { retires: retires.map(at), ..record(kid, SigningKeyState::Retired, 0, 0) }
    }

    #[test]
    fn the_newest_key_whose_takeover_has_come_signs() {
        let policy = KeyPolicy::default();
        let records = [
            record("old", SigningKeyState::Current, 0, 0),
            record("new", SigningKeyState::Current, 10, 10),
            record("future", SigningKeyState::Next, 20, 2 * DAY),
            retired("gone", Some(5 * DAY)),
        ];
        assert_eq!(signer(&records, at(100), &policy).unwrap().kid, "new");
        assert_eq!(signer(&records, at(2 * DAY), &policy).unwrap().kid, "future");
        assert!(signer(&records[2..], at(100), &policy).is_none());
    }

    #[test]
    fn a_next_key_signs_only_after_it_was_published_for_the_publish_ahead_time() {
        let policy = KeyPolicy::default();
        // Another node wrote an activation one hour after creation.
        let hasty = record("hasty", SigningKeyState::Next, 0, 3_600);
        assert_eq!(takeover(&hasty, &policy), at(DAY));
        // A key created as current (rotate 0s) signs at once.
        let drill = record("drill", SigningKeyState::Current, 0, 0);
        assert_eq!(takeover(&drill, &policy), at(0));
    }

    #[test]
    fn the_plan_promotes_retires_and_schedules() {
        let policy = KeyPolicy::default();
        let records = [
            record("a", SigningKeyState::Current, 0, 0),
            record("b", SigningKeyState::Next, 29 * DAY, 30 * DAY),
        ];
        // Before b's takeover: nothing to do, b is pending so nothing is scheduled.
        assert_eq!(plan(&records, at(30 * DAY - 1), &policy), Plan::default());
        let due = plan(&records, at(30 * DAY + 5), &policy);
        let retires = at(30 * DAY) + policy.retire_after();
        assert_eq!(
            due.updates,
            vec![
                SigningKeyRecord { state: SigningKeyState::Current, ..records[1].clone() },
                SigningKeyRecord {
                    state: SigningKeyState::Retired,
                    retires: Some(retires),
                    ..records[0].clone()
                },
            ]
        );
        assert!(!due.needs_signer && !due.schedule_next);
    }

    #[test]
    fn the_next_key_is_scheduled_publish_ahead_before_the_current_key_is_due() {
        let policy = KeyPolicy::default();
        let records = [record("a", SigningKeyState::Current, 0, 0)];
        assert!(!plan(&records, at(29 * DAY - 1), &policy).schedule_next);
        assert!(plan(&records, at(29 * DAY), &policy).schedule_next);
        assert!(plan(&[], at(0), &policy).needs_signer);
        assert!(plan(&[retired("r", Some(DAY))], at(0), &policy).needs_signer);
    }

    #[test]
    fn retired_keys_are_published_until_they_retire() {
        assert!(is_published(&record("n", SigningKeyState::Next, 0, DAY), at(0)));
        assert!(is_published(&retired("r", Some(1_001)), at(1_000)));
        assert!(!is_published(&retired("r", Some(1_000)), at(1_000)));
        assert!(is_published(&retired("r", None), at(0) + Duration::days(1000)));
    }

    #[test]
    fn a_drill_key_supersedes_every_active_key_but_not_pending_ones() {
        let policy = KeyPolicy::default();
        let records = [
            record("a", SigningKeyState::Current, 0, 0),
            record("b", SigningKeyState::Next, 0, 2 * DAY),
            record("drill", SigningKeyState::Current, 100, 100),
        ];
        let updates = supersede(&records, "drill", at(100), &policy);
        let retires = Some(at(100) + policy.retire_after());
        assert_eq!(
            updates,
            vec![SigningKeyRecord { state: SigningKeyState::Retired, retires, ..records[0].clone() }]
        );
    }

    #[test]
    fn apply_replaces_by_kid() {
        let mut records =
            vec![record("a", SigningKeyState::Current, 0, 0), record("b", SigningKeyState::Next, 0, 9)];
        apply(&mut records, &[retired("b", Some(7))]);
        assert_eq!(records[1].state, SigningKeyState::Retired);
        assert_eq!(records[0].state, SigningKeyState::Current);
    }
}

//! Tenant settings and client-assertion replay markers (migration 0003). The markers of one
//! call are written by one statement that commits on its own, so a batch costs one commit and
//! one round trip, not one per marker (nor a `BEGIN` and a `COMMIT`); the table's primary key
//! makes concurrent writers (and nodes) agree on which use of a `jti` came first.

use super::run::{execute, execute_in, find};
use super::{Columns, Dialect, Statement};
use crate::codec::{corrupt, map_db_error};
use crate::replay::{AssertionMarker, MarkerOutcome, digest_from_bytes};
use crate::{StoreError, StoreResult};
use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;
use custos_core::settings::TenantSettings;
use serde_json::{Value, json};
use sqlx::Pool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How often one marker is retried when the live row that blocked it vanished before it could
/// be read (purged by another node between the two statements; PostgreSQL only, as one node's
/// one marker writer is the only writer of an SQLite marker file).
const MAX_MARKER_ATTEMPTS: usize = 3;

pub(super) async fn tenant_settings<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
) -> StoreResult<TenantSettings> {
    let select = Statement::new("SELECT settings FROM tenant_settings WHERE tenant_id = $1").id(tenant.0);
    let stored = find(pool, &select, |row| row.json("settings")).await?;
    stored.map_or_else(
        || Ok(TenantSettings::default()),
        |json| serde_json::from_value(json).map_err(|e| corrupt("tenant_settings.settings", e)),
    )
}

pub(super) async fn update_tenant_settings<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    settings: &TenantSettings,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let json = serde_json::to_value(settings).map_err(|e| StoreError::Backend(e.to_string()))?;
    let upsert = Statement::new(
        "INSERT INTO tenant_settings (tenant_id, settings) SELECT id, $1 FROM tenants WHERE id = $2 \
         ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings",
    )
    .json(json)
    .id(tenant.0);
    super::run::write_audited(pool, &[&upsert], audit, true).await
}

pub(super) async fn record_markers<D: Dialect>(
    pool: &Pool<D>,
    markers: &[AssertionMarker],
    now: i64,
) -> StoreResult<Vec<MarkerOutcome>> {
    if markers.is_empty() {
        return Ok(Vec::new());
    }
    // The first marker of each key goes into the batch insert; a later one with the same key
    // sees what the first one found.
    let mut first_of_key: HashMap<(Uuid, Uuid, &str), usize> = HashMap::with_capacity(markers.len());
    let mut firsts = Vec::with_capacity(markers.len());
    let mut earlier = Vec::with_capacity(markers.len());
    for (index, marker) in markers.iter().enumerate() {
        let first = *first_of_key.entry(key(marker)).or_insert(index);
        if first == index {
            firsts.push(marker);
        }
        earlier.push(first);
    }
    let insert = insert_markers::<D>(&firsts, now);
    insert.check()?;
    let mut conn = pool.acquire().await.map_err(map_db_error)?;
    let mut recorded = HashSet::with_capacity(firsts.len());
    for row in D::fetch_all(&mut conn, &insert).await? {
        recorded.insert((row.uuid("tenant_id")?, row.uuid("client_id")?, row.text("jti")?));
    }
    let mut outcomes: Vec<MarkerOutcome> = Vec::with_capacity(markers.len());
    for (index, marker) in markers.iter().enumerate() {
        let outcome = if earlier[index] < index {
            match outcomes[earlier[index]] {
                MarkerOutcome::Recorded => MarkerOutcome::Seen { digest: markers[earlier[index]].digest },
                seen @ MarkerOutcome::Seen { .. } => seen,
            }
        } else if recorded.contains(&(marker.tenant.0, marker.client.0, marker.jti.clone())) {
            MarkerOutcome::Recorded
        } else {
            // A live marker blocked it: read that one's digest (rare: a replay).
            record_marker::<D>(&mut conn, marker, &insert_marker(marker, now)).await?
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn key(marker: &AssertionMarker) -> (Uuid, Uuid, &str) {
    (marker.tenant.0, marker.client.0, marker.jti.as_str())
}

/// One statement inserting `markers` (distinct keys), or overwriting dead ones with the same
/// keys; it returns the key of every row it wrote. The markers travel as one JSON array
/// parameter that the database unpacks ([`Dialect::MARKER_ROWS`]), and the statement commits on
/// its own: one round trip, and for SQLite one hand-off to its worker thread, per batch.
fn insert_markers<D: Dialect>(markers: &[&AssertionMarker], now: i64) -> Statement<'static> {
    let rows: Vec<Value> = markers
        .iter()
        .map(|m| {
            let digest: String = m.digest.iter().map(|b| format!("{b:02x}")).collect();
            json!([m.tenant.0.to_string(), m.client.0.to_string(), m.jti, digest, m.expires])
        })
        .collect();
    Statement::new(format!(
        "INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) {} \
         ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET digest = excluded.digest, \
         expires = excluded.expires WHERE assertion_replay.expires <= $1 \
         RETURNING tenant_id, client_id, jti",
        D::MARKER_ROWS
    ))
    .int(now)
    .json(Value::Array(rows))
}

pub(super) async fn purge_markers<D: Dialect>(pool: &Pool<D>, now: i64) -> StoreResult<u64> {
    execute(pool, &Statement::new("DELETE FROM assertion_replay WHERE expires <= $1").int(now)).await
}

/// Inserts `marker`, or overwrites a dead one with the same key.
fn insert_marker(marker: &AssertionMarker, now: i64) -> Statement<'_> {
    Statement::new(
        "INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET digest = excluded.digest, \
         expires = excluded.expires WHERE assertion_replay.expires <= $6",
    )
    .id(marker.tenant.0)
    .id(marker.client.0)
    .text(&marker.jti)
    .bytes(&marker.digest)
    .int(marker.expires)
    .int(now)
}

/// Runs `insert` (of `marker`); when a live marker blocked it, reports that one.
async fn record_marker<D: Dialect>(
    conn: &mut D::Connection,
    marker: &AssertionMarker,
    insert: &Statement<'_>,
) -> StoreResult<MarkerOutcome> {
    let select = Statement::new(
        "SELECT digest FROM assertion_replay WHERE tenant_id = $1 AND client_id = $2 AND jti = $3",
    )
    .id(marker.tenant.0)
    .id(marker.client.0)
    .text(&marker.jti);
    for _ in 0..MAX_MARKER_ATTEMPTS {
        if execute_in::<D>(conn, insert).await? > 0 {
            return Ok(MarkerOutcome::Recorded);
        }
        if let Some(row) = D::fetch_optional(conn, &select).await? {
            let digest = digest_from_bytes(&row.bytes("digest")?)
                .ok_or_else(|| corrupt("assertion_replay.digest", "not 32 bytes"))?;
            return Ok(MarkerOutcome::Seen { digest });
        }
    }
    Err(StoreError::Backend("assertion replay marker kept changing under concurrent writes".to_owned()))
}

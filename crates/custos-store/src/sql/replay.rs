//! Tenant settings and client-assertion replay markers (migration 0003). The markers of one
//! call are written in one write transaction of multi-row inserts, so a batch costs one commit
//! and a few statements (round trips to PostgreSQL), not one per marker; the table's primary
//! key makes concurrent writers (and nodes) agree on which use of a `jti` came first.

use super::run::{begin_write, execute, execute_in, find};
use super::{Columns, Dialect, Statement, check_all};
use crate::codec::{corrupt, map_db_error};
use crate::replay::{AssertionMarker, MarkerOutcome, digest_from_bytes};
use crate::{StoreError, StoreResult};
use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;
use custos_core::settings::TenantSettings;
use sqlx::Pool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How often one marker is retried when the live row that blocked it vanished before it could
/// be read (purged by another node between the two statements; PostgreSQL only, as SQLite's
/// write transaction excludes every other writer).
const MAX_MARKER_ATTEMPTS: usize = 3;
/// Markers per multi-row insert: one statement (one round trip to PostgreSQL) for many markers,
/// but not so many parameters that SQLite's by-name binding, quadratic in their number, costs
/// more than it saves (see `sign_ins.rs`).
const MARKERS_PER_INSERT: usize = 16;

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
    // The first marker of each key goes into the multi-row inserts; a later one with the same
    // key sees what the first one found.
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
    let inserts: Vec<_> = firsts.chunks(MARKERS_PER_INSERT).map(|chunk| insert_markers(chunk, now)).collect();
    check_all(&inserts)?;
    let mut tx = begin_write(pool).await?;
    let mut recorded = HashSet::with_capacity(firsts.len());
    for insert in &inserts {
        for row in D::fetch_all(&mut tx, insert).await? {
            recorded.insert((row.uuid("tenant_id")?, row.uuid("client_id")?, row.text("jti")?));
        }
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
            record_marker::<D>(&mut tx, marker, &insert_marker(marker, now)).await?
        };
        outcomes.push(outcome);
    }
    tx.commit().await.map_err(map_db_error)?;
    Ok(outcomes)
}

fn key(marker: &AssertionMarker) -> (Uuid, Uuid, &str) {
    (marker.tenant.0, marker.client.0, marker.jti.as_str())
}

/// One statement inserting `markers` (distinct keys), or overwriting dead ones with the same
/// keys; it returns the key of every row it wrote.
fn insert_markers<'a>(markers: &[&'a AssertionMarker], now: i64) -> Statement<'a> {
    let rows: Vec<String> = (0..markers.len())
        .map(|r| {
            let first = r * 5 + 2;
            let placeholders: Vec<String> = (first..first + 5).map(|n| format!("${n}")).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    let mut statement = Statement::new(format!(
        "INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) VALUES {} \
         ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET digest = excluded.digest, \
         expires = excluded.expires WHERE assertion_replay.expires <= $1 \
         RETURNING tenant_id, client_id, jti",
        rows.join(", ")
    ))
    .int(now);
    for marker in markers {
        statement = statement
            .id(marker.tenant.0)
            .id(marker.client.0)
            .text(marker.jti.as_str())
            .bytes(&marker.digest)
            .int(marker.expires);
    }
    statement
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

//! SQLite storage of tenant settings and assertion replay markers (migration 0003). Markers of
//! one call are written in one `BEGIN IMMEDIATE` transaction, so a batch costs one commit (one
//! WAL fsync under `synchronous=FULL`).

use super::SqliteStore;
use crate::codec::{corrupt, map_db_error};
use crate::replay::{AssertionMarker, MarkerOutcome, digest_from_bytes};
use crate::{StoreError, StoreResult};
use custos_core::TenantId;
use custos_core::settings::TenantSettings;
use sqlx::SqliteConnection;

impl SqliteStore {
    pub(super) async fn read_tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT settings FROM tenant_settings WHERE tenant_id = ?")
                .bind(tenant.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_db_error)?;
        match stored {
            None => Ok(TenantSettings::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("tenant_settings.settings", e)),
        }
    }

    pub(super) async fn write_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(settings).map_err(|e| StoreError::Backend(e.to_string()))?;
        let written = sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, settings) SELECT id, ? FROM tenants WHERE id = ? \
             ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings",
        )
        .bind(json)
        .bind(tenant.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        super::require_row(written.rows_affected())
    }

    pub(super) async fn insert_markers(
        &self,
        markers: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>> {
        if markers.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let mut outcomes = Vec::with_capacity(markers.len());
        for marker in markers {
            outcomes.push(insert_marker(&mut tx, marker, now).await?);
        }
        tx.commit().await.map_err(map_db_error)?;
        Ok(outcomes)
    }

    pub(super) async fn delete_dead_markers(&self, now: i64) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM assertion_replay WHERE expires <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_db_error)?;
        Ok(deleted.rows_affected())
    }
}

/// Inserts `marker`, or overwrites a dead one with the same key; else reports the live one.
async fn insert_marker(
    conn: &mut SqliteConnection,
    marker: &AssertionMarker,
    now: i64,
) -> StoreResult<MarkerOutcome> {
    let tenant = marker.tenant.to_string();
    let client = marker.client.to_string();
    let written = sqlx::query(
        "INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET digest = excluded.digest, \
         expires = excluded.expires WHERE assertion_replay.expires <= ?",
    )
    .bind(&tenant)
    .bind(&client)
    .bind(&marker.jti)
    .bind(marker.digest.as_slice())
    .bind(marker.expires)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map_db_error)?;
    if written.rows_affected() > 0 {
        return Ok(MarkerOutcome::Recorded);
    }
    // The transaction holds the write lock: the live row read here is the one that blocked us.
    let digest: Vec<u8> = sqlx::query_scalar(
        "SELECT digest FROM assertion_replay WHERE tenant_id = ? AND client_id = ? AND jti = ?",
    )
    .bind(&tenant)
    .bind(&client)
    .bind(&marker.jti)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_db_error)?;
    let digest =
        digest_from_bytes(&digest).ok_or_else(|| corrupt("assertion_replay.digest", "not 32 bytes"))?;
    Ok(MarkerOutcome::Seen { digest })
}

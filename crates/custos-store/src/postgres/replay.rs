//! PostgreSQL storage of tenant settings and assertion replay markers (migration 0003). Markers
//! of one call are written in one transaction (one commit); the primary key makes concurrent
//! nodes agree on which use of a `jti` came first.

use super::PostgresStore;
use crate::StoreResult;
use crate::codec::{corrupt, map_db_error};
use crate::replay::{AssertionMarker, MarkerOutcome, digest_from_bytes};
use custos_core::TenantId;
use custos_core::settings::TenantSettings;
use sqlx::PgConnection;

/// How often one marker is retried when the live row that blocked it vanished before it could
/// be read (purged by another node between the two statements).
const MAX_MARKER_ATTEMPTS: usize = 3;

impl PostgresStore {
    pub(super) async fn read_tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        let stored: Option<serde_json::Value> =
            sqlx::query_scalar("SELECT settings FROM tenant_settings WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_db_error)?;
        match stored {
            None => Ok(TenantSettings::default()),
            Some(json) => serde_json::from_value(json).map_err(|e| corrupt("tenant_settings.settings", e)),
        }
    }

    pub(super) async fn write_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
    ) -> StoreResult<()> {
        let json = serde_json::to_value(settings).map_err(|e| crate::StoreError::Backend(e.to_string()))?;
        let written = sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, settings) SELECT id, $1 FROM tenants WHERE id = $2 \
             ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings",
        )
        .bind(json)
        .bind(tenant.0)
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
        let deleted = sqlx::query("DELETE FROM assertion_replay WHERE expires <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_db_error)?;
        Ok(deleted.rows_affected())
    }
}

/// Inserts `marker`, or overwrites a dead one with the same key; else reports the live one.
async fn insert_marker(
    conn: &mut PgConnection,
    marker: &AssertionMarker,
    now: i64,
) -> StoreResult<MarkerOutcome> {
    for _ in 0..MAX_MARKER_ATTEMPTS {
        let written = sqlx::query(
            "INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET digest = excluded.digest, \
             expires = excluded.expires WHERE assertion_replay.expires <= $6",
        )
        .bind(marker.tenant.0)
        .bind(marker.client.0)
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
        let digest: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT digest FROM assertion_replay WHERE tenant_id = $1 AND client_id = $2 AND jti = $3",
        )
        .bind(marker.tenant.0)
        .bind(marker.client.0)
        .bind(&marker.jti)
        .fetch_optional(&mut *conn)
        .await
        .map_err(map_db_error)?;
        if let Some(digest) = digest {
            let digest = digest_from_bytes(&digest)
                .ok_or_else(|| corrupt("assertion_replay.digest", "not 32 bytes"))?;
            return Ok(MarkerOutcome::Seen { digest });
        }
    }
    Err(crate::StoreError::Backend(
        "assertion replay marker kept changing under concurrent writes".to_owned(),
    ))
}

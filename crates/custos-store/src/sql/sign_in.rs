//! Interactive sign-in state (migration 0007): sessions, single-use authorization codes and
//! rotating refresh-token families. Single use is enforced by conditional updates
//! (`... WHERE used_at IS NULL`), which both databases apply atomically: of two concurrent
//! redemptions (also on two nodes) exactly one changes the row.

use super::run::{begin_write, execute, execute_in, find};
use super::{Columns, Dialect, Statement};
use crate::codec::{self, corrupt, map_db_error};
use crate::sign_in::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use crate::{StoreError, StoreResult};
use custos_core::consent::Platform;
use custos_core::sign_in::CodeGrant;
use custos_core::{AppId, ObjectId, TenantId};
use sqlx::Pool;

/// How long a spent or expired code is kept, so that a late replay still revokes its family.
const CODE_RETENTION_SECS: i64 = 24 * 3600;

pub(super) async fn create_session<D: Dialect>(pool: &Pool<D>, session: &SignInSession) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO sign_in_sessions (id_hash, tenant_id, user_id, authenticated_at, expires) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bytes(&session.id_hash)
    .id(session.tenant_id.0)
    .id(session.user_id.0)
    .int(session.authenticated_at)
    .int(session.expires);
    execute(pool, &insert).await?;
    Ok(())
}

pub(super) async fn session<D: Dialect>(
    pool: &Pool<D>,
    id_hash: &[u8; 32],
    now: i64,
) -> StoreResult<Option<SignInSession>> {
    let select = Statement::new(
        "SELECT id_hash, tenant_id, user_id, authenticated_at, expires FROM sign_in_sessions \
         WHERE id_hash = $1 AND expires > $2",
    )
    .bytes(id_hash)
    .int(now);
    find(pool, &select, |row| {
        Ok(SignInSession {
            id_hash: digest(row, "id_hash")?,
            tenant_id: TenantId(row.uuid("tenant_id")?),
            user_id: ObjectId(row.uuid("user_id")?),
            authenticated_at: row.int("authenticated_at")?,
            expires: row.int("expires")?,
        })
    })
    .await
}

fn digest(row: &impl Columns, column: &str) -> StoreResult<[u8; 32]> {
    crate::replay::digest_from_bytes(&row.bytes(column)?).ok_or_else(|| corrupt(column, "not 32 bytes"))
}

pub(super) async fn delete_session<D: Dialect>(pool: &Pool<D>, id_hash: &[u8; 32]) -> StoreResult<()> {
    execute(pool, &Statement::new("DELETE FROM sign_in_sessions WHERE id_hash = $1").bytes(id_hash)).await?;
    Ok(())
}

pub(super) async fn insert_code<D: Dialect>(pool: &Pool<D>, code: &AuthorizationCode) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO authorization_codes (code_hash, tenant_id, grant_id, expires, payload) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bytes(&code.code_hash)
    .id(code.grant.tenant_id.0)
    .id(code.grant.grant_id)
    .int(code.expires)
    .json(codec::to_json("authorization code", &code.grant)?);
    execute(pool, &insert).await?;
    Ok(())
}

fn code_grant(row: &impl Columns) -> StoreResult<CodeGrant> {
    codec::from_json("authorization_codes.payload", row.json("payload")?)
}

pub(super) async fn redeem_code<D: Dialect>(
    pool: &Pool<D>,
    code_hash: &[u8; 32],
    now: i64,
) -> StoreResult<CodeRedemption> {
    let spend = Statement::new(
        "UPDATE authorization_codes SET redeemed_at = $2 \
         WHERE code_hash = $1 AND redeemed_at IS NULL AND expires > $2",
    )
    .bytes(code_hash)
    .int(now);
    let select =
        Statement::new("SELECT expires, redeemed_at, payload FROM authorization_codes WHERE code_hash = $1")
            .bytes(code_hash);
    let mut tx = begin_write(pool).await?;
    let spent = execute_in::<D>(&mut tx, &spend).await? == 1;
    let Some(row) = D::fetch_optional(&mut tx, &select).await? else {
        return Ok(CodeRedemption::Unknown);
    };
    let grant = code_grant(&row)?;
    let outcome = if spent {
        CodeRedemption::Redeemed(grant)
    } else if row.opt_int("redeemed_at")?.is_some() {
        // The family the first redemption started (or will start: the tombstone makes its
        // start fail) is revoked.
        execute_in::<D>(&mut tx, &revoke_family(&grant, now)).await?;
        CodeRedemption::Replayed(grant)
    } else {
        CodeRedemption::Expired
    };
    tx.commit().await.map_err(map_db_error)?;
    Ok(outcome)
}

/// Revokes the refresh-token family a code starts, creating it revoked when it does not exist
/// yet.
fn revoke_family(grant: &CodeGrant, now: i64) -> Statement<'static> {
    Statement::new(
        "INSERT INTO refresh_grants (id, tenant_id, user_id, client_id, platform, created, deadline, revoked_at) \
         VALUES ($1, $2, $3, $4, $6, $5, NULL, $5) \
         ON CONFLICT (id) DO UPDATE SET revoked_at = COALESCE(refresh_grants.revoked_at, excluded.revoked_at)",
    )
    .id(grant.grant_id)
    .id(grant.tenant_id.0)
    .id(grant.user_id.0)
    .id(grant.client_id.0)
    .int(now)
    .text(platform_name(grant.platform))
}

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "Web",
        Platform::PublicClient => "PublicClient",
        Platform::Spa => "Spa",
    }
}

fn platform_from(row: &impl Columns) -> StoreResult<Platform> {
    match row.text("platform")?.as_str() {
        "Web" => Ok(Platform::Web),
        "PublicClient" => Ok(Platform::PublicClient),
        "Spa" => Ok(Platform::Spa),
        other => Err(corrupt("refresh_grants.platform", other)),
    }
}

fn insert_token(token: &RefreshToken) -> Statement<'_> {
    Statement::new(
        "INSERT INTO refresh_tokens (token_hash, grant_id, issued_at, expires) VALUES ($1, $2, $3, $4)",
    )
    .bytes(&token.token_hash)
    .id(token.grant_id)
    .int(token.issued_at)
    .int(token.expires)
}

pub(super) async fn start_family<D: Dialect>(
    pool: &Pool<D>,
    grant: &RefreshGrant,
    first: &RefreshToken,
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO refresh_grants (id, tenant_id, user_id, client_id, platform, created, deadline) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .id(grant.id)
    .id(grant.tenant_id.0)
    .id(grant.user_id.0)
    .id(grant.client_id.0)
    .text(platform_name(grant.platform))
    .int(grant.created)
    .opt_int(grant.deadline);
    let mut tx = begin_write(pool).await?;
    if execute_in::<D>(&mut tx, &insert).await? == 0 {
        return Err(StoreError::Conflict("the refresh-token family exists or was revoked".to_owned()));
    }
    execute_in::<D>(&mut tx, &insert_token(first)).await?;
    tx.commit().await.map_err(map_db_error)
}

/// Selects a token with its family.
fn select_token(token_hash: &[u8; 32]) -> Statement<'_> {
    Statement::new(
        "SELECT t.issued_at, t.expires, t.used_at, g.id, g.tenant_id, g.user_id, g.client_id, g.platform, g.created, \
         g.deadline, g.revoked_at FROM refresh_tokens t JOIN refresh_grants g ON g.id = t.grant_id \
         WHERE t.token_hash = $1",
    )
    .bytes(token_hash)
}

fn token_state(row: &impl Columns) -> StoreResult<RefreshTokenState> {
    Ok(RefreshTokenState {
        grant: RefreshGrant {
            id: row.uuid("id")?,
            tenant_id: TenantId(row.uuid("tenant_id")?),
            user_id: ObjectId(row.uuid("user_id")?),
            client_id: AppId(row.uuid("client_id")?),
            platform: platform_from(row)?,
            created: row.int("created")?,
            deadline: row.opt_int("deadline")?,
        },
        issued_at: row.int("issued_at")?,
        expires: row.int("expires")?,
        used: row.opt_int("used_at")?.is_some(),
        revoked: row.opt_int("revoked_at")?.is_some(),
    })
}

pub(super) async fn refresh_token<D: Dialect>(
    pool: &Pool<D>,
    token_hash: &[u8; 32],
) -> StoreResult<Option<RefreshTokenState>> {
    find(pool, &select_token(token_hash), token_state).await
}

pub(super) async fn rotate<D: Dialect>(
    pool: &Pool<D>,
    token_hash: &[u8; 32],
    successor: &RefreshToken,
    now: i64,
) -> StoreResult<RefreshUse> {
    let spend = Statement::new(
        "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires > $2 \
         AND grant_id = $3 AND EXISTS (SELECT 1 FROM refresh_grants g WHERE g.id = $3 \
         AND g.revoked_at IS NULL AND (g.deadline IS NULL OR g.deadline > $2))",
    )
    .bytes(token_hash)
    .int(now)
    .id(successor.grant_id);
    let mut tx = begin_write(pool).await?;
    if execute_in::<D>(&mut tx, &spend).await? == 1 {
        execute_in::<D>(&mut tx, &insert_token(successor)).await?;
        tx.commit().await.map_err(map_db_error)?;
        return Ok(RefreshUse::Rotated);
    }
    let Some(state) = D::fetch_optional(&mut tx, &select_token(token_hash)).await? else {
        return Ok(RefreshUse::Unknown);
    };
    let state = token_state(&state)?;
    if state.grant.id != successor.grant_id {
        return Err(corrupt("refresh_tokens.grant_id", "the successor names another family"));
    }
    let outcome = if state.revoked {
        RefreshUse::Revoked
    } else if state.used {
        let revoke =
            Statement::new("UPDATE refresh_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .id(state.grant.id)
                .int(now);
        execute_in::<D>(&mut tx, &revoke).await?;
        RefreshUse::Reused
    } else {
        RefreshUse::Expired
    };
    tx.commit().await.map_err(map_db_error)?;
    Ok(outcome)
}

pub(super) async fn revoke_families<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    user: ObjectId,
    client: Option<AppId>,
    now: i64,
) -> StoreResult<u64> {
    let revoke = Statement::new(
        "UPDATE refresh_grants SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 \
         AND revoked_at IS NULL AND ($4 IS NULL OR client_id = $4)",
    )
    .int(now)
    .id(tenant.0)
    .id(user.0)
    .opt_id(client.map(|c| c.0));
    execute(pool, &revoke).await
}

pub(super) async fn purge<D: Dialect>(pool: &Pool<D>, now: i64) -> StoreResult<u64> {
    let statements = [
        Statement::new("DELETE FROM sign_in_sessions WHERE expires <= $1").int(now),
        Statement::new("DELETE FROM authorization_codes WHERE expires <= $1").int(now - CODE_RETENTION_SECS),
        Statement::new("DELETE FROM refresh_tokens WHERE expires <= $1").int(now),
        Statement::new(
            "DELETE FROM refresh_grants WHERE created <= $1 AND NOT EXISTS \
             (SELECT 1 FROM refresh_tokens t WHERE t.grant_id = refresh_grants.id)",
        )
        .int(now - CODE_RETENTION_SECS),
    ];
    let mut tx = begin_write(pool).await?;
    let mut purged = 0;
    for statement in &statements {
        purged += execute_in::<D>(&mut tx, statement).await?;
    }
    tx.commit().await.map_err(map_db_error)?;
    Ok(purged)
}

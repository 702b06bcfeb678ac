//! The retention purge ([`purge`]): the only deletion of log records (sign-ins and directory
//! audits), in bounded chunks, oldest first per tenant, through each table's (tenant, time)
//! index.

use super::run::execute;
use super::{Dialect, Statement};
use crate::StoreResult;
use custos_core::TenantId;
use sqlx::Pool;
use time::OffsetDateTime;

/// The log tables a purge deletes from: name, key column, time column.
const TABLES: [(&str, &str, &str); 2] =
    [("sign_ins", "id", "created_time"), ("directory_audits", "id", "activity_time")];

/// Deletes at most `limit` records of `tenant` older than `before`, sign-ins first; how many.
pub(super) async fn purge<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    before: OffsetDateTime,
    limit: u32,
) -> StoreResult<u64> {
    let mut deleted = 0;
    for (table, key, time) in TABLES {
        let left = u64::from(limit).saturating_sub(deleted);
        if left == 0 {
            break;
        }
        let delete = Statement::new(format!(
            "DELETE FROM {table} WHERE {key} IN \
             (SELECT {key} FROM {table} WHERE tenant_id = $1 AND {time} < $2 LIMIT $3)"
        ))
        .id(tenant.0)
        .time(before)
        .int(i64::try_from(left).unwrap_or(i64::MAX));
        deleted += execute(pool, &delete).await?;
    }
    Ok(deleted)
}

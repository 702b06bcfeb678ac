//! The lower-cased display names that a display-name prefix is read by (`display_name_key`,
//! migration 0018, [`crate::page::name_key`]): every write of a name writes its key; rows
//! written before the migration are filled in by [`fill`] when the store opens.

use super::run::{begin_write, execute_in, list};
use super::{Columns, Dialect, Statement};
use crate::StoreResult;
use crate::codec::map_db_error;
use crate::page::name_key;
use sqlx::Pool;

/// The tables whose rows carry a `display_name_key`.
const TABLES: [&str; 3] = ["applications", "service_principals", "users"];

/// Rows filled per transaction.
const CHUNK: i64 = 500;

/// Writes the missing display-name keys, a chunk of rows per transaction. The rows are found by
/// the partial indexes of migration 0018, which hold only them: after the first open since the
/// migration they are empty, and a start reads nothing more.
pub(crate) async fn fill<D: Dialect>(pool: &Pool<D>) -> StoreResult<()> {
    for table in TABLES {
        loop {
            let missing = Statement::new(format!(
                "SELECT id, display_name FROM {table} WHERE display_name_key IS NULL LIMIT $1"
            ))
            .int(CHUNK);
            let rows = list(pool, &missing, |row| Ok((row.uuid("id")?, row.text("display_name")?))).await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = begin_write(pool).await?;
            for (id, name) in rows {
                let update =
                    Statement::new(format!("UPDATE {table} SET display_name_key = $1 WHERE id = $2"))
                        .text(name_key(&name))
                        .id(id);
                execute_in::<D>(&mut tx, &update).await?;
            }
            tx.commit().await.map_err(map_db_error)?;
        }
    }
    Ok(())
}

//! Permission-set assignments of users (BC's "Access Control" table), shared by the Entra
//! Applications card (an app's permission sets are its user's) and the Automation API's
//! `userPermissions`.

use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use super::model::AppError;
use super::permission_sets;

/// One assignment of a permission set to a user, for one company or (`company` empty) all.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Assignment {
    /// The `userPermissions` id (GUID text).
    pub(crate) id: String,
    /// The user.
    pub(crate) user_security_id: String,
    /// The permission set's role id.
    pub(crate) role_id: String,
    /// Company name, or empty for every company.
    pub(crate) company: String,
}

/// Assigns `role_id` (already upper case) to the user. Refuses unknown sets, `SUPER` for
/// application users, company names over 30 characters and duplicates.
pub(crate) async fn assign(
    conn: &mut SqliteConnection,
    user_security_id: &str,
    role_id: &str,
    company: &str,
) -> Result<Assignment, AppError> {
    let set =
        permission_sets::find(role_id).ok_or_else(|| AppError::UnknownPermissionSet(role_id.to_owned()))?;
    let license: Option<String> =
        sqlx::query_scalar("SELECT licenseType FROM users WHERE userSecurityId = ?")
            .bind(user_security_id)
            .fetch_optional(&mut *conn)
            .await?;
    if license.as_deref() == Some("Application") && !set.assignable_to_apps {
        return Err(AppError::SuperNotAllowed);
    }
    let assignment = Assignment {
        id: Uuid::new_v4().to_string(),
        user_security_id: user_security_id.to_owned(),
        role_id: role_id.to_owned(),
        company: company.to_owned(),
    };
    let inserted = sqlx::query(
        "INSERT INTO access_control (id, userSecurityId, roleId, company) VALUES (?, ?, ?, ?) \
         ON CONFLICT (userSecurityId, roleId, company) DO NOTHING",
    )
    .bind(&assignment.id)
    .bind(&assignment.user_security_id)
    .bind(&assignment.role_id)
    .bind(&assignment.company)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::AlreadyGranted(role_id.to_owned()));
    }
    Ok(assignment)
}

/// Removes the assignment of `role_id` for `company`; `false` when there was none.
pub(crate) async fn unassign(
    conn: &mut SqliteConnection,
    user_security_id: &str,
    role_id: &str,
    company: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM access_control WHERE userSecurityId = ? AND roleId = ? AND company = ?")
            .bind(user_security_id)
            .bind(role_id)
            .bind(company)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes one assignment by id; `false` when the user has no such assignment.
pub(crate) async fn unassign_id(
    pool: &SqlitePool,
    user_security_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM access_control WHERE userSecurityId = ? AND id = ?")
        .bind(user_security_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The user's assignments, by role id then company.
pub(crate) async fn of_user(
    conn: &mut SqliteConnection,
    user_security_id: &str,
) -> Result<Vec<Assignment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, userSecurityId AS user_security_id, roleId AS role_id, company FROM access_control \
         WHERE userSecurityId = ? ORDER BY roleId, company",
    )
    .bind(user_security_id)
    .fetch_all(conn)
    .await
}

/// One assignment of the user by id.
pub(crate) async fn find(
    pool: &SqlitePool,
    user_security_id: &str,
    id: &str,
) -> Result<Option<Assignment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, userSecurityId AS user_security_id, roleId AS role_id, company FROM access_control \
         WHERE userSecurityId = ? AND id = ?",
    )
    .bind(user_security_id)
    .bind(id)
    .fetch_optional(pool)
    .await
}

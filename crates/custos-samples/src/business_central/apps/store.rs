//! The card store: creating, editing, enabling and listing Microsoft Entra Applications, with BC's
//! rules (new cards start Disabled; Client ID and Description change only while Disabled; the app's
//! user mirrors the card's State; `SUPER` cannot be assigned).
//!
//! One difference from BC, which creates the app's user when the card is first enabled: custos
//! creates it with the card, so that permission sets can be assigned before or after enabling.

use custos_core::Clock;
use sqlx::{Sqlite, SqlitePool, Transaction};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::access;
use super::model::{AppError, AppState, Application, ClientId, Description, normalise_role_id};
use crate::business_central::db::{Begin, begin};

/// The card store over the sample's database.
#[derive(Clone, Copy)]
pub(crate) struct Applications<'a> {
    pool: &'a SqlitePool,
    clock: &'a dyn Clock,
}

/// What the authorization middleware needs to know about a caller's app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallerAccess {
    /// The card's State.
    pub(crate) state: AppState,
    /// The app's user (`userSecurityId`, as stored), whose own permissions and state the app may not change.
    pub(crate) user_security_id: String,
    /// The permission sets of the app's user, with the company each applies to (empty = all).
    pub(crate) assignments: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    client_id: String,
    description: String,
    state: String,
    user_security_id: String,
    user_name: String,
}

const SELECT_CARD: &str = "SELECT a.client_id, a.description, a.state, a.user_security_id, u.userName AS user_name \
     FROM entra_applications a JOIN users u ON u.userSecurityId = a.user_security_id";

impl<'a> Applications<'a> {
    /// The store over `pool`; `clock` stamps modifications.
    pub(crate) fn new(pool: &'a SqlitePool, clock: &'a dyn Clock) -> Self {
        Self { pool, clock }
    }

    /// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so that a
    /// concurrent writer (another `apps` command, the running sample) makes it wait for the busy
    /// timeout instead of failing when a read would have to be upgraded.
    async fn write(&self) -> Result<Transaction<'a, Sqlite>, sqlx::Error> {
        begin(self.pool, Begin::Write).await
    }

    /// A write transaction and the card `id` (not found → [`AppError::NotFound`]).
    async fn edit(&self, id: ClientId) -> Result<(Transaction<'a, Sqlite>, CardRow), AppError> {
        let mut tx = self.write().await?;
        let row = existing(&mut tx, id).await?;
        Ok((tx, row))
    }

    fn now(&self) -> String {
        self.clock.now().format(&Rfc3339).unwrap_or_default()
    }

    /// Creates a Disabled card and its user (License Type Application).
    pub(crate) async fn add(&self, id: ClientId, description: &Description) -> Result<Application, AppError> {
        let mut tx = self.write().await?;
        if card_row(&mut tx, id).await?.is_some() {
            return Err(AppError::AlreadyExists(id));
        }
        let now = self.now();
        let user = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO users (userSecurityId, userName, displayName, state, licenseType, modifiedAt) \
             VALUES (?, ?, ?, 'Disabled', 'Application', ?)",
        )
        .bind(&user)
        .bind(user_name(description))
        .bind(description.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO entra_applications (client_id, description, state, user_security_id, created_at, modified_at) \
             VALUES (?, ?, 'Disabled', ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(description.as_str())
        .bind(&user)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        finish(tx, id).await
    }

    /// Changes the Description (and the user's name); only while Disabled.
    pub(crate) async fn set_description(
        &self,
        id: ClientId,
        description: &Description,
    ) -> Result<Application, AppError> {
        let (mut tx, row) = self.edit(id).await?;
        if row.state != AppState::Disabled.as_str() {
            return Err(AppError::MustBeDisabled);
        }
        let now = self.now();
        sqlx::query("UPDATE entra_applications SET description = ?, modified_at = ? WHERE client_id = ?")
            .bind(description.as_str())
            .bind(&now)
            .bind(&row.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE users SET userName = ?, displayName = ?, version = version + 1, modifiedAt = ? \
             WHERE userSecurityId = ?",
        )
        .bind(user_name(description))
        .bind(description.as_str())
        .bind(&now)
        .bind(&row.user_security_id)
        .execute(&mut *tx)
        .await?;
        finish(tx, id).await
    }

    /// Sets the State of the card and of its user.
    pub(crate) async fn set_state(&self, id: ClientId, state: AppState) -> Result<Application, AppError> {
        let (mut tx, row) = self.edit(id).await?;
        write_state(&mut tx, &row, state, &self.now()).await?;
        finish(tx, id).await
    }

    /// Assigns a permission set to the app's user (allowed in either State, as on BC's card).
    pub(crate) async fn grant(
        &self,
        id: ClientId,
        role_id: &str,
        company: &str,
    ) -> Result<Application, AppError> {
        let (mut tx, row) = self.edit(id).await?;
        access::assign(&mut tx, &row.user_security_id, &normalise_role_id(role_id), company.trim()).await?;
        finish(tx, id).await
    }

    /// Removes a permission set from the app's user.
    pub(crate) async fn revoke(
        &self,
        id: ClientId,
        role_id: &str,
        company: &str,
    ) -> Result<Application, AppError> {
        let (mut tx, row) = self.edit(id).await?;
        let role_id = normalise_role_id(role_id);
        if !access::unassign(&mut tx, &row.user_security_id, &role_id, company.trim()).await? {
            return Err(AppError::NotGranted(role_id));
        }
        finish(tx, id).await
    }

    /// Deletes the card and its user; only while Disabled.
    pub(crate) async fn delete(&self, id: ClientId) -> Result<(), AppError> {
        let (mut tx, row) = self.edit(id).await?;
        if row.state != AppState::Disabled.as_str() {
            return Err(AppError::MustBeDisabled);
        }
        sqlx::query("DELETE FROM entra_applications WHERE client_id = ?")
            .bind(&row.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM access_control WHERE userSecurityId = ?")
            .bind(&row.user_security_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE userSecurityId = ?")
            .bind(&row.user_security_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One card.
    pub(crate) async fn get(&self, id: ClientId) -> Result<Application, AppError> {
        finish(begin(self.pool, Begin::Read).await?, id).await
    }

    /// Every card, by Client ID.
    pub(crate) async fn list(&self) -> Result<Vec<Application>, AppError> {
        let mut tx = begin(self.pool, Begin::Read).await?;
        let rows: Vec<CardRow> =
            sqlx::query_as(&format!("{SELECT_CARD} ORDER BY a.client_id")).fetch_all(&mut *tx).await?;
        let mut cards = Vec::with_capacity(rows.len());
        for row in rows {
            cards.push(with_sets(&mut tx, row).await?);
        }
        tx.commit().await?;
        Ok(cards)
    }

    /// `--register-app`: makes sure the card exists, is Enabled and holds at least `role_ids`
    /// (idempotent across restarts; sets assigned earlier stay).
    pub(crate) async fn register(&self, id: ClientId, role_ids: &[String]) -> Result<Application, AppError> {
        if let Err(AppError::NotFound(_)) = self.get(id).await {
            let description = Description::parse("Registered with --register-app")?;
            match self.add(id, &description).await {
                Ok(_) | Err(AppError::AlreadyExists(_)) => {}
                Err(other) => return Err(other),
            }
        }
        for role_id in role_ids {
            match self.grant(id, role_id, "").await {
                Ok(_) | Err(AppError::AlreadyGranted(_)) => {}
                Err(other) => return Err(other),
            }
        }
        self.set_state(id, AppState::Enabled).await
    }

    /// The State, user and permission sets of the card with this Client ID, `None` when there is no card.
    pub(crate) async fn caller_access(&self, id: ClientId) -> Result<Option<CallerAccess>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT state, user_security_id FROM entra_applications WHERE client_id = ?")
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        let Some((state, user)) = row else { return Ok(None) };
        let assignments =
            access::of_user(&mut conn, &user).await?.into_iter().map(|a| (a.role_id, a.company)).collect();
        // An unreadable State counts as Disabled: refuse rather than admit.
        let state = AppState::from_stored(&state).unwrap_or(AppState::Disabled);
        Ok(Some(CallerAccess { state, user_security_id: user, assignments }))
    }
}

/// BC derives the app user's User Name (Code[50], upper case) from the Description.
fn user_name(description: &Description) -> String {
    description.as_str().to_uppercase()
}

async fn card_row(tx: &mut Transaction<'_, Sqlite>, id: ClientId) -> Result<Option<CardRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_CARD} WHERE a.client_id = ?"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await
}

/// Commits an edit of the card `id` and returns the card as it now is.
async fn finish(mut tx: Transaction<'_, Sqlite>, id: ClientId) -> Result<Application, AppError> {
    let card = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(card)
}

async fn existing(tx: &mut Transaction<'_, Sqlite>, id: ClientId) -> Result<CardRow, AppError> {
    card_row(tx, id).await?.ok_or(AppError::NotFound(id))
}

async fn load(tx: &mut Transaction<'_, Sqlite>, id: ClientId) -> Result<Application, AppError> {
    let row = existing(tx, id).await?;
    Ok(with_sets(tx, row).await?)
}

async fn with_sets(tx: &mut Transaction<'_, Sqlite>, row: CardRow) -> Result<Application, sqlx::Error> {
    let permission_sets = access::of_user(tx, &row.user_security_id)
        .await?
        .into_iter()
        .map(|a| if a.company.is_empty() { a.role_id } else { format!("{} ({})", a.role_id, a.company) })
        .collect();
    Ok(Application {
        client_id: row.client_id,
        description: row.description,
        state: row.state,
        user_security_id: row.user_security_id,
        user_name: row.user_name,
        permission_sets,
    })
}

async fn write_state(
    tx: &mut Transaction<'_, Sqlite>,
    row: &CardRow,
    state: AppState,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE entra_applications SET state = ?, modified_at = ? WHERE client_id = ?")
        .bind(state.as_str())
        .bind(now)
        .bind(&row.client_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET state = ?, version = version + 1, modifiedAt = ? WHERE userSecurityId = ?")
        .bind(state.as_str())
        .bind(now)
        .bind(&row.user_security_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

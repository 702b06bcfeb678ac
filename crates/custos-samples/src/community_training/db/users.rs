//! Learners: search by name or contact, and add-or-update by contact (MCT's `POST /users`).

use uuid::Uuid;

use super::Db;
use super::organizations::parse_uuid;
use crate::community_training::shapes::{ContactType, NewUser, User};

/// The most learners one search returns.
pub(super) const MAX_SEARCH_RESULTS: i64 = 100;

/// The outcome of an add-or-update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserWrite {
    /// No learner had this contact: one was added.
    Created(User),
    /// The learner with this contact was updated.
    Updated(User),
    /// `orgId` names no organization.
    OrganizationNotFound,
    /// A concurrent request added a learner with this contact first.
    ContactTaken,
}

type Row = (String, String, String, String, String, Option<String>);

fn user((id, first_name, last_name, contact, kind, organization): Row) -> Result<User, sqlx::Error> {
    let contact_type = ContactType::parse(&kind)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown contact type {kind:?}").into()))?;
    Ok(User {
        user_id: parse_uuid(&id)?,
        first_name,
        last_name,
        contact,
        contact_type,
        organization_id: organization.as_deref().map(parse_uuid).transpose()?,
    })
}

/// `term` as a LIKE pattern that matches it literally anywhere.
fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

const COLUMNS: &str = "id, first_name, last_name, contact, contact_type, organization_id";

impl Db {
    /// Learners whose first name, last name, full name or contact contains `term` (case-insensitive
    /// for ASCII), by last then first name, at most [`MAX_SEARCH_RESULTS`].
    pub async fn search_users(&self, term: &str) -> Result<Vec<User>, sqlx::Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE first_name LIKE ?1 ESCAPE '\\' OR last_name LIKE ?1 ESCAPE '\\' \
             OR (first_name || ' ' || last_name) LIKE ?1 ESCAPE '\\' OR contact LIKE ?1 ESCAPE '\\' \
             ORDER BY last_name, first_name, contact LIMIT ?2"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(contains_pattern(term))
            .bind(MAX_SEARCH_RESULTS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(user).collect()
    }

    /// Adds a learner, or updates the one with the same contact (case-insensitive), in one
    /// transaction; `organization` (when given) must exist.
    pub async fn upsert_user(
        &self,
        new: &NewUser,
        organization: Option<Uuid>,
    ) -> Result<UserWrite, sqlx::Error> {
        // IMMEDIATE: the contact lookup and the write happen under one write lock, so concurrent
        // upserts queue (busy timeout) instead of failing to upgrade a read snapshot.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(org) = organization {
            let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM organizations WHERE id = ?")
                .bind(org.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Ok(UserWrite::OrganizationNotFound);
            }
        }
        let existing: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT id, organization_id FROM users WHERE contact = ? COLLATE NOCASE")
                .bind(&new.contact)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, kept_organization, created) = match existing {
            Some((id, current)) => (parse_uuid(&id)?, current.as_deref().map(parse_uuid).transpose()?, false),
            None => (Uuid::new_v4(), None, true),
        };
        let stored = User {
            user_id: id,
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            contact: new.contact.clone(),
            contact_type: new.contact_type,
            organization_id: organization.or(kept_organization),
        };
        let written = sqlx::query(
            "INSERT INTO users (id, first_name, last_name, contact, contact_type, organization_id) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, \
             contact = excluded.contact, contact_type = excluded.contact_type, organization_id = excluded.organization_id",
        )
        .bind(stored.user_id.to_string())
        .bind(&stored.first_name)
        .bind(&stored.last_name)
        .bind(&stored.contact)
        .bind(stored.contact_type.as_str())
        .bind(stored.organization_id.map(|o| o.to_string()))
        .execute(&mut *tx)
        .await;
        match written {
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Ok(UserWrite::ContactTaken);
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(if created { UserWrite::Created(stored) } else { UserWrite::Updated(stored) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("100%_\\"), "%100\\%\\_\\\\%");
    }
}

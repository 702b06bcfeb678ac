//! Organizations: list, create, update, delete. Names are unique (case-insensitive); deleting an
//! organization leaves its learners without one.

use uuid::Uuid;

use super::Db;
use crate::community_training::shapes::{Organization, OrganizationFields};

/// The outcome of a write that can meet a missing row or a taken name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationWrite {
    /// The organization as stored.
    Written(Organization),
    /// No organization has that id.
    NotFound,
    /// Another organization has that name.
    NameTaken,
}

type Row = (String, String, String, String);

pub(super) fn parse_uuid(text: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::try_parse(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn organization((id, name, description, tenant_id): Row) -> Result<Organization, sqlx::Error> {
    Ok(Organization { id: parse_uuid(&id)?, name, description, tenant_id: parse_uuid(&tenant_id)? })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Db {
    /// Every organization, by name.
    pub async fn organizations(&self) -> Result<Vec<Organization>, sqlx::Error> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, description, tenant_id FROM organizations ORDER BY name COLLATE NOCASE",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(organization).collect()
    }

    /// Creates an organization of `tenant`.
    pub async fn create_organization(
        &self,
        fields: &OrganizationFields,
        tenant: Uuid,
    ) -> Result<OrganizationWrite, sqlx::Error> {
        let created = Organization {
            id: Uuid::new_v4(),
            name: fields.name.clone(),
            description: fields.description.clone(),
            tenant_id: tenant,
        };
        let inserted =
            sqlx::query("INSERT INTO organizations (id, name, description, tenant_id) VALUES (?, ?, ?, ?)")
                .bind(created.id.to_string())
                .bind(&created.name)
                .bind(&created.description)
                .bind(created.tenant_id.to_string())
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => Ok(OrganizationWrite::Written(created)),
            Err(error) if is_unique_violation(&error) => Ok(OrganizationWrite::NameTaken),
            Err(error) => Err(error),
        }
    }

    /// Replaces an organization's name and description.
    pub async fn update_organization(
        &self,
        id: Uuid,
        fields: &OrganizationFields,
    ) -> Result<OrganizationWrite, sqlx::Error> {
        let updated: Result<Option<Row>, _> = sqlx::query_as(
            "UPDATE organizations SET name = ?, description = ? WHERE id = ? RETURNING id, name, description, tenant_id",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await;
        match updated {
            Ok(Some(row)) => Ok(OrganizationWrite::Written(organization(row)?)),
            Ok(None) => Ok(OrganizationWrite::NotFound),
            Err(error) if is_unique_violation(&error) => Ok(OrganizationWrite::NameTaken),
            Err(error) => Err(error),
        }
    }

    /// Deletes an organization; false when none had this id.
    pub async fn delete_organization(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM organizations WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

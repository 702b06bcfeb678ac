//! What the admin API does with endpoint secrets (its routes are custos-directory's, reaching
//! this through the server's `EndpointSecrets` adapter):
//!
//! - [`Authority::create_endpoint_secret`]: a new endpoint secret for a managed identity,
//!   replacing any earlier one. Concurrent creates leave exactly one secret, the last one stored
//!   (see `supersede`);
//! - [`Authority::remove_endpoint_secrets`]: removes the identity's endpoint secrets.

use super::secret;
use crate::Authority;
use custos_core::Secret;
use custos_core::audit::{
    Activity, AuditContext, AuditTarget, DirectoryAudit, SERVICE_PRINCIPAL_TYPE_DETAIL, TargetType,
};
use custos_core::model::{Application, PasswordCredential, ServicePrincipal};
use custos_store::{ApplicationChange, ChangeRefused, Store as _, StoreError};
use uuid::Uuid;

/// A new endpoint secret: the credential as stored and the secret itself, shown this once.
#[derive(Debug, Clone)]
pub struct NewEndpointSecret {
    /// The stored credential (its `keyId` and validity).
    pub credential: PasswordCredential,
    /// The secret.
    pub secret: Secret<String>,
}

/// Why an endpoint secret could not be made or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointSecretError {
    /// The identity's application does not exist (any more).
    #[error("the managed identity does not exist")]
    NotFound,
    /// The store refused the change (e.g. too many credentials).
    #[error("{0}")]
    Refused(ChangeRefused),
    /// Storage or the random number generator failed (logged).
    #[error("endpoint secrets are unavailable")]
    Unavailable,
}

impl From<StoreError> for EndpointSecretError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Refused(refused) => Self::Refused(refused),
            other => {
                tracing::warn!(error = %other, "endpoint secret storage call failed");
                Self::Unavailable
            }
        }
    }
}

impl Authority {
    /// Makes a new endpoint secret for the managed identity (`app`, `sp`) valid for `days`,
    /// replacing any earlier one.
    pub async fn create_endpoint_secret(
        &self,
        app: &Application,
        sp: &ServicePrincipal,
        days: u16,
        audit: &AuditContext,
    ) -> Result<NewEndpointSecret, EndpointSecretError> {
        let secret = secret::generate(app.tenant_id, sp.id).ok_or_else(|| {
            tracing::error!("cannot make an endpoint secret: the random number generator failed");
            EndpointSecretError::Unavailable
        })?;
        let start = self.clock.now();
        let end = start + time::Duration::days(i64::from(days));
        let credential = secret::credential(&self.hasher, &secret, start, end);
        let added = self
            .directory
            .modify_application(
                app.tenant_id,
                app.id,
                ApplicationChange::AddPassword(credential.clone()),
                &[credentials_record(audit, app)],
            )
            .await?;
        self.supersede(&added, audit).await?;
        Ok(NewEndpointSecret { credential, secret })
    }

    /// Removes every endpoint secret of the managed identity's application; `false` when it had
    /// none.
    pub async fn remove_endpoint_secrets(
        &self,
        app: &Application,
        audit: &AuditContext,
    ) -> Result<bool, EndpointSecretError> {
        let key_ids: Vec<_> = app
            .password_credentials
            .iter()
            .filter(|c| secret::is_endpoint_secret(c))
            .map(|c| c.key_id)
            .collect();
        if key_ids.is_empty() {
            return Ok(false);
        }
        self.remove_passwords(app, key_ids, audit).await?;
        Ok(true)
    }

    /// Removes every endpoint secret of `added` (the application as a create's `AddPassword`
    /// left it) but the last one. The store applies changes one at a time and appends a new
    /// secret, so the last endpoint secret of that snapshot is the newest stored so far, and the
    /// create that stored the newest of all sees every other one that is left: of concurrent
    /// creates, exactly the last one's secret survives (an earlier one answers 201 with a secret
    /// superseded at once, as if the creates had run one after the other). Removing only the
    /// secrets seen before the add would let two concurrent creates both survive.
    async fn supersede(&self, added: &Application, audit: &AuditContext) -> Result<(), EndpointSecretError> {
        let mut key_ids: Vec<_> = added
            .password_credentials
            .iter()
            .filter(|c| secret::is_endpoint_secret(c))
            .map(|c| c.key_id)
            .collect();
        key_ids.pop();
        self.remove_passwords(added, key_ids, audit).await
    }

    /// Removes the secrets `key_ids` from `app`; one a concurrent request removed already is no
    /// error.
    async fn remove_passwords(
        &self,
        app: &Application,
        key_ids: Vec<Uuid>,
        audit: &AuditContext,
    ) -> Result<(), EndpointSecretError> {
        for key_id in key_ids {
            match self
                .directory
                .modify_application(
                    app.tenant_id,
                    app.id,
                    ApplicationChange::RemovePassword(key_id),
                    &[credentials_record(audit, app)],
                )
                .await
            {
                Ok(_) | Err(StoreError::Refused(ChangeRefused::UnknownKeyId(_))) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The record, as `audit`'s, of a change of a managed identity's endpoint secrets.
fn credentials_record(audit: &AuditContext, app: &Application) -> DirectoryAudit {
    let target = AuditTarget::new(TargetType::Application, app.id, Some(&app.display_name));
    audit
        .record(app.tenant_id, Activity::UpdateApplicationCredentials, target)
        .with_detail(SERVICE_PRINCIPAL_TYPE_DETAIL, "ManagedIdentity")
}

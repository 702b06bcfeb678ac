//! The admin API's seams into the authority: [`AuthoritySigningKeys`] (the key manager) and
//! [`AuthorityEndpointSecrets`] (managed identities' endpoint secrets). The routes are
//! custos-directory's; these adapters only translate between the two crates' types.

use async_trait::async_trait;
use custos_authority::Authority;
use custos_authority::keys::{KeyError, KeyInfo, format_duration, parse_duration};
use custos_authority::managed_identity::{EndpointSecretError as AuthoritySecretError, NewEndpointSecret};
use custos_core::audit::AuditContext;
use custos_core::model::{Application, ServicePrincipal};
use custos_directory::{
    EndpointSecretError, EndpointSecrets, IssuedEndpointSecret, SigningKey, SigningKeyError, SigningKeys,
};
use std::sync::Arc;

/// [`SigningKeys`] over the authority's key manager.
#[derive(Debug, Clone)]
pub struct AuthoritySigningKeys(pub Arc<Authority>);

fn signing_key(key: &KeyInfo) -> SigningKey {
    SigningKey {
        kid: key.kid.clone(),
        state: key.state.as_str(),
        created: key.created,
        activates: key.activates,
        retires: key.retires,
    }
}

fn key_error(err: KeyError) -> SigningKeyError {
    match err {
        KeyError::Activation { .. } => SigningKeyError::Refused(err.to_string()),
        other => {
            tracing::warn!(error = %other, "signing-key admin call failed");
            SigningKeyError::Unavailable
        }
    }
}

#[async_trait]
impl SigningKeys for AuthoritySigningKeys {
    async fn list(&self) -> Result<Vec<SigningKey>, SigningKeyError> {
        let keys = self.0.keys().list().await.map_err(key_error)?;
        Ok(keys.iter().map(signing_key).collect())
    }

    async fn rotate(
        &self,
        activate_in: Option<&str>,
        audit: &AuditContext,
    ) -> Result<SigningKey, SigningKeyError> {
        let keys = self.0.keys();
        let activate_in = match activate_in {
            Some(text) => parse_duration(text).map_err(|e| SigningKeyError::Refused(e.to_string()))?,
            None => keys.policy().publish_ahead,
        };
        let key = keys.rotate(activate_in, audit).await.map_err(key_error)?;
        tracing::info!(kid = %key.kid, activate_in = %format_duration(activate_in), "signing key rotated");
        Ok(signing_key(&key))
    }
}

/// [`EndpointSecrets`] over the authority.
#[derive(Debug, Clone)]
pub struct AuthorityEndpointSecrets(pub Arc<Authority>);

fn secret_error(err: AuthoritySecretError) -> EndpointSecretError {
    match err {
        AuthoritySecretError::NotFound => EndpointSecretError::NotFound,
        AuthoritySecretError::Refused(refused) => EndpointSecretError::Refused(refused.to_string()),
        AuthoritySecretError::Unavailable => EndpointSecretError::Unavailable,
    }
}

#[async_trait]
impl EndpointSecrets for AuthorityEndpointSecrets {
    async fn create(
        &self,
        app: &Application,
        sp: &ServicePrincipal,
        days: u16,
        audit: &AuditContext,
    ) -> Result<IssuedEndpointSecret, EndpointSecretError> {
        let NewEndpointSecret { credential, secret } =
            self.0.create_endpoint_secret(app, sp, days, audit).await.map_err(secret_error)?;
        Ok(IssuedEndpointSecret { key_id: credential.key_id, end: credential.end, secret })
    }

    async fn remove(&self, app: &Application, audit: &AuditContext) -> Result<bool, EndpointSecretError> {
        self.0.remove_endpoint_secrets(app, audit).await.map_err(secret_error)
    }

    fn endpoints_enabled(&self) -> bool {
        self.0.config().managed_identity_endpoints
    }
}

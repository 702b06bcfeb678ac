//! Writing consent and issuing codes. What accepting consent writes in the consenting tenant
//! (`entra-user-flows.md` §2.3: the client's service principal, one widened delegated grant per
//! resource, app role assignments for administrators; never `Custos.Admin`) is
//! `custos_directory::consent`'s, the one implementation the admin API shares; this module
//! turns a [`Plan`] into its input and maps its errors. Writes go through the directory cache,
//! which drops the tenant's snapshot, each with its directory audit naming the signed-in user
//! and the browser's address. A code is 32 random bytes (base64url); the store keeps only
//! its SHA-256, for [`CODE_LIFETIME_SECS`].

use crate::permissions::Plan;
use crate::state::{CODE_LIFETIME_SECS, SignIn};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::audit::AuditContext;
use custos_core::model::Application;
use custos_core::sign_in::CodeGrant;
use custos_core::{ObjectId, TenantId};
use custos_directory::consent::{self, ConsentError, Grantee, ResourcePermissions};
use custos_jose::random;
use custos_store::{AuthorizationCode, Store, StoreError};

fn unavailable(e: &StoreError) -> TokenError {
    tracing::warn!(error = %e, "sign-in storage call failed");
    TokenError::TemporarilyUnavailable
}

/// Who consents.
#[derive(Debug, Clone)]
pub(crate) struct Consenter {
    /// The consenting tenant.
    pub(crate) tenant: TenantId,
    /// The signed-in user.
    pub(crate) user: ObjectId,
    /// An administrator consenting for every user of the tenant.
    pub(crate) tenant_wide: bool,
    /// The user, the browser's address and the request's correlation id, for the records.
    pub(crate) audit: AuditContext,
}

/// Writes the consent of `who` to `plan` for `client`. Errors are redirected, except a storage
/// failure.
pub(crate) async fn write_consent(
    state: &SignIn,
    client: &Application,
    plan: &Plan<'_>,
    who: Consenter,
) -> Result<(), TokenError> {
    let asked: Vec<ResourcePermissions> = plan
        .asks
        .iter()
        .map(|ask| ResourcePermissions {
            resource_app_id: ask.app.app_id,
            scopes: ask.scopes.iter().map(|s| s.value.clone()).collect(),
            roles: ask.roles.iter().map(|r| r.id).collect(),
        })
        .collect();
    let grantee = if who.tenant_wide { Grantee::Tenant } else { Grantee::User(who.user) };
    let store: &dyn Store = state.directory.as_ref();
    match consent::grant(store, who.tenant, client, grantee, &asked, &who.audit).await {
        Ok(_) => Ok(()),
        Err(ConsentError::Store(e)) => Err(unavailable(&e)),
        Err(ConsentError::NotMultiTenant(app_id)) => {
            Err(TokenError::UnknownClient { client_id: app_id.to_string(), tenant: who.tenant.to_string() })
        }
        Err(ConsentError::UnknownResource(resource)) => Err(TokenError::UnknownResource {
            resource: resource.to_string(),
            tenant: who.tenant.to_string(),
        }),
        Err(ConsentError::UnknownPermission { resource, permission }) => Err(SignInError::UnknownScope {
            app_name: client.display_name.clone(),
            scope: permission,
            resource_app_id: resource.to_string(),
        }
        .into()),
        Err(ConsentError::AdminOnly(_)) => Err(SignInError::AdminApprovalRequired.into()),
    }
}

/// Issues a code for `grant`: stores its hash and returns the code.
pub(crate) async fn issue_code(state: &SignIn, grant: CodeGrant) -> Result<String, TokenError> {
    let bytes = random::array::<32>().map_err(|_| TokenError::TemporarilyUnavailable)?;
    let code = URL_SAFE_NO_PAD.encode(bytes);
    let record = AuthorizationCode {
        code_hash: custos_jose::hash::sha256(code.as_bytes()),
        expires: state.clock.unix() + CODE_LIFETIME_SECS,
        grant,
    };
    let store: &dyn Store = state.directory.as_ref();
    store.insert_authorization_code(&record).await.map_err(|e| unavailable(&e))?;
    Ok(code)
}

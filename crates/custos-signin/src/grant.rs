//! What accepting consent writes in the consenting tenant (`entra-user-flows.md` §2.3) and how a
//! code is issued:
//! 1. the client's service principal, when the tenant has none (a multi-tenant application
//!    "installed" in another tenant);
//! 2. per resource, one `oauth2PermissionGrant` (`AllPrincipals` for an administrator's
//!    tenant-wide consent, `Principal` for a user's own), its `scope` the union of what was
//!    granted before and what is granted now (re-consent is idempotent);
//! 3. one app role assignment per application permission not yet assigned.
//!
//! Writes go through the directory cache, which drops the tenant's snapshot. A code is 32
//! random bytes (base64url); the store keeps only its SHA-256, for [`CODE_LIFETIME_SECS`].

use crate::permissions::Plan;
use crate::state::{CODE_LIFETIME_SECS, SignIn};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::aadsts::TokenError;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, ServicePrincipalType};
use custos_core::sign_in::CodeGrant;
use custos_core::{ObjectId, TenantId};
use custos_jose::random;
use custos_store::{AuthorizationCode, Store, StoreError, TenantSnapshot};

/// 32 random bytes, base64url: Graph's 43-character ids of grants and assignments.
fn random_id() -> Result<String, TokenError> {
    let bytes = random::array::<32>().map_err(|_| TokenError::TemporarilyUnavailable)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn unavailable(e: &StoreError) -> TokenError {
    tracing::warn!(error = %e, "sign-in storage call failed");
    TokenError::TemporarilyUnavailable
}

/// Who consents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Consenter {
    /// The consenting tenant.
    pub(crate) tenant: TenantId,
    /// The signed-in user.
    pub(crate) user: ObjectId,
    /// An administrator consenting for every user of the tenant.
    pub(crate) tenant_wide: bool,
}

/// Writes the consent of `who` to `plan` for `client`.
pub(crate) async fn write_consent(
    state: &SignIn,
    snapshot: &TenantSnapshot,
    client: &Application,
    plan: &Plan<'_>,
    who: Consenter,
) -> Result<(), TokenError> {
    let store: &dyn Store = state.directory.as_ref();
    let now = state.clock.now();
    let client_sp = match snapshot.service_principal(client.app_id) {
        Some(sp) => sp.id,
        None => {
            let sp = ServicePrincipal {
                id: ObjectId::new_random(),
                tenant_id: who.tenant,
                app_id: client.app_id,
                display_name: client.display_name.clone(),
                account_enabled: true,
                app_role_assignment_required: false,
                service_principal_type: ServicePrincipalType::Application,
                created: now,
            };
            match store.create_service_principal(&sp).await {
                Ok(()) => sp.id,
                // Created concurrently (another consent): use that one.
                Err(StoreError::Conflict(_)) => store
                    .service_principal_by_app_id(who.tenant, client.app_id)
                    .await
                    .map_err(|e| unavailable(&e))?
                    .map(|sp| sp.id)
                    .ok_or(TokenError::TemporarilyUnavailable)?,
                Err(e) => return Err(unavailable(&e)),
            }
        }
    };
    let (consent_type, principal_id) = if who.tenant_wide {
        (ConsentType::AllPrincipals, None)
    } else {
        (ConsentType::Principal, Some(who.user))
    };
    for ask in &plan.asks {
        if !ask.scopes.is_empty() {
            let existing = snapshot
                .grants(client_sp, ask.sp.id)
                .iter()
                .find(|g| g.consent_type == consent_type && g.principal_id == principal_id);
            let mut values: Vec<&str> = existing.map(|g| g.scopes().collect()).unwrap_or_default();
            for scope in &ask.scopes {
                if !values.contains(&scope.value.as_str()) {
                    values.push(&scope.value);
                }
            }
            let scope = values.join(" ");
            let written = match existing {
                Some(grant) if grant.scope == scope => Ok(()),
                Some(grant) => store.update_permission_grant(who.tenant, &grant.id, &scope).await,
                None => {
                    let grant = OAuth2PermissionGrant {
                        id: random_id()?,
                        tenant_id: who.tenant,
                        client_id: client_sp,
                        consent_type,
                        principal_id,
                        resource_id: ask.sp.id,
                        scope,
                        created: now,
                    };
                    store.create_permission_grant(&grant).await
                }
            };
            written.map_err(|e| unavailable(&e))?;
        }
        let assigned = snapshot.assigned_role_ids(client_sp, ask.sp.id);
        for role in ask.roles.iter().filter(|r| !assigned.contains(&r.id)) {
            let assignment = AppRoleAssignment {
                id: random_id()?,
                tenant_id: who.tenant,
                principal_id: client_sp,
                resource_id: ask.sp.id,
                app_role_id: role.id,
                created: now,
            };
            match store.create_assignment(&assignment).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(unavailable(&e)),
            }
        }
    }
    Ok(())
}

/// Issues a code for `grant`: stores its hash and returns the code.
pub(crate) async fn issue_code(state: &SignIn, grant: CodeGrant) -> Result<String, TokenError> {
    let code = random_id()?;
    let record = AuthorizationCode {
        code_hash: custos_jose::hash::sha256(code.as_bytes()),
        expires: state.clock.unix() + CODE_LIFETIME_SECS,
        grant,
    };
    let store: &dyn Store = state.directory.as_ref();
    store.insert_authorization_code(&record).await.map_err(|e| unavailable(&e))?;
    Ok(code)
}

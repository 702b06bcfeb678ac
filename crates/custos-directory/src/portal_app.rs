//! The admin portal's registration, a built-in first-party client in every tenant (as the Azure
//! portal is in Entra): a public client (PKCE, no secret) whose one redirect URI is
//! `{publicUrl}/portal/callback`, asking the directory API for the delegated permissions the
//! portal's pages use ([`PORTAL_SCOPES`]), consented for the whole tenant so no user sees a consent page. What a
//! signed-in user may then do is decided by their directory roles, on every call
//! ([`crate::permissions`]).
//!
//! [`ensure_portal`] is run at server start (the public URL may have changed) and when a tenant
//! is provisioned; it is idempotent.

use crate::audit;
use crate::consent::{self, ConsentError, Grantee};
use custos_core::audit::{Activity, AuditContext};
use custos_core::consent::{AccessType, RedirectUris, RequiredResourceAccess, ResourceAccess};
use custos_core::ids::{GRAPH_APP_ID, PORTAL_APP_ID, PORTAL_SCOPES};
use custos_core::model::{Application, SIGN_IN_AUDIENCE_MULTIPLE_ORGS};
use custos_core::{Clock, TenantId};
use custos_store::{Store, StoreError};

/// The portal registration's display name.
pub const PORTAL_DISPLAY_NAME: &str = "custos portal";

/// The portal's redirect URI on a server reached at `public_url`.
pub fn portal_redirect_uri(public_url: &str) -> String {
    format!("{}/portal/callback", public_url.trim_end_matches('/'))
}

/// Brings the portal's registration of every tenant up to date. Returns how many were changed.
pub async fn ensure_portal(
    store: &dyn Store,
    clock: &dyn Clock,
    public_url: &str,
) -> Result<usize, ConsentError> {
    let mut changed = 0;
    for tenant in store.tenants().await? {
        let context = AuditContext::installation(clock.now());
        if ensure_portal_in(store, &context, tenant.id, public_url).await? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Brings `tenant`'s portal registration up to date: registered, redirect URI and permissions
/// current, consent granted (which creates the service principal), each write recorded as
/// `context`'s.
/// `true` when anything was written.
pub async fn ensure_portal_in(
    store: &dyn Store,
    context: &AuditContext,
    tenant: TenantId,
    public_url: &str,
) -> Result<bool, ConsentError> {
    let now = context.now;
    let Some(directory) = store.application_by_app_id(tenant, GRAPH_APP_ID).await? else {
        return Ok(false); // an unfinished provisioning: completed when provisioned again
    };
    let wanted =
        RedirectUris { public_client: vec![portal_redirect_uri(public_url)], ..RedirectUris::default() };
    let access = RequiredResourceAccess {
        resource_app_id: GRAPH_APP_ID,
        resource_access: PORTAL_SCOPES
            .iter()
            .filter_map(|value| directory.scope_by_value(value))
            .map(|scope| ResourceAccess { id: scope.id, kind: AccessType::Scope })
            .collect(),
    };
    let mut touched = false;
    let app = match store.application_by_app_id(tenant, PORTAL_APP_ID).await? {
        Some(app) if app.redirect_uris == wanted && app.required_resource_access == [access.clone()] => app,
        Some(mut app) => {
            let before = app.clone();
            app.redirect_uris = wanted;
            app.required_resource_access = vec![access];
            let target = audit::application_updated(&before, &app);
            store
                .update_application(&app, &[context.record(tenant, Activity::UpdateApplication, target)])
                .await?;
            touched = true;
            app
        }
        None => {
            let mut app = Application::new(tenant, PORTAL_APP_ID, PORTAL_DISPLAY_NAME.to_owned(), now);
            app.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.to_owned();
            app.redirect_uris = wanted;
            app.required_resource_access = vec![access];
            let record = context.record(tenant, Activity::AddApplication, audit::application_added(&app));
            match store.create_application(&app, &[record]).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            touched = true;
            app
        }
    };
    let asked = consent::required_permissions(store, tenant, &app).await?;
    let outcome = consent::grant(store, tenant, &app, Grantee::Tenant, &asked, context).await?;
    Ok(touched || outcome.created_service_principal)
}

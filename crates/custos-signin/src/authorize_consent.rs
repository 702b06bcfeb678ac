//! Steps 5 and 6 of the authorize flow: consent, then the code (or the admin-consent redirect).
//!
//! An administrator (Global or Privileged Role Administrator; Cloud or Application Administrator
//! unless directory API app roles are asked) consents for the whole tenant, application
//! permissions included for v1 and `prompt=admin_consent`. Anyone else consents for themself to
//! `User` scopes when the tenant allows user consent; anything more is "Need admin approval"
//! (AADSTS90094).

use super::{Flow, Kind, SignedIn, storage};
use crate::admin_consent;
use crate::grant::{self, Consenter};
use crate::pages::{self, ConsentPage, FormContext, PermissionLine};
use crate::permissions::{self, Plan, Wanted, Where};
use crate::redirect::Matched;
use crate::request::{AuthorizeRequest, Prompt, Version};
use crate::respond::{self, Destination, Success};
use crate::sign_ins::{self, Asked, Who};
use axum::response::Response;
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::audit::{AuditContext, Initiator};
use custos_core::model::Application;
use custos_core::sign_in::{AuthorizeEndpoint, CodeGrant};
use custos_core::users::may_grant_admin_consent;
use custos_store::Store;
use uuid::Uuid;

impl Flow<'_> {
    pub(super) async fn consent_and_finish(
        &self,
        request: &AuthorizeRequest,
        app: &Application,
        matched: &Matched,
        to: Destination<'_>,
        signed_in: &SignedIn,
        form: FormContext<'_>,
    ) -> Result<Response, Response> {
        let user = &signed_in.user;
        let tenant = user.tenant_id;
        let state_param = request.state.as_deref();
        let fail = |e: TokenError| self.fail(to, &e, Some(tenant), state_param);
        if user.tenant_id != app.tenant_id && !app.is_multi_tenant() {
            let e =
                TokenError::UnknownClient { client_id: app.app_id.to_string(), tenant: tenant.to_string() };
            return Err(self.page(e));
        }
        let directory = &self.state.directory;
        let store: &dyn Store = directory.as_ref();
        let wanted = match &request.scope {
            Some(set) => Wanted::Scopes(set),
            None => Wanted::Static { resource: request.resource.as_deref() },
        };
        let needs = permissions::needs(app, wanted, &self.state.public_url);
        let snapshot = match directory.snapshot_for(tenant, &needs).await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return Err(self.page(TokenError::TemporarilyUnavailable)),
            Err(e) => return Err(self.page(storage(&e))),
        };
        let tenant_name = directory
            .resolve_tenant(&tenant.to_string())
            .await
            .map_err(|e| self.page(storage(&e)))?
            .map_or_else(|| tenant.to_string(), |t| t.domain);
        let roles: Vec<_> = store
            .directory_role_assignments(tenant)
            .await
            .map_err(|e| self.page(storage(&e)))?
            .into_iter()
            .filter(|a| a.principal_id == user.id)
            .map(|a| a.role_definition_id)
            .collect();
        let settings = store.tenant_settings(tenant).await.map_err(|e| self.page(storage(&e)))?;
        let at = Where { tenant_name: &tenant_name, public_url: &self.state.public_url };
        let full = Plan::build(app, &snapshot, at, wanted, true).map_err(fail)?;
        let admin_prompt = request.prompt == Some(Prompt::AdminConsent);
        let can_admin = may_grant_admin_consent(&roles, full.has_graph_roles());
        let plan = if admin_prompt || (self.version == Version::V1 && can_admin) {
            full
        } else {
            full.without_roles()
        };
        let approval = !can_admin && (admin_prompt || plan.needs_admin() || !settings.allow_user_consent);
        let granted = plan.is_granted(&snapshot, app.app_id, user.id, can_admin);
        let must_ask = !granted || matches!(request.prompt, Some(Prompt::Consent | Prompt::AdminConsent));
        let digest = plan.digest(can_admin);
        // A consent choice counts only from the consent page's own form, never together with
        // credentials (so no single POST can sign in and consent unseen).
        let choice = match &self.req.form {
            Some(_) if self.req.field("login").is_none() => self.req.field("consent"),
            _ => None,
        };
        match choice {
            Some("cancel") => {
                if self.kind == Kind::Authorize && !approval {
                    let declined = SignInError::ConsentDeclined.into();
                    let asked = Asked {
                        path_tenant: Some(tenant),
                        app,
                        resource: request.resource.as_deref(),
                        login_hint: request.login_hint.is_some(),
                    };
                    sign_ins::record(self.state, self.req, &asked, Who::Found(user), Some(&declined)).await;
                }
                return Err(match (self.kind, approval) {
                    (Kind::AdminConsent, false) => {
                        admin_consent::cancelled(to, self.version, &self.req.trace, state_param)
                    }
                    (_, true) => fail(SignInError::AdminApprovalRequired.into()),
                    (Kind::Authorize, false) => fail(SignInError::ConsentDeclined.into()),
                });
            }
            Some("accept") if !approval && self.req.field("plan") == Some(digest.as_str()) => {
                let audit = AuditContext {
                    initiator: Initiator::User {
                        id: user.id,
                        upn: Some(user.user_principal_name.clone()),
                        ip: self.req.source,
                    },
                    correlation_id: self.req.trace.correlation_id,
                    now: self.state.clock.now(),
                };
                let who = Consenter { tenant, user: user.id, tenant_wide: can_admin, audit };
                grant::write_consent(self.state, app, &plan, who).await.map_err(|e| match e {
                    TokenError::TemporarilyUnavailable => self.page(e),
                    e => fail(e),
                })?;
            }
            _ if must_ask || (approval && choice.is_some()) => {
                if request.prompt == Some(Prompt::None) {
                    let (app_id, app_name) = (app.app_id.to_string(), app.display_name.clone());
                    return Err(fail(SignInError::ConsentRequired { app_id, app_name }.into()));
                }
                if approval {
                    return Err(pages::admin_approval(&form, &user.user_principal_name, &app.display_name));
                }
                let publisher = directory
                    .resolve_tenant(&app.tenant_id.to_string())
                    .await
                    .map_err(|e| self.page(storage(&e)))?
                    .map_or_else(|| app.tenant_id.to_string(), |t| t.domain);
                let permissions = lines(&plan, can_admin);
                return Err(pages::consent(&ConsentPage {
                    form,
                    plan: &digest,
                    user: &user.user_principal_name,
                    app_name: &app.display_name,
                    publisher: &publisher,
                    permissions: &permissions,
                    for_organization: can_admin,
                }));
            }
            _ => {}
        }
        if self.kind == Kind::AdminConsent {
            let scope = request.scope.as_ref().map(|s| s.raw.as_str());
            return Ok(admin_consent::success(to, tenant, state_param, scope));
        }
        let grant = CodeGrant {
            endpoint: match self.version {
                Version::V1 => AuthorizeEndpoint::V1,
                Version::V2 => AuthorizeEndpoint::V2,
            },
            issued_on: self.req.tenant.to_ascii_lowercase(),
            tenant_id: tenant,
            client_id: app.app_id,
            user_id: user.id,
            redirect_uri: matched.requested.clone(),
            platform: matched.platform,
            scope: request.scope.as_ref().map(|s| s.raw.clone()),
            resource: request.resource.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            auth_time: signed_in.auth_time,
            amr: vec!["pwd".to_owned()],
            grant_id: Uuid::new_v4(),
        };
        let code = grant::issue_code(self.state, grant).await.map_err(|e| self.page(e))?;
        let ok = Success {
            code: &code,
            state: state_param,
            session_state: session_state(&signed_in.session_hash),
            client_info: request.client_info.then_some((user.id, tenant)),
            admin_consent: self.version == Version::V1 && admin_prompt,
        };
        Ok(respond::success(to, &ok))
    }
}

/// The public `session_state` of a session: a GUID derived from its stored hash.
fn session_state(session_hash: &[u8; 32]) -> Uuid {
    let digest = custos_jose::hash::sha256(session_hash);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The consent page's lines: admin-facing texts for tenant-wide consent, user-facing otherwise.
fn lines(plan: &Plan<'_>, for_organization: bool) -> Vec<PermissionLine> {
    let mut out = Vec::new();
    for ask in &plan.asks {
        for scope in &ask.scopes {
            let (name, description) = if for_organization {
                (&scope.admin_consent_display_name, &scope.admin_consent_description)
            } else {
                (&scope.user_consent_display_name, &scope.user_consent_description)
            };
            let name = name.clone().or_else(|| scope.admin_consent_display_name.clone());
            out.push(PermissionLine {
                resource: ask.app.display_name.clone(),
                name: name.unwrap_or_else(|| scope.value.clone()),
                description: description.clone().or_else(|| scope.admin_consent_description.clone()),
            });
        }
        for role in &ask.roles {
            out.push(PermissionLine {
                resource: ask.app.display_name.clone(),
                name: role.display_name.clone().or_else(|| role.value.clone()).unwrap_or_default(),
                description: role.description.clone(),
            });
        }
    }
    out
}

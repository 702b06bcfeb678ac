//! The authorize flow (`entra-user-flows.md` §1, §2), shared by `/oauth2/authorize`,
//! `/oauth2/v2.0/authorize` and the admin-consent endpoints:
//! 1. a POST must carry the browser's anti-CSRF token (else 403) and the original parameters in
//!    `ctx`, which are validated again like a GET's query;
//! 2. the client (registered in the path tenant, or a multi-tenant application registered
//!    anywhere) and the redirect URI are validated; until then every error is a page;
//! 3. the rest of the request is validated (errors redirected);
//! 4. the user: the session cookie's session (unless `prompt=login`/`select_account` or
//!    `max_age` forbid it), or the sign-in form (`prompt=none` answers `login_required`);
//! 5. consent ([`crate::permissions`]): asked when something is not granted yet or `prompt`
//!    demands it; written on Accept ([`crate::grant`]); Cancel is redirected;
//! 6. a code and the authorization response (admin consent: its own redirect, no code).

use crate::admin_consent;
use crate::authenticate::{self, Failure};
use crate::cookie::{self, Cookie};
use crate::error::{AuthorizeError, Shown};
use crate::pages::{self, FormContext, SignInPage};
use crate::redirect;
use crate::request::{AuthorizeRequest, Params, Prompt, ResponseMode, Version};
use crate::respond::{self, Destination};
use crate::routes::Incoming;
use crate::sign_ins::{self, Asked, Who};
use crate::state::{SESSION_LIFETIME_SECS, SignIn};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use custos_core::Secret;
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::model::{Application, Tenant};
use custos_core::users::User;
use custos_core::{AppId, TenantId};
use custos_store::{Needs, SignInSession, Store, StoreError};

/// Which endpoint runs the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `/oauth2/authorize`, `/oauth2/v2.0/authorize`: ends with a code.
    Authorize,
    /// `/adminconsent`, `/v2.0/adminconsent`: ends with `admin_consent=True`.
    AdminConsent,
}

/// Handles both authorize endpoints.
pub(crate) async fn handle(state: &SignIn, version: Version, incoming: &Incoming) -> Response {
    flow(state, Kind::Authorize, version, incoming).await
}

/// Runs the flow and sets the cookies it issued.
pub(crate) async fn flow(state: &SignIn, kind: Kind, version: Version, req: &Incoming) -> Response {
    let sent_browser = state.cookies.read(&req.headers, Cookie::Browser);
    let mut set_cookies = Vec::new();
    let browser = match &sent_browser {
        Some(browser) => browser.clone(),
        None => match cookie::new_value() {
            Ok(value) => {
                set_cookies.push(state.cookies.set(Cookie::Browser, &value));
                value
            }
            Err(_) => return pages::error(&TokenError::TemporarilyUnavailable, &req.trace),
        },
    };
    let mut flow = Flow { state, kind, version, req, browser, set_cookies };
    let mut response = flow.run(sent_browser.as_ref()).await;
    for line in flow.set_cookies {
        response.headers_mut().append(header::SET_COOKIE, line);
    }
    response
}

struct Flow<'s> {
    state: &'s SignIn,
    kind: Kind,
    version: Version,
    req: &'s Incoming,
    browser: Secret<String>,
    set_cookies: Vec<HeaderValue>,
}

/// The signed-in user and their session.
struct SignedIn {
    user: User,
    auth_time: i64,
    session_hash: [u8; 32],
}

fn storage(e: &StoreError) -> TokenError {
    tracing::warn!(error = %e, "sign-in failed: storage error");
    TokenError::TemporarilyUnavailable
}

impl Flow<'_> {
    fn page(&self, error: TokenError) -> Response {
        pages::error(&error, &self.req.trace)
    }

    async fn run(&mut self, sent_browser: Option<&Secret<String>>) -> Response {
        let raw = if self.req.form.is_some() {
            if !self.state.csrf.check(sent_browser, self.req.field("csrf")) {
                return pages::message(
                    StatusCode::FORBIDDEN,
                    "Sign in",
                    "This form was not sent from this browser's sign-in page. Go back to the application and sign in again.",
                );
            }
            match self.req.field("ctx") {
                Some(ctx) => ctx.to_owned(),
                None => return self.page(TokenError::MissingParameter("client_id")),
            }
        } else {
            self.req.query.clone()
        };
        let params = Params::parse(&raw);
        let client_id = match params.client_id() {
            Ok(id) => id.to_owned(),
            Err(e) => return self.page(e.error),
        };
        let (path_tenant, app) = match self.client(&client_id).await {
            Ok(found) => found,
            Err(e) => return self.page(e),
        };
        let matched = match params.redirect_uri().and_then(|uri| {
            redirect::resolve(&app.redirect_uris, uri, &client_id).map_err(AuthorizeError::page)
        }) {
            Ok(matched) => matched,
            Err(e) => return self.page(e.error),
        };
        let validated = match self.kind {
            Kind::Authorize => params.validate(self.version),
            Kind::AdminConsent => params.validate_admin_consent(self.version),
        };
        let mode = if self.kind == Kind::AdminConsent { ResponseMode::Query } else { params.response_mode() };
        let to = Destination { uri: &matched.uri, mode };
        let request = match validated {
            Ok(request) => request,
            Err(AuthorizeError { error, shown: Shown::Page }) => return self.page(error),
            Err(AuthorizeError { error, .. }) => return self.fail(to, &error, None, params.state()),
        };
        if self.kind == Kind::AdminConsent
            && self.version == Version::V2
            && self.req.tenant.eq_ignore_ascii_case("common")
        {
            let app_name = app.display_name.clone();
            return self.page(SignInError::AliasNotSupported { app_id: client_id, app_name }.into());
        }
        if path_tenant.is_none() && !app.is_multi_tenant() {
            let e = SignInError::NotMultiTenant { app_id: client_id, app_name: app.display_name.clone() };
            return self.fail(to, &e.into(), None, request.state.as_deref());
        }
        let ctx = params.encode();
        let csrf = self.state.csrf.token(&self.browser);
        let form = FormContext { action: &self.req.path, ctx: &ctx, csrf: &csrf };
        let signed_in = match self.user(&request, path_tenant.as_ref(), &app, form).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => {
                return self.fail(to, &SignInError::LoginRequired.into(), None, request.state.as_deref());
            }
            Err(response) => return response,
        };
        match self.consent_and_finish(&request, &app, &matched, to, &signed_in, form).await {
            Ok(response) | Err(response) => response,
        }
    }

    /// A redirected error, shaped for the endpoint.
    fn fail(
        &self,
        to: Destination<'_>,
        error: &TokenError,
        tenant: Option<TenantId>,
        state: Option<&str>,
    ) -> Response {
        let (trace, url) = (&self.req.trace, self.state.public_url.as_str());
        match self.kind {
            Kind::Authorize => respond::error(to, error, trace, url, state),
            Kind::AdminConsent => admin_consent::error(to, error, trace, url, tenant, state),
        }
    }

    /// The path tenant (`None` for `common` and `organizations`) and the client application.
    async fn client(&self, client_id: &str) -> Result<(Option<Tenant>, Application), TokenError> {
        let segment = self.req.tenant.as_str();
        let directory = &self.state.directory;
        let path_tenant = if ["common", "organizations"].iter().any(|a| a.eq_ignore_ascii_case(segment)) {
            None
        } else {
            let found = directory.resolve_tenant(segment).await.map_err(|e| storage(&e))?;
            Some(found.ok_or_else(|| TokenError::UnknownTenant(segment.to_owned()))?)
        };
        let unknown =
            || TokenError::UnknownClient { client_id: client_id.to_owned(), tenant: segment.to_owned() };
        let app_id: AppId = client_id.parse().map_err(|_| unknown())?;
        if let Some(tenant) = &path_tenant {
            let needs = Needs { client: Some(app_id), ..Needs::default() };
            let snapshot = directory.snapshot_for(tenant.id, &needs).await.map_err(|e| storage(&e))?;
            if let Some(app) = snapshot.as_ref().and_then(|s| s.application(app_id)) {
                return Ok((path_tenant, app.clone()));
            }
        }
        let store: &dyn Store = directory.as_ref();
        let registrations = store.applications_by_app_id(app_id).await.map_err(|e| storage(&e))?;
        let app = match &path_tenant {
            Some(_) => registrations.into_iter().find(Application::is_multi_tenant),
            None => registrations.into_iter().next(),
        };
        Ok((path_tenant, app.ok_or_else(unknown)?))
    }

    /// The signed-in user: from the sign-in form just posted, or the session. `Ok(None)` for
    /// `prompt=none` without a usable session; `Err` with the page to show otherwise.
    async fn user(
        &mut self,
        request: &AuthorizeRequest,
        path_tenant: Option<&Tenant>,
        app: &Application,
        form: FormContext<'_>,
    ) -> Result<Option<SignedIn>, Response> {
        let now = self.state.clock.unix();
        let store: &dyn Store = self.state.directory.as_ref();
        let sent_session = self.state.cookies.read(&self.req.headers, Cookie::Session);
        let sent_hash = sent_session.as_ref().map(cookie::session_key);
        let sign_in_page = |login: Option<&str>, error: Option<&TokenError>| {
            pages::sign_in(&SignInPage { form, app_name: &app.display_name, login, error })
        };
        if let Some(login) = self.req.field("login") {
            let password = self.req.field("passwd").unwrap_or_default();
            let user =
                authenticate::authenticate(self.state, path_tenant, app, login, password, self.req.source)
                    .await;
            let asked = Asked {
                path_tenant: path_tenant.map(|t| t.id),
                app,
                resource: request.resource.as_deref(),
                login_hint: request.login_hint.is_some(),
            };
            let user = match user {
                Ok(user) => {
                    sign_ins::record(self.state, self.req, &asked, Who::Found(&user), None).await;
                    user
                }
                Err(failure) => {
                    let (Failure::Inline(e) | Failure::Page(e)) = &failure;
                    sign_ins::record(self.state, self.req, &asked, Who::Typed(login), Some(e)).await;
                    return Err(match failure {
                        Failure::Inline(e) => sign_in_page(Some(login), Some(&e)),
                        Failure::Page(e) => self.page(e),
                    });
                }
            };
            // A new session id at every sign-in; the one the browser sent ends.
            if let Some(old) = &sent_hash {
                store.delete_session(old).await.map_err(|e| self.page(storage(&e)))?;
            }
            let value = cookie::new_value().map_err(|_| self.page(TokenError::TemporarilyUnavailable))?;
            let session = SignInSession {
                id_hash: cookie::session_key(&value),
                tenant_id: user.tenant_id,
                user_id: user.id,
                authenticated_at: now,
                expires: now + SESSION_LIFETIME_SECS,
            };
            store.create_session(&session).await.map_err(|e| self.page(storage(&e)))?;
            self.set_cookies.push(self.state.cookies.set(Cookie::Session, &value));
            return Ok(Some(SignedIn { user, auth_time: now, session_hash: session.id_hash }));
        }
        let posted = self.req.form.is_some();
        let session = match &sent_hash {
            Some(hash) => store.session(hash, now).await.map_err(|e| self.page(storage(&e)))?,
            None => None,
        };
        let session = session
            .filter(|s| path_tenant.is_none_or(|t| t.id == s.tenant_id))
            .filter(|_| posted || !matches!(request.prompt, Some(Prompt::Login | Prompt::SelectAccount)))
            .filter(|s| request.max_age.is_none_or(|max| now - s.authenticated_at <= max as i64));
        let user = match &session {
            Some(s) => store.user(s.tenant_id, s.user_id).await.map_err(|e| self.page(storage(&e)))?,
            None => None,
        };
        match (session, user) {
            (Some(s), Some(user))
                if user.account_enabled && s.authenticated_at >= user.tokens_valid_from.unix_timestamp() =>
            {
                Ok(Some(SignedIn { user, auth_time: s.authenticated_at, session_hash: s.id_hash }))
            }
            _ if request.prompt == Some(Prompt::None) => Ok(None),
            _ => Err(sign_in_page(request.login_hint.as_deref(), None)),
        }
    }
}

#[path = "authorize_consent.rs"]
mod consent;

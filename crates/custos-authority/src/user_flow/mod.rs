//! The token endpoint's user flows: redeeming an authorization code ([`code`]), refreshing
//! ([`refresh`]) and, where a tenant turned it on for tests, the password grant ([`password`]).
//! Each ends in [`mint`]: a delegated access token for one resource, an ID token and a rotated
//! refresh token, as Entra shapes them (`entra-user-flows.md` §3, §4).

mod code;
mod password;
mod refresh;
mod scopes;

use crate::Authority;
use crate::claims::{Lifetime, Opaque};
use crate::form::{ClientCredential, TokenRequest};
use crate::issue::{self, ClientAuth, ISSUED_AT_SKEW_SECS, Issued, Trail, unavailable};
use crate::user_claims::{DelegatedClaims, IdTokenClaims, IdTokenFacts, UserSubject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL;
use custos_core::aadsts::{SignInError, TokenError, UserFlowError};
use custos_core::consent::Platform;
use custos_core::model::{AccessTokenSigningAlgorithm, Application, TokenVersion};
use custos_core::sign_in::AuthorizeEndpoint;
use custos_core::users::{DEFAULT_USER_ROLE, User};
use custos_core::{AppId, TenantId};
use custos_store::{RefreshGrant, RefreshToken, TenantSnapshot};
use scopes::Asked;
use serde::Serialize;
use uuid::Uuid;

pub(crate) use scopes::OIDC_SCOPES;

/// ID tokens live an hour (Entra's default).
const ID_TOKEN_LIFETIME_SECS: i64 = 3600;
/// Refresh tokens expire after 90 days without use.
const REFRESH_WINDOW_SECS: i64 = 90 * 86_400;
/// A single-page app's refresh-token family ends 24 hours after it started.
const SPA_FAMILY_SECS: i64 = 86_400;

/// What a user-flow request produced.
#[derive(Debug)]
pub(crate) struct UserIssued {
    /// The access token and its times.
    pub(crate) access: Issued,
    /// The response's `scope`.
    pub(crate) scope: String,
    /// A new refresh token, when one was asked for.
    pub(crate) refresh_token: Option<String>,
    /// An ID token, when one was asked for.
    pub(crate) id_token: Option<String>,
    /// `client_info`, when `client_info=1` was sent.
    pub(crate) client_info: Option<String>,
}

/// The request facts a user flow needs beyond the form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// Which token endpoint was called.
    pub(crate) endpoint: AuthorizeEndpoint,
    /// The path's tenant segment.
    pub(crate) tenant_segment: &'a str,
    /// The `Origin` header (browser requests).
    pub(crate) origin: Option<&'a str>,
}

/// Whether `grant_type` names a user flow.
pub(crate) fn is_user_flow(grant_type: Option<&str>) -> bool {
    matches!(grant_type, Some("authorization_code" | "refresh_token" | "password"))
}

/// Runs the user flow the request's `grant_type` names.
pub(crate) async fn issue(
    auth: &Authority,
    call: Call<'_>,
    req: &TokenRequest,
    trail: &mut Trail,
) -> Result<UserIssued, TokenError> {
    match req.grant_type.as_deref() {
        Some("authorization_code") => code::redeem(auth, call, req, trail).await,
        Some("refresh_token") => refresh::refresh(auth, call, req, trail).await,
        Some("password") => password::password(auth, call, req, trail).await,
        other => Err(TokenError::UnsupportedGrantType(other.unwrap_or_default().to_owned())),
    }
}

/// A client identified in a user flow: its registration, as seen from the user's tenant.
struct ClientIn<'s> {
    app: &'s Application,
    auth: ClientAuth,
}

/// Finds and authenticates the client by the rules of the platform its redirect URI belongs to
/// (`entra-user-flows.md` §3.2): web clients authenticate; public and single-page clients send
/// no credential; single-page redemptions are cross-origin, others are not.
async fn client<'s>(
    auth: &Authority,
    snapshot: &'s TenantSnapshot,
    home: Option<&'s TenantSnapshot>,
    req: &TokenRequest,
    platform: Platform,
    call: Call<'_>,
) -> Result<ClientIn<'s>, TokenError> {
    let client_id = req.client_id.as_deref().ok_or(TokenError::MissingParameter("client_id"))?;
    let Some(app) = issue::find_client(snapshot, home, client_id) else {
        issue::burn_secret(&auth.hasher, &req.credential);
        return Err(TokenError::UnknownClient {
            client_id: client_id.to_owned(),
            tenant: snapshot.tenant.id.to_string(),
        });
    };
    let presented = !matches!(req.credential, ClientCredential::None);
    match (platform, call.origin) {
        (Platform::Spa, None) => return Err(UserFlowError::SpaNeedsCrossOrigin.into()),
        (Platform::Web | Platform::PublicClient, Some(_)) => {
            return Err(UserFlowError::CrossOriginNotSpa.into());
        }
        _ => {}
    }
    let client_auth = match platform {
        Platform::Web => {
            let method =
                issue::authenticate_client(auth, snapshot, call.tenant_segment, app, &req.credential).await?;
            if let ClientAuth::Certificate(assertion) = &method {
                let mode = snapshot.settings.assertion_replay;
                auth.assertions.check_replay(snapshot.tenant.id, app, assertion, mode).await?;
            }
            method
        }
        Platform::PublicClient | Platform::Spa if presented => {
            return Err(UserFlowError::PublicClientCredential.into());
        }
        Platform::PublicClient | Platform::Spa => ClientAuth::Public,
    };
    Ok(ClientIn { app, auth: client_auth })
}

/// The user a grant names, if they may still get tokens.
async fn live_user(
    auth: &Authority,
    tenant: TenantId,
    user: custos_core::ObjectId,
) -> Result<User, TokenError> {
    let found = auth.directory.store().user(tenant, user).await.map_err(|e| unavailable(&e))?;
    let user = found
        .ok_or_else(|| UserFlowError::UserDeleted { user: user.to_string(), tenant: tenant.to_string() })?;
    if !user.account_enabled {
        return Err(SignInError::UserDisabled.into());
    }
    Ok(user)
}

/// Everything [`mint`] signs for.
struct Grant<'a> {
    snapshot: &'a TenantSnapshot,
    client: &'a ClientIn<'a>,
    user: &'a User,
    asked: &'a Asked,
    endpoint: AuthorizeEndpoint,
    amr: &'a [String],
    auth_time: i64,
    nonce: Option<&'a str>,
    client_info: bool,
    /// The refresh-token family to continue (refresh) or start (code, password).
    family: Family<'a>,
}

enum Family<'a> {
    Start { id: Uuid, platform: Platform },
    Continue { grant: &'a RefreshGrant, presented_hash: [u8; 32] },
}

/// Resolves the resource and the consented permissions, then signs the tokens and stores the
/// refresh token.
async fn mint(auth: &Authority, grant: Grant<'_>) -> Result<UserIssued, TokenError> {
    let Grant { snapshot, client, user, asked, endpoint, .. } = &grant;
    let tenant = snapshot.tenant.id;
    let unknown_resource =
        || TokenError::UnknownResource { resource: asked.resource.clone(), tenant: tenant.to_string() };
    let resource_app = snapshot.application_by_identifier(&asked.resource).ok_or_else(unknown_resource)?;
    let resource_sp = snapshot.service_principal(resource_app.app_id).ok_or_else(unknown_resource)?;
    if !resource_sp.account_enabled {
        return Err(TokenError::DisabledResource { resource: asked.resource.clone() });
    }
    let client_sp =
        snapshot.service_principal(client.app.app_id).ok_or_else(|| consent_required(client.app))?;
    let consented: Vec<&str> = snapshot
        .delegated_scopes(client_sp.id, resource_sp.id, user.id)
        .into_iter()
        .filter(|s| !OIDC_SCOPES.contains(s))
        .collect();
    let granted: Vec<&str> = if asked.values.is_empty() {
        consented
    } else {
        if let Some(missing) = asked.values.iter().find(|v| !consented.contains(&v.as_str())) {
            return Err(match grant.family {
                Family::Continue { .. } => UserFlowError::InvalidScope(missing.clone()).into(),
                Family::Start { .. } => consent_required(client.app),
            });
        }
        asked.values.iter().map(String::as_str).collect()
    };
    if granted.is_empty() {
        return Err(consent_required(client.app));
    }

    let version = resource_app.access_token_version();
    let now = auth.clock.unix();
    let wids = directory_roles(auth, tenant, user).await?;
    let issuer = auth.issuer(tenant, version);
    let subject = UserSubject {
        issuer: &issuer,
        user,
        client: client.app.app_id,
        client_acr: client.auth.acr(),
        tenant,
        amr: grant.amr,
        wids: &wids,
    };
    let audience = match version {
        TokenVersion::V1 => asked.resource.clone(),
        TokenVersion::V2 => resource_app.app_id.to_string(),
    };
    let scp = granted.join(" ");
    let sub = pairwise(auth, "at", tenant, user, resource_app.app_id);
    let lifetime = auth.config.token_lifetime_secs;
    let at = Lifetime { issued_at: now - ISSUED_AT_SKEW_SECS, expires: now + lifetime };
    let at_opaque = opaque()?;
    let claims = DelegatedClaims::new(version, &subject, &audience, &scp, &sub, at, &at_opaque);
    let access_token =
        crate::issue::sign_token(auth, version, resource_app.access_token_signing_algorithm, &claims)?;

    let id_token = if asked.openid(*endpoint) {
        let id_version = match endpoint {
            AuthorizeEndpoint::V1 => TokenVersion::V1,
            AuthorizeEndpoint::V2 => TokenVersion::V2,
        };
        let id_issuer = auth.issuer(tenant, id_version);
        let id_subject = UserSubject { issuer: &id_issuer, ..subject };
        let id_sub = pairwise(auth, "id", tenant, user, client.app.app_id);
        let facts = IdTokenFacts { nonce: grant.nonce, auth_time: grant.auth_time, sub: &id_sub };
        let id_at = Lifetime { issued_at: now - ISSUED_AT_SKEW_SECS, expires: now + ID_TOKEN_LIFETIME_SECS };
        let id_opaque = opaque()?;
        Some(sign(auth, id_version, &IdTokenClaims::new(id_version, &id_subject, &facts, id_at, &id_opaque))?)
    } else {
        None
    };

    let refresh_token =
        if asked.offline(*endpoint) { Some(store_refresh_token(auth, &grant, now).await?) } else { None };
    let client_info = grant.client_info.then(|| client_info(user.id, tenant));
    Ok(UserIssued {
        access: Issued {
            access_token,
            expires_in: lifetime,
            expires_on: at.expires,
            not_before: at.issued_at,
            resource: asked.resource.clone(),
        },
        scope: asked.response_scope(*endpoint, &granted),
        refresh_token,
        id_token,
        client_info,
    })
}

fn consent_required(client: &Application) -> TokenError {
    UserFlowError::ConsentRequired {
        app_id: client.app_id.to_string(),
        display_name: client.display_name.clone(),
    }
    .into()
}

/// `wids`: the user's directory roles and the default user role.
async fn directory_roles(auth: &Authority, tenant: TenantId, user: &User) -> Result<Vec<String>, TokenError> {
    let all = auth.directory.store().directory_role_assignments(tenant).await.map_err(|e| unavailable(&e))?;
    let mut wids: Vec<String> =
        all.iter().filter(|a| a.principal_id == user.id).map(|a| a.role_definition_id.to_string()).collect();
    wids.push(DEFAULT_USER_ROLE.to_string());
    Ok(wids)
}

/// A pairwise `sub`: 43 base64url characters, stable for (purpose, tenant, user, other party)
/// and unlinkable across other parties.
fn pairwise(auth: &Authority, purpose: &str, tenant: TenantId, user: &User, other: AppId) -> String {
    URL.encode(auth.hasher.hash(&format!("sub\u{1f}{purpose}\u{1f}{tenant}\u{1f}{}\u{1f}{other}", user.id)))
}

/// `client_info`: base64url without padding of `{"uid":…,"utid":…}`.
pub(crate) fn client_info(user: custos_core::ObjectId, tenant: TenantId) -> String {
    URL.encode(format!(r#"{{"uid":"{user}","utid":"{tenant}"}}"#))
}

fn opaque() -> Result<Opaque, TokenError> {
    Opaque::generate().ok_or_else(|| {
        tracing::error!("token request failed: the random number generator failed");
        TokenError::TemporarilyUnavailable
    })
}

/// Signs an ID token (always RS256, as Entra).
fn sign(auth: &Authority, version: TokenVersion, claims: &impl Serialize) -> Result<String, TokenError> {
    crate::issue::sign_token(auth, version, AccessTokenSigningAlgorithm::Rs256, claims)
}

/// A fresh refresh token: its value and its SHA-256.
fn new_refresh_token() -> Result<(String, [u8; 32]), TokenError> {
    let bytes: [u8; 32] = custos_jose::random::array().map_err(|_| TokenError::TemporarilyUnavailable)?;
    let token = format!("1.{}", URL.encode(bytes));
    let hash = custos_jose::hash::sha256(token.as_bytes());
    Ok((token, hash))
}

/// Stores the next refresh token of the grant's family: the first of a new family, or the
/// successor of the presented one (spending it).
async fn store_refresh_token(auth: &Authority, grant: &Grant<'_>, now: i64) -> Result<String, TokenError> {
    let (token, token_hash) = new_refresh_token()?;
    match &grant.family {
        Family::Start { id, platform } => {
            let deadline = (*platform == Platform::Spa).then_some(now + SPA_FAMILY_SECS);
            let family = RefreshGrant {
                id: *id,
                tenant_id: grant.snapshot.tenant.id,
                user_id: grant.user.id,
                client_id: grant.client.app.app_id,
                platform: *platform,
                created: now,
                deadline,
            };
            let first = RefreshToken {
                token_hash,
                grant_id: *id,
                issued_at: now,
                expires: window_end(now, deadline),
            };
            match auth.directory.store().start_refresh_grant(&family, &first).await {
                Ok(()) => Ok(token),
                // A replay of the code revoked the family before it started.
                Err(custos_store::StoreError::Conflict(_)) => Err(UserFlowError::CodeRedeemed.into()),
                Err(e) => Err(unavailable(&e)),
            }
        }
        Family::Continue { grant: family, presented_hash } => {
            let successor = RefreshToken {
                token_hash,
                grant_id: family.id,
                issued_at: now,
                expires: window_end(now, family.deadline),
            };
            let used = auth.directory.store().rotate_refresh_token(presented_hash, &successor, now).await;
            match used.map_err(|e| unavailable(&e))? {
                custos_store::RefreshUse::Rotated => Ok(token),
                custos_store::RefreshUse::Expired => Err(UserFlowError::ExpiredGrant.into()),
                custos_store::RefreshUse::Unknown => Err(UserFlowError::MalformedGrant.into()),
                custos_store::RefreshUse::Reused | custos_store::RefreshUse::Revoked => {
                    Err(UserFlowError::GrantRevoked.into())
                }
            }
        }
    }
}

fn window_end(now: i64, deadline: Option<i64>) -> i64 {
    let sliding = now + REFRESH_WINDOW_SECS;
    deadline.map_or(sliding, |d| d.min(sliding))
}

//! The client-credentials grant: from a parsed [`TokenRequest`] to a signed access token or a
//! [`TokenError`], in Entra's order of checks (tenant, grant type, client id, resource
//! parameter, client, credential, client principal, resource, roles).

use crate::Authority;
use crate::assertion::Authenticated;
use crate::claims::{AccessTokenClaims, Lifetime, Opaque, Subject, TokenHeader};
use crate::federation::Federation;
use crate::form::{ClientCredential, TokenRequest};
use custos_core::aadsts::{TokenError, UserFlowError};
use custos_core::model::{
    AccessTokenSigningAlgorithm, Application, PasswordCredential, ServicePrincipal, ServicePrincipalType,
    TokenVersion,
};
use custos_core::scope::{MAX_SCOPE_LEN, resource_from_scope};
use custos_core::settings::AssertionReplayMode;
use custos_core::sign_in_log::{ClientCredentialType, SignInCredential, SignInUser};
use custos_core::{AppId, TenantId};
use custos_jose::secret::{MAX_PRESENTED_SECRET_LEN, SecretHasher};
use custos_store::{Needs, StoreError, TenantSnapshot};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// Entra's clock skew: `iat` and `nbf` are set this many seconds before issuance.
pub const ISSUED_AT_SKEW_SECS: i64 = 300;

/// Which token endpoint was called (this decides the response shape, not the token format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/{tenant}/oauth2/token`: `resource=`, string-valued response.
    V1,
    /// `/{tenant}/oauth2/v2.0/token`: `scope=`, number-valued response.
    V2,
}

impl From<Endpoint> for custos_core::sign_in::AuthorizeEndpoint {
    fn from(endpoint: Endpoint) -> Self {
        match endpoint {
            Endpoint::V1 => Self::V1,
            Endpoint::V2 => Self::V2,
        }
    }
}

/// The alias a tenant segment names (`common`, `organizations`, `consumers`, any case), if any.
pub(crate) fn alias(segment: &str) -> Option<&'static str> {
    ["common", "organizations", "consumers"].into_iter().find(|a| a.eq_ignore_ascii_case(segment))
}

/// A signed token and what the response reports about it.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) expires_in: i64,
    pub(crate) expires_on: i64,
    pub(crate) not_before: i64,
    /// The resource as requested.
    pub(crate) resource: String,
}

/// What the request log line and the sign-in record report, filled in as the checks pass.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    pub(crate) tenant: Option<TenantId>,
    pub(crate) client_id: Option<String>,
    pub(crate) resource: Option<String>,
    /// The user of a user flow: as found, or as typed (password grant) until found.
    pub(crate) user: Option<SignInUser>,
    /// The client's credential, by identifiers, once it authenticated.
    pub(crate) credential: Option<SignInCredential>,
    /// What kind of credential the request presented.
    pub(crate) presented: Option<ClientCredentialType>,
    /// The permission names asked for (`scope`).
    pub(crate) scopes: Vec<String>,
    /// Whether the grant is a user flow (code, refresh, password).
    pub(crate) user_flow: bool,
}

impl Trail {
    /// Notes the user a flow is for.
    pub(crate) fn user(&mut self, user: &custos_core::users::User) {
        self.user = Some(SignInUser {
            id: Some(user.id),
            principal_name: user.user_principal_name.clone(),
            display_name: Some(user.display_name.clone()),
        });
    }
}

pub(crate) fn unavailable(e: &StoreError) -> TokenError {
    tracing::warn!(error = %e, "token request failed: storage error");
    TokenError::TemporarilyUnavailable
}

/// Runs the client-credentials grant.
pub(crate) async fn client_credentials(
    auth: &Authority,
    endpoint: Endpoint,
    tenant_segment: &str,
    req: &TokenRequest,
    trail: &mut Trail,
) -> Result<Issued, TokenError> {
    if alias(tenant_segment).is_some() {
        return Err(TokenError::GrantNotSupportedOnAlias);
    }
    // Read now to name what the request reads of the tenant; refused in Entra's order below.
    let resource = requested_resource(endpoint, req)
        .map(|resource| custos_core::resource_alias::canonical(auth.config.origins.graph(), resource));
    let mut needs = Needs::client(req.client_id.as_deref().unwrap_or_default());
    if let Ok(resource) = &resource {
        needs = needs.and_resource(resource.clone());
    }
    let snapshot = tenant_snapshot(auth, tenant_segment, &needs).await?;
    let tenant = snapshot.tenant.id;
    trail.tenant = Some(tenant);

    match req.grant_type.as_deref() {
        None => return Err(TokenError::MissingParameter("grant_type")),
        Some("client_credentials") => {}
        Some(other) => return Err(TokenError::UnsupportedGrantType(other.to_owned())),
    }
    let client_id = req.client_id.as_deref().ok_or(TokenError::MissingParameter("client_id"))?;
    let resource = resource?;
    trail.resource = Some(resource.clone());

    let home = foreign_home(auth, &snapshot, client_id).await?;
    let Some(client) = find_client(&snapshot, home.as_deref(), client_id) else {
        burn_secret(&auth.hasher, &req.credential);
        return Err(TokenError::UnknownClient {
            client_id: client_id.to_owned(),
            tenant: tenant.to_string(),
        });
    };
    let method = authenticate_client(auth, &snapshot, tenant_segment, client, &req.credential).await?;
    trail.credential = Some(method.describe(client));
    let replay_mode = snapshot.settings.assertion_replay;
    // Strict mode spends the jti before any later check, so a refused request cannot be retried
    // with the same assertion either.
    if let ClientAuth::Certificate(assertion) = &method
        && replay_mode == AssertionReplayMode::Strict
    {
        auth.assertions.check_replay(tenant, client, assertion, replay_mode).await?;
    }

    let authorized = authorize(&snapshot, client, client_id, &resource)
        .map_err(|e| foreign_error(e, home.is_some(), client, tenant))?;

    // Compat mode: the marker is committed while the token is signed; the token is returned
    // only once the marker is durable and the assertion is not a replay.
    let pending = match &method {
        ClientAuth::Certificate(assertion) if replay_mode == AssertionReplayMode::Compat => {
            Some(auth.assertions.begin_replay_check(tenant, client, assertion, replay_mode).await?)
        }
        _ => None,
    };
    let issued = mint(auth, tenant, client, &authorized, resource, method.acr());
    if let Some(pending) = pending {
        pending.finish().await?;
    }
    issued
}

/// What an authenticated client may receive for one resource: its principal, the resource and
/// the role values assigned to the principal on it.
#[derive(Debug)]
pub(crate) struct Authorized<'s> {
    principal: &'s ServicePrincipal,
    resource_app: &'s Application,
    roles: Vec<&'s str>,
}

/// The checks after client authentication, in Entra's order: the client's principal (present,
/// enabled), the resource (known, enabled), the assignment it may require, and the roles.
/// `client_id` is the client id as the request spelled it (for error messages).
pub(crate) fn authorize<'s>(
    snapshot: &'s TenantSnapshot,
    client: &'s Application,
    client_id: &str,
    resource: &str,
) -> Result<Authorized<'s>, TokenError> {
    let tenant = snapshot.tenant.id;
    // An application without a service principal is not "in the directory" (700016); one whose
    // principal is disabled gets 7000112.
    let principal = snapshot.service_principal(client.app_id).ok_or_else(|| TokenError::UnknownClient {
        client_id: client_id.to_owned(),
        tenant: tenant.to_string(),
    })?;
    if !principal.account_enabled {
        return Err(TokenError::DisabledApplication {
            app_id: client.app_id.to_string(),
            display_name: client.display_name.clone(),
        });
    }

    let unknown_resource =
        || TokenError::UnknownResource { resource: resource.to_owned(), tenant: tenant.to_string() };
    let resource_app = snapshot.application_by_identifier(resource).ok_or_else(unknown_resource)?;
    let resource_sp = snapshot.service_principal(resource_app.app_id).ok_or_else(unknown_resource)?;
    if !resource_sp.account_enabled {
        return Err(TokenError::DisabledResource { resource: resource.to_owned() });
    }
    let assigned = snapshot.assigned_role_ids(principal.id, resource_sp.id);
    // Any assignment counts, including Graph's default-access role (the nil GUID), which
    // grants access without putting a role into the token.
    if assigned.is_empty() && resource_sp.app_role_assignment_required {
        return Err(TokenError::AssignmentRequired {
            app_id: client.app_id.to_string(),
            resource: resource_app.app_id.to_string(),
        });
    }

    let mut roles: Vec<&str> = assigned
        .iter()
        .filter_map(|id| resource_app.role_by_id(*id))
        .filter(|role| role.is_enabled)
        .filter_map(|role| role.value.as_deref())
        .collect();
    roles.sort_unstable();
    roles.dedup();
    Ok(Authorized { principal, resource_app, roles })
}

/// Signs the access token [`authorize`] allowed; `acr` is `appidacr`/`azpacr` ("1" secret,
/// "2" certificate or managed identity). The lifetime is the managed-identity one for a
/// `ManagedIdentity` principal.
pub(crate) fn mint(
    auth: &Authority,
    tenant: TenantId,
    client: &Application,
    authorized: &Authorized<'_>,
    resource: String,
    acr: &'static str,
) -> Result<Issued, TokenError> {
    let Authorized { principal, resource_app, roles } = authorized;
    let version = resource_app.access_token_version();
    let issuer = auth.issuer(tenant, version);
    let resource_app_id;
    let audience = match version {
        TokenVersion::V1 => resource.as_str(),
        TokenVersion::V2 => {
            resource_app_id = resource_app.app_id.to_string();
            resource_app_id.as_str()
        }
    };
    let subject = Subject {
        audience,
        issuer: &issuer,
        client: client.app_id,
        principal: principal.id,
        tenant,
        roles,
        acr,
    };
    let now = auth.clock.unix();
    let lifetime = match principal.service_principal_type {
        ServicePrincipalType::ManagedIdentity => auth.config.mi_token_lifetime_secs,
        ServicePrincipalType::Application => auth.config.token_lifetime_secs,
    };
    let at = Lifetime { issued_at: now - ISSUED_AT_SKEW_SECS, expires: now + lifetime };
    let access_token = sign(auth, version, resource_app.access_token_signing_algorithm, &subject, at)?;
    Ok(Issued {
        access_token,
        expires_in: lifetime,
        expires_on: at.expires,
        not_before: at.issued_at,
        resource,
    })
}

/// What the request reads of the tenant the path names: its snapshot, or its slice for `needs`
/// ([`custos_store::Directory::snapshot_for`]).
pub(crate) async fn tenant_snapshot(
    auth: &Authority,
    segment: &str,
    needs: &Needs,
) -> Result<Arc<TenantSnapshot>, TokenError> {
    let unknown = || TokenError::UnknownTenant(segment.to_owned());
    let tenant =
        auth.directory.resolve_tenant(segment).await.map_err(|e| unavailable(&e))?.ok_or_else(unknown)?;
    auth.directory.snapshot_for(tenant.id, needs).await.map_err(|e| unavailable(&e))?.ok_or_else(unknown)
}

/// The resource the request names: v2 `scope` (`resource` forbidden), v1 `resource`.
fn requested_resource(endpoint: Endpoint, req: &TokenRequest) -> Result<String, TokenError> {
    match endpoint {
        Endpoint::V2 => {
            if req.resource.is_some() {
                return Err(TokenError::ResourceOnV2);
            }
            resource_from_scope(req.scope.as_deref().ok_or(TokenError::MissingParameter("scope"))?)
        }
        Endpoint::V1 => {
            let resource = req.resource.as_deref().ok_or(TokenError::MissingParameter("resource"))?;
            if resource.len() > MAX_SCOPE_LEN {
                return Err(TokenError::InvalidParameter("resource"));
            }
            Ok(resource.to_owned())
        }
    }
}

/// The client `client_id` names: its registration in the tenant, or else in `home`, the
/// snapshot of the multi-tenant application's own tenant ([`foreign_home`]).
pub(crate) fn find_client<'s>(
    snapshot: &'s TenantSnapshot,
    home: Option<&'s TenantSnapshot>,
    client_id: &str,
) -> Option<&'s Application> {
    let app_id: AppId = client_id.parse().ok()?;
    snapshot.application(app_id).or_else(|| home?.application(app_id).filter(|app| app.is_multi_tenant()))
}

/// For a client not registered in the tenant: the snapshot of the tenant where it is
/// registered as a multi-tenant application, if any. One store read per request of such a
/// client (an unknown client id costs the same read).
pub(crate) async fn foreign_home(
    auth: &Authority,
    snapshot: &TenantSnapshot,
    client_id: &str,
) -> Result<Option<Arc<TenantSnapshot>>, TokenError> {
    let Ok(app_id) = client_id.parse::<AppId>() else { return Ok(None) };
    if snapshot.application(app_id).is_some() {
        return Ok(None);
    }
    let registrations =
        auth.directory.store().applications_by_app_id(app_id).await.map_err(|e| unavailable(&e))?;
    let Some(home) = registrations.into_iter().find(Application::is_multi_tenant) else { return Ok(None) };
    auth.directory.snapshot_for(home.tenant_id, &Needs::client(client_id)).await.map_err(|e| unavailable(&e))
}

/// A multi-tenant client without a service principal in the tenant has not been consented to
/// there: Entra's 7000229 rather than 700016.
pub(crate) fn foreign_error(
    error: TokenError,
    foreign: bool,
    client: &Application,
    tenant: TenantId,
) -> TokenError {
    match error {
        TokenError::UnknownClient { .. } if foreign => UserFlowError::MissingServicePrincipal {
            app_id: client.app_id.to_string(),
            tenant: tenant.to_string(),
        }
        .into(),
        other => other,
    }
}

/// Authenticates the client with its credential: a secret, a certificate assertion or a
/// federated token. The replay check of a certificate assertion is the caller's.
/// `tenant_segment` is the path's (a certificate assertion may be addressed to the token
/// endpoint the request came to, `/common/…` included).
pub(crate) async fn authenticate_client(
    auth: &Authority,
    snapshot: &TenantSnapshot,
    tenant_segment: &str,
    client: &Application,
    credential: &ClientCredential,
) -> Result<ClientAuth, TokenError> {
    match credential {
        ClientCredential::Assertion { assertion, assertion_type }
            if Federation::is_federated(client, assertion.expose()) =>
        {
            let matched =
                auth.federation.authenticate(client, assertion.expose(), assertion_type.as_deref()).await?;
            Ok(ClientAuth::Federated { credential_id: matched.id })
        }
        _ => authenticate(auth, snapshot, tenant_segment, client, credential),
    }
}

/// Hashes a presented secret although there is nothing to compare it with, so that an unknown
/// client takes as long as a wrong secret.
pub(crate) fn burn_secret(hasher: &SecretHasher, credential: &ClientCredential) {
    if let ClientCredential::Secret(secret) = credential
        && secret.expose().len() <= MAX_PRESENTED_SECRET_LEN
    {
        std::hint::black_box(hasher.verify(secret.expose(), &[0u8; 32]));
    }
}

/// How the client authenticated.
#[derive(Debug)]
pub(crate) enum ClientAuth {
    /// With a client secret (its `keyId`).
    Secret { key_id: Uuid },
    /// With a certificate-signed assertion (its replay check still to come).
    Certificate(Authenticated),
    /// With an external issuer's token matching a federated identity credential (reusable
    /// until it expires: no replay check).
    Federated { credential_id: Uuid },
    /// Not at all: a public client (desktop, mobile or single-page app) in a user flow.
    Public,
}

impl ClientAuth {
    /// `appidacr`/`azpacr`.
    pub(crate) fn acr(&self) -> &'static str {
        match self {
            Self::Public => "0",
            Self::Secret { .. } => "1",
            Self::Certificate(_) | Self::Federated { .. } => "2",
        }
    }

    /// The credential for the sign-in record: its kind and identifiers, never its value.
    pub(crate) fn describe(&self, client: &Application) -> SignInCredential {
        match self {
            Self::Public => SignInCredential { kind: Some(ClientCredentialType::None), ..Default::default() },
            Self::Secret { key_id } => SignInCredential {
                kind: Some(ClientCredentialType::ClientSecret),
                key_id: Some(*key_id),
                ..Default::default()
            },
            Self::Certificate(assertion) => {
                let thumbprint = assertion.thumbprint();
                // Matched by the certificate itself (`customKeyIdentifier` is whatever the
                // registration said).
                let key = client
                    .key_credentials
                    .iter()
                    .find(|k| custos_jose::hash::sha1(&k.certificate_der) == thumbprint);
                SignInCredential {
                    kind: Some(ClientCredentialType::Certificate),
                    key_id: key.map(|k| k.key_id),
                    thumbprint: Some(thumbprint.iter().map(|b| format!("{b:02X}")).collect()),
                    federated_credential_id: None,
                }
            }
            Self::Federated { credential_id } => SignInCredential {
                kind: Some(ClientCredentialType::FederatedIdentityCredential),
                federated_credential_id: Some(credential_id.to_string()),
                ..Default::default()
            },
        }
    }
}

/// Checks the client's credential.
fn authenticate(
    auth: &Authority,
    snapshot: &TenantSnapshot,
    tenant_segment: &str,
    client: &Application,
    credential: &ClientCredential,
) -> Result<ClientAuth, TokenError> {
    let app_id = || client.app_id.to_string();
    match credential {
        ClientCredential::None => Err(TokenError::NoCredential),
        ClientCredential::Assertion { assertion, assertion_type } => auth
            .assertions
            .authenticate(
                &auth.config.origins,
                &snapshot.tenant,
                alias(tenant_segment),
                client,
                assertion.expose(),
                assertion_type.as_deref(),
            )
            .map(ClientAuth::Certificate),
        ClientCredential::Secret(secret) => {
            let presented = secret.expose();
            if presented.len() > MAX_PRESENTED_SECRET_LEN {
                return Err(TokenError::InvalidSecret { app_id: app_id() });
            }
            match secret_match(&auth.hasher, &client.password_credentials, presented, auth.clock.now()) {
                SecretMatch::Valid(key_id) => Ok(ClientAuth::Secret { key_id }),
                SecretMatch::OnlyExpired => Err(TokenError::ExpiredSecret { app_id: app_id() }),
                SecretMatch::None => Err(TokenError::InvalidSecret { app_id: app_id() }),
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum SecretMatch {
    /// The `keyId` of the credential that matched.
    Valid(Uuid),
    OnlyExpired,
    None,
}

/// Compares `presented` with every credential (no early exit), each in constant time.
fn secret_match(
    hasher: &SecretHasher,
    credentials: &[PasswordCredential],
    presented: &str,
    now: OffsetDateTime,
) -> SecretMatch {
    let mut valid = None;
    let mut expired = false;
    for credential in credentials {
        let matches = hasher.verify(presented, credential.secret_hash.expose());
        if matches && credential.start <= now && now < credential.end {
            valid = Some(credential.key_id);
        }
        expired |= matches && credential.end <= now;
    }
    match (valid, expired) {
        (Some(key_id), _) => SecretMatch::Valid(key_id),
        (None, true) => SecretMatch::OnlyExpired,
        (None, false) => SecretMatch::None,
    }
}

fn sign(
    auth: &Authority,
    version: TokenVersion,
    algorithm: AccessTokenSigningAlgorithm,
    subject: &Subject<'_>,
    at: Lifetime,
) -> Result<String, TokenError> {
    let opaque = Opaque::generate().ok_or_else(|| {
        tracing::error!("token request failed: the random number generator failed");
        TokenError::TemporarilyUnavailable
    })?;
    sign_token(auth, version, algorithm, &AccessTokenClaims::new(version, subject, at, &opaque))
}

/// Signs a token with the current key of `algorithm`: the RSA key, or its ES256 companion for
/// access tokens of resources that opted in (ID tokens are always RS256).
pub(crate) fn sign_token(
    auth: &Authority,
    version: TokenVersion,
    algorithm: AccessTokenSigningAlgorithm,
    claims: &impl serde::Serialize,
) -> Result<String, TokenError> {
    let failed = |e: custos_jose::JoseError, kid: &str| {
        tracing::error!(error = %e, kid, "token request failed: signing failed");
        TokenError::TemporarilyUnavailable
    };
    match algorithm {
        AccessTokenSigningAlgorithm::Rs256 => {
            let key = auth.keys.current();
            let header = TokenHeader::new(version, algorithm, key.kid());
            key.sign_compact(&header, claims).map_err(|e| failed(e, key.kid()))
        }
        AccessTokenSigningAlgorithm::Es256 => {
            let key = auth.keys.current_es256().ok_or_else(|| {
                tracing::error!("token request failed: the current signing key has no ES256 key");
                TokenError::TemporarilyUnavailable
            })?;
            let header = TokenHeader::new(version, algorithm, key.kid());
            key.sign_compact(&header, claims).map_err(|e| failed(e, key.kid()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use uuid::Uuid;

    fn credential(hasher: &SecretHasher, secret: &str, start: i64, end: i64) -> PasswordCredential {
        let at = |s| OffsetDateTime::from_unix_timestamp(s).unwrap();
        PasswordCredential {
            key_id: Uuid::new_v4(),
            display_name: None,
            hint: secret[..3].to_owned(),
            start: at(start),
            end: at(end),
            secret_hash: hasher.hash(secret).into(),
        }
    }

    #[test]
    fn secret_matching_distinguishes_valid_expired_and_wrong() {
        let h = SecretHasher::new(&[1; 32]);
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let creds = [credential(&h, "old-secret", 0, 500), credential(&h, "new-secret", 0, 2_000)];
        assert_eq!(secret_match(&h, &creds, "new-secret", now), SecretMatch::Valid(creds[1].key_id));
        assert_eq!(secret_match(&h, &creds, "old-secret", now), SecretMatch::OnlyExpired);
        assert_eq!(secret_match(&h, &creds, "nope", now), SecretMatch::None);
        // Not valid yet: a wrong secret, not an expired one.
        let future = [credential(&h, "later", 1_500, 2_000)];
        assert_eq!(secret_match(&h, &future, "later", now), SecretMatch::None);
        // `end` is exclusive.
        assert_eq!(
            secret_match(&h, &creds, "new-secret", now + Duration::seconds(1_000)),
            SecretMatch::OnlyExpired
        );
    }

    #[test]
    fn aliases_are_case_insensitive() {
        assert_eq!(alias("Common"), Some("common"));
        assert_eq!(alias("organizations"), Some("organizations"));
        assert_eq!(alias("CONSUMERS"), Some("consumers"));
        assert_eq!(alias("contoso.com"), None);
    }
}

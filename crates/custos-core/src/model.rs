//! Directory objects as custos stores them. The Graph JSON shapes live in `custos-directory`;
//! these types are the internal truth both the authority and the directory API read.

use crate::app_properties::{ApplicationProperties, ServicePrincipalProperties};
use crate::consent::{PermissionScope, RedirectUris, RequiredResourceAccess};
use crate::ids::{AppId, ObjectId, TenantId};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A directory tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant GUID (`tid`).
    pub id: TenantId,
    /// The tenant's domain name, e.g. `default.custos.local`; accepted in URLs like the GUID.
    pub domain: String,
    /// A human name.
    pub display_name: String,
    /// When the tenant was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// `signInAudience` of an application that only its own tenant may use (the default).
pub const SIGN_IN_AUDIENCE_MY_ORG: &str = "AzureADMyOrg";
/// `signInAudience` of a multi-tenant application: other tenants may consent to it.
pub const SIGN_IN_AUDIENCE_MULTIPLE_ORGS: &str = "AzureADMultipleOrgs";

/// An application registration (Graph `application`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Object id of the registration.
    pub id: ObjectId,
    /// The tenant that owns it.
    pub tenant_id: TenantId,
    /// The client id.
    pub app_id: AppId,
    /// Display name.
    pub display_name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Application ID URIs (`api://...`, `https://...`), unique within the tenant.
    pub identifier_uris: Vec<String>,
    /// App roles the application defines as a resource.
    pub app_roles: Vec<AppRole>,
    /// `api.requestedAccessTokenVersion`: `None` or `Some(1)` gives v1 tokens, `Some(2)` v2.
    pub requested_access_token_version: Option<u8>,
    /// `signInAudience`, `AzureADMyOrg` by default.
    pub sign_in_audience: String,
    /// Client secrets (only their keyed hashes).
    pub password_credentials: Vec<PasswordCredential>,
    /// Client certificates (`keyCredentials`), the public halves only.
    pub key_credentials: Vec<KeyCredential>,
    /// Trusted external workload identities (`federatedIdentityCredentials`).
    #[serde(default)]
    pub federated_identity_credentials: Vec<FederatedIdentityCredential>,
    /// Delegated permissions the application exposes as a resource (`api.oauth2PermissionScopes`).
    #[serde(default)]
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    /// Permissions the application needs as a client (`requiredResourceAccess`): what consent grants.
    #[serde(default)]
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// Redirect URIs for interactive sign-in (`web`, `publicClient`, `spa`).
    #[serde(default)]
    pub redirect_uris: RedirectUris,
    /// Graph properties stored and returned but not acted on (`notes`, `tags`, `info`, …).
    #[serde(default)]
    pub properties: ApplicationProperties,
    /// How access tokens for this application as a resource are signed (a custos extension;
    /// RS256 unless the application opted in to ES256).
    #[serde(default)]
    pub access_token_signing_algorithm: AccessTokenSigningAlgorithm,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

impl Application {
    /// A new registration with a fresh object id and nothing else set: no URIs, roles or
    /// credentials, v1 tokens, `AzureADMyOrg`.
    pub fn new(tenant_id: TenantId, app_id: AppId, display_name: String, created: OffsetDateTime) -> Self {
        Self {
            id: ObjectId::new_random(),
            tenant_id,
            app_id,
            display_name,
            description: None,
            identifier_uris: Vec::new(),
            app_roles: Vec::new(),
            requested_access_token_version: None,
            sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.to_owned(),
            password_credentials: Vec::new(),
            key_credentials: Vec::new(),
            federated_identity_credentials: Vec::new(),
            oauth2_permission_scopes: Vec::new(),
            required_resource_access: Vec::new(),
            redirect_uris: RedirectUris::default(),
            properties: Default::default(),
            access_token_signing_algorithm: AccessTokenSigningAlgorithm::Rs256,
            created,
        }
    }

    /// Whether other tenants may consent to and use the application (`AzureADMultipleOrgs`).
    pub fn is_multi_tenant(&self) -> bool {
        self.sign_in_audience == SIGN_IN_AUDIENCE_MULTIPLE_ORGS
    }

    /// The enabled delegated permission with this value, if the application exposes one.
    pub fn scope_by_value(&self, value: &str) -> Option<&PermissionScope> {
        self.oauth2_permission_scopes.iter().find(|s| s.is_enabled && s.value == value)
    }

    /// The token format a client receives when it asks for this application as a resource.
    pub fn access_token_version(&self) -> TokenVersion {
        match self.requested_access_token_version {
            Some(2) => TokenVersion::V2,
            _ => TokenVersion::V1,
        }
    }

    /// The enabled role with this value, if the application defines one.
    pub fn role_by_id(&self, id: Uuid) -> Option<&AppRole> {
        self.app_roles.iter().find(|r| r.id == id)
    }
}

/// The JWS algorithm of access tokens issued for a resource application (custos extension;
/// Entra signs every access token with RS256).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessTokenSigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, as Entra: the default.
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256 (opt-in).
    #[serde(rename = "ES256")]
    Es256,
}

impl AccessTokenSigningAlgorithm {
    /// The JOSE name, as stored and shown (`RS256`, `ES256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm of its exact JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

/// Access-token format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenVersion {
    /// `ver: "1.0"`, issuer `{publicUrl}/{tid}/`.
    V1,
    /// `ver: "2.0"`, issuer `{publicUrl}/{tid}/v2.0`.
    V2,
}

/// An app role (Graph `appRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    /// Caller-chosen GUID.
    pub id: Uuid,
    /// `Application` and/or `User`.
    pub allowed_member_types: Vec<String>,
    /// Description shown to admins.
    pub description: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Disabled roles can no longer be assigned and are not put into tokens.
    pub is_enabled: bool,
    /// The string that goes into the `roles` claim.
    pub value: Option<String>,
}

/// A client secret. The secret itself is never stored, only `HMAC-SHA-256(server key, secret)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordCredential {
    /// `keyId`.
    pub key_id: Uuid,
    /// Optional display name.
    pub display_name: Option<String>,
    /// First three characters of the secret.
    pub hint: String,
    /// Valid from.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// Valid until.
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// Keyed hash of the secret, 32 bytes; checked only with `SecretHasher::verify`.
    #[serde(with = "secret_bytes")]
    pub secret_hash: Secret<Vec<u8>>,
}

// `Secret` has no `PartialEq` (secrets are compared in constant time where they authenticate);
// model values compare their stored hash like any other field.
impl PartialEq for PasswordCredential {
    fn eq(&self, other: &Self) -> bool {
        let Self { key_id, display_name, hint, start, end, secret_hash } = self;
        (key_id, display_name, hint, start, end, secret_hash.expose())
            == (
                &other.key_id,
                &other.display_name,
                &other.hint,
                &other.start,
                &other.end,
                other.secret_hash.expose(),
            )
    }
}

impl Eq for PasswordCredential {}

/// Serde of a secret byte field, as the plain bytes (`Secret` itself serializes nowhere).
mod secret_bytes {
    use crate::secret::Secret;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Secret<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.expose().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Secret<Vec<u8>>, D::Error> {
        Vec::<u8>::deserialize(deserializer).map(Secret::new)
    }
}

/// `keyCredential.type` of an X.509 certificate, the only kind custos accepts.
pub const KEY_TYPE_X509: &str = "AsymmetricX509Cert";
/// `keyCredential.usage` of a certificate a client signs assertions with.
pub const KEY_USAGE_VERIFY: &str = "Verify";

/// A client certificate registered on an application (Graph `keyCredential`). Only the
/// certificate is stored; the private key stays with the client.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCredential {
    /// `keyId`, unique within the application.
    pub key_id: Uuid,
    /// Optional display name (Graph defaults it to the certificate's subject).
    pub display_name: Option<String>,
    /// `customKeyIdentifier`: by default the SHA-1 thumbprint of the certificate (20 bytes), the
    /// bytes an assertion's `x5t` header names.
    pub custom_key_identifier: Vec<u8>,
    /// `usage`: [`KEY_USAGE_VERIFY`].
    pub usage: String,
    /// `type`: [`KEY_TYPE_X509`].
    pub key_type: String,
    /// Valid from (by default the certificate's `notBefore`).
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// Valid until (by default the certificate's `notAfter`).
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// The DER X.509 certificate.
    pub certificate_der: Vec<u8>,
}

impl KeyCredential {
    /// Whether the credential may be used at `now` (`start <= now < end`).
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.start <= now && now < self.end
    }
}

// Not derived, though nothing here is secret: the identifier is shown in hex, as Graph and the
// CLI show thumbprints, and the certificate (a kilobyte or more) by its size only.
impl std::fmt::Debug for KeyCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let identifier: String = self.custom_key_identifier.iter().map(|b| format!("{b:02X}")).collect();
        f.debug_struct("KeyCredential")
            .field("key_id", &self.key_id)
            .field("display_name", &self.display_name)
            .field("custom_key_identifier", &identifier)
            .field("usage", &self.usage)
            .field("key_type", &self.key_type)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("certificate_der", &format_args!("<{} bytes>", self.certificate_der.len()))
            .finish()
    }
}

/// The audience a federated identity credential accepts unless it names another.
pub const FEDERATION_DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Trust in the tokens an external OpenID Connect issuer (Kubernetes, a CI system, another
/// custos) mints for one subject (Graph `federatedIdentityCredential`): such a token is accepted
/// as the application's client assertion when `iss`, `sub` and `aud` match exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedIdentityCredential {
    /// Graph `id`.
    pub id: Uuid,
    /// `name`, unique within the application, immutable once created.
    pub name: String,
    /// `issuer`: the external issuer's URL, compared exactly with the token's `iss`.
    pub issuer: String,
    /// `subject`: compared exactly (case-sensitively) with the token's `sub`.
    pub subject: String,
    /// `audiences`: exactly one value, [`FEDERATION_DEFAULT_AUDIENCE`] by default.
    pub audiences: Vec<String>,
    /// Optional `description`.
    pub description: Option<String>,
}

/// What kind of principal a service principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServicePrincipalType {
    /// The local instance of an application registration.
    Application,
    /// A managed identity (no application registration the tenant can edit).
    ManagedIdentity,
}

impl ServicePrincipalType {
    /// The Graph `servicePrincipalType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "Application",
            Self::ManagedIdentity => "ManagedIdentity",
        }
    }
}

/// A service principal (Graph `servicePrincipal`): an application's identity in a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePrincipal {
    /// Object id (`oid`/`sub` of the app's tokens).
    pub id: ObjectId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The application's client id.
    pub app_id: AppId,
    /// Display name (the application's).
    pub display_name: String,
    /// Disabled principals get no tokens (AADSTS7000112).
    pub account_enabled: bool,
    /// When true, clients need an app role assignment to get a token for this resource (AADSTS501051).
    pub app_role_assignment_required: bool,
    /// `Application` or `ManagedIdentity`.
    pub service_principal_type: ServicePrincipalType,
    /// Graph properties stored and returned but not acted on (`notes`, `tags`, `homepage`, …).
    #[serde(default)]
    pub properties: ServicePrincipalProperties,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// An app role granted to a principal on a resource service principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRoleAssignment {
    /// Graph's assignment id: a 43-character base64url string.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The client service principal.
    pub principal_id: ObjectId,
    /// The resource service principal.
    pub resource_id: ObjectId,
    /// The role on the resource's application.
    pub app_role_id: Uuid,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// Lifecycle of a token-signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningKeyState {
    /// Published in the JWKS, not yet signing.
    Next,
    /// Published and signing.
    Current,
    /// Published for verification only, until it is removed.
    Retired,
}

impl SigningKeyState {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Current => "current",
            Self::Retired => "retired",
        }
    }
}

/// A token-signing key as stored: its private key is sealed with the key-encryption key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// `kid` = `x5t`: base64url SHA-1 thumbprint of `certificate_der`.
    pub kid: String,
    /// Lifecycle state.
    pub state: SigningKeyState,
    /// Creation time.
    pub created: OffsetDateTime,
    /// When it starts (or started) signing.
    pub activates: OffsetDateTime,
    /// When it stops being published (set once retired).
    pub retires: Option<OffsetDateTime>,
    /// PKCS#8 private key, sealed (AES-256-GCM) with the key-encryption key.
    pub sealed_private_key: Vec<u8>,
    /// Self-signed certificate wrapping the public key (DER), published as `x5c`.
    pub certificate_der: Vec<u8>,
    /// The P-256 key that signs ES256 access tokens while this key signs RS256 ones: it shares
    /// this key's lifecycle (states and dates). `None` on keys stored before ES256 existed.
    pub es256: Option<Es256KeyRecord>,
}

impl std::fmt::Debug for Es256KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Es256KeyRecord").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The ES256 companion of a [`SigningKeyRecord`], stored in the same row.
#[derive(Clone, PartialEq, Eq)]
pub struct Es256KeyRecord {
    /// `kid` = `x5t` of its own certificate.
    pub kid: String,
    /// PKCS#8 private key, sealed with the key-encryption key (associated data: this `kid`).
    pub sealed_private_key: Vec<u8>,
    /// Self-signed certificate wrapping the P-256 public key (DER), published as `x5c`.
    pub certificate_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("state", &self.state)
            .field("created", &self.created)
            .field("activates", &self.activates)
            .field("retires", &self.retires)
            .field("es256_kid", &self.es256.as_ref().map(|k| &k.kid))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn key_credential() -> KeyCredential {
        KeyCredential {
            key_id: Uuid::nil(),
            display_name: Some("CN=client".to_owned()),
            custom_key_identifier: vec![0xAB, 0x01],
            usage: KEY_USAGE_VERIFY.to_owned(),
            key_type: KEY_TYPE_X509.to_owned(),
            start: datetime!(2025-01-01 0:00 UTC),
            end: datetime!(2026-01-01 0:00 UTC),
            certificate_der: vec![0x30, 0x82, 0x01, 0x02],
        }
    }

    #[test]
    fn key_credential_debug_shows_the_thumbprint_but_not_the_certificate() {
        let shown = format!("{:?}", key_credential());
        assert!(shown.contains("\"AB01\""), "{shown}");
        assert!(shown.contains("<4 bytes>"), "{shown}");
        assert!(!shown.contains("48, 130"), "{shown}");
    }

    #[test]
    fn key_credential_validity_is_half_open() {
        let k = key_credential();
        assert!(!k.is_valid_at(datetime!(2024-12-31 23:59:59 UTC)));
        assert!(k.is_valid_at(datetime!(2025-01-01 0:00 UTC)));
        assert!(!k.is_valid_at(datetime!(2026-01-01 0:00 UTC)));
    }
}

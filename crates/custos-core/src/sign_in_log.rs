//! Sign-in logs: the record of one token-endpoint or sign-in-page decision ([`SignIn`]),
//! success or failure, and its rendering in Microsoft Graph's `signIn` shape for v1.0 and beta
//! ([`SignIn::to_graph`]).
//!
//! - **Which kind**: one [`SignInEventType`] per record: `interactiveUser` (the sign-in pages),
//!   `nonInteractiveUser` (code redemption, refresh, the password grant), `servicePrincipal`
//!   (client credentials) and `managedIdentity` (client credentials of a managed identity).
//! - **How the client proved itself**: a [`ClientCredentialType`] with the `keyId` of the
//!   secret or certificate, the certificate's thumbprint or the federated identity
//!   credential's id ([`SignInCredential`]): identifiers only.
//! - **Outcome**: [`SignInStatus`], the AADSTS number (0 for success) and the first sentence of
//!   the error description ([`first_sentence`]).
//! - **Never a secret**: no field takes a client secret, an assertion, a password, a code or a
//!   token; only ids, names, the address and the outcome.
//!
//! The stored form (serde) leaves out absent values, to keep a row small. Records are written
//! off the hot path by a batching writer and never changed; they belong to
//! the tenant the request addressed ([`SignIn::tenant_id`]; a request naming no known tenant
//! has no record).

use crate::ids::{ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::IpAddr;
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest text kept of a value the client chose (an unknown client id, a user agent, a
/// failure reason quoting the request): longer text is cut, so a record stays small.
pub const MAX_LOGGED_TEXT: usize = 256;

/// What kind of sign-in a record is (Graph's `signInEventTypes`, one value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SignInEventType {
    /// A user signed in on the sign-in pages.
    InteractiveUser,
    /// A client redeemed a user's code or refresh token, or used the password grant.
    NonInteractiveUser,
    /// An application signed in as itself (client credentials).
    ServicePrincipal,
    /// A managed identity signed in.
    ManagedIdentity,
}

impl SignInEventType {
    /// Every kind.
    pub const ALL: [Self; 4] =
        [Self::InteractiveUser, Self::NonInteractiveUser, Self::ServicePrincipal, Self::ManagedIdentity];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InteractiveUser => "interactiveUser",
            Self::NonInteractiveUser => "nonInteractiveUser",
            Self::ServicePrincipal => "servicePrincipal",
            Self::ManagedIdentity => "managedIdentity",
        }
    }

    /// The kind a wire string names (exact spelling, as Graph compares it).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Whether a user signed in (the two user kinds), as opposed to a workload.
    pub fn is_user(self) -> bool {
        matches!(self, Self::InteractiveUser | Self::NonInteractiveUser)
    }
}

/// How the client authenticated (Graph beta's `clientCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientCredentialType {
    /// A public client, or the request failed before the client presented anything usable.
    None,
    /// A client secret.
    ClientSecret,
    /// An assertion signed by one of the application's certificates.
    Certificate,
    /// An external token matching a federated identity credential.
    FederatedIdentityCredential,
    /// Any other client assertion.
    ClientAssertion,
    /// A managed identity's own credential.
    ManagedIdentity,
}

impl ClientCredentialType {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecret => "clientSecret",
            Self::Certificate => "certificate",
            Self::FederatedIdentityCredential => "federatedIdentityCredential",
            Self::ClientAssertion => "clientAssertion",
            Self::ManagedIdentity => "managedIdentity",
        }
    }
}

/// The client's credential, by identifiers only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignInCredential {
    /// How the client authenticated; `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ClientCredentialType>,
    /// The `keyId` of the secret or certificate used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<Uuid>,
    /// The certificate's SHA-1 thumbprint (hex), for a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    /// The id of the federated identity credential matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_credential_id: Option<String>,
}

/// The client application (or managed identity).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignInApp {
    /// The client id as the request named it (cut to [`MAX_LOGGED_TEXT`]); empty when absent.
    pub app_id: String,
    /// The application's name, when it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Its service principal in the tenant (object id and name), for workload sign-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal: Option<(ObjectId, String)>,
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInUser {
    /// The user's object id; `None` when the name matched no user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ObjectId>,
    /// The principal name as stored (lower-cased in the record), or as typed.
    pub principal_name: String,
    /// The display name, when the user was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The API the token was for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignInResource {
    /// The resource application's appId (or the resource as requested when it was not found).
    pub app_id: String,
    /// Its name, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Its service principal's object id, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<ObjectId>,
}

/// The outcome (Graph's `signInStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignInStatus {
    /// The AADSTS number; 0 for success.
    pub error_code: u32,
    /// The first sentence of the error description; `None` for success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl SignInStatus {
    /// A success.
    pub fn success() -> Self {
        Self::default()
    }

    /// A failure with AADSTS `code` and its description (only the first sentence is kept).
    pub fn failure(code: u32, description: &str) -> Self {
        Self { error_code: code, failure_reason: Some(first_sentence(description)) }
    }

    /// Whether the sign-in succeeded.
    pub fn succeeded(&self) -> bool {
        self.error_code == 0
    }
}

/// The record of one sign-in decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    /// Graph's `id`: the request's id, a new GUID.
    pub id: Uuid,
    /// The tenant the request addressed.
    pub tenant_id: TenantId,
    /// When the decision was made (the injected clock's time, to the microsecond).
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Which kind of sign-in.
    pub event_type: SignInEventType,
    /// The client.
    pub app: SignInApp,
    /// The user, for user sign-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<SignInUser>,
    /// The API asked for, when the request got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<SignInResource>,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent` header, cut to [`MAX_LOGGED_TEXT`] ([`user_agent`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The request's `client-request-id` when a GUID, else a new one.
    pub correlation_id: Uuid,
    /// The client's credential.
    pub credential: SignInCredential,
    /// The outcome.
    pub status: SignInStatus,
    /// The permissions asked for (`Oauth Scope Info`), e.g. `[".default"]`.
    pub scopes: Vec<String>,
    /// Whether the request carried a `login_hint` (interactive sign-ins).
    pub login_hint_present: bool,
}

/// Which Graph version a record is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphVersion {
    /// `/v1.0`: the v1.0 `signIn` properties only.
    V1,
    /// `/beta`: also `signInEventTypes`, `clientCredentialType` and the credential ids.
    Beta,
}

/// The first sentence of `text` (through its first `". "`, or all of it), cut to
/// [`MAX_LOGGED_TEXT`] characters.
pub fn first_sentence(text: &str) -> String {
    let sentence = text.find(". ").map_or(text, |end| &text[..=end]);
    cut(sentence)
}

/// The id and time of a record made at `now`: the time kept to the microsecond (as the store
/// keeps times), and a new version-7 GUID carrying that time, so that the ids of later records
/// sort after earlier ones. The store's index on the id then grows at its end instead of at
/// random places: with random (v4) ids, each batch of a thousand records rewrote hundreds of
/// index pages, and the writer spent five times as long in the kernel (BENCHMARKS.md, issue 12).
pub fn id_and_time(now: OffsetDateTime) -> (Uuid, OffsetDateTime) {
    let created = now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now);
    let seconds = u64::try_from(created.unix_timestamp()).unwrap_or(0);
    let timestamp = uuid::Timestamp::from_unix(uuid::NoContext, seconds, created.nanosecond());
    (Uuid::new_v7(timestamp), created)
}

/// The `User-Agent` header (its bytes) as a record keeps it: cut like any text the client
/// chose; left out when absent, blank or not UTF-8.
pub fn user_agent(header: Option<&[u8]>) -> Option<String> {
    let value = std::str::from_utf8(header?).ok()?;
    (!value.trim().is_empty()).then(|| cut(value))
}

/// `text` without control characters (U+0000 cannot be stored), cut to [`MAX_LOGGED_TEXT`]
/// characters: how every value the client chose enters a record.
pub fn cut(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(MAX_LOGGED_TEXT).collect()
}

impl SignIn {
    /// The record in Graph's `signIn` shape.
    pub fn to_graph(&self, version: GraphVersion) -> Value {
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let user = self.user.as_ref();
        let (sp_id, sp_name) = self
            .app
            .service_principal
            .as_ref()
            .map_or((String::new(), String::new()), |(id, name)| (id.to_string(), name.clone()));
        let resource = self.resource.as_ref();
        let client_app_used = if self.event_type.is_user() { "Browser" } else { "" };
        let mut graph = json!({
            "id": self.id.to_string(),
            "createdDateTime": crate::audit::graph_time(self.created),
            "userDisplayName": text(user.and_then(|u| u.display_name.as_deref())),
            "userPrincipalName": user.map(|u| u.principal_name.to_lowercase()).unwrap_or_default(),
            "userId": user.and_then(|u| u.id).map(|id| id.to_string()).unwrap_or_default(),
            "appId": self.app.app_id,
            "appDisplayName": text(self.app.display_name.as_deref()),
            "ipAddress": self.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            "clientAppUsed": client_app_used,
            "correlationId": self.correlation_id.to_string(),
            "conditionalAccessStatus": "notApplied",
            "isInteractive": self.event_type == SignInEventType::InteractiveUser,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes": [],
            "riskEventTypes_v2": [],
            "resourceDisplayName": text(resource.and_then(|r| r.display_name.as_deref())),
            "resourceId": resource.map(|r| r.app_id.clone()).unwrap_or_default(),
            "resourceTenantId": self.tenant_id.to_string(),
            "homeTenantId": self.tenant_id.to_string(),
            "servicePrincipalId": sp_id,
            "servicePrincipalName": sp_name,
            "userAgent": self.user_agent.as_deref().unwrap_or_default(),
            "status": {
                "errorCode": self.status.error_code,
                "failureReason": self.status.failure_reason,
                "additionalDetails": null,
            },
            "deviceDetail": {
                "deviceId": "", "displayName": "", "operatingSystem": "", "browser": "",
                "isCompliant": null, "isManaged": null, "trustType": "",
            },
            "location": {
                "city": "", "state": "", "countryOrRegion": "",
                "geoCoordinates": {"altitude": null, "latitude": null, "longitude": null},
            },
            "appliedConditionalAccessPolicies": [],
        });
        if version == GraphVersion::Beta
            && let Value::Object(fields) = &mut graph
        {
            for (key, value) in self.beta_fields() {
                fields.insert(key.to_owned(), value);
            }
        }
        graph
    }

    /// The properties only beta has.
    fn beta_fields(&self) -> [(&'static str, Value); 12] {
        let credential = &self.credential;
        let managed = (self.event_type == SignInEventType::ManagedIdentity).then(|| {
            json!({"msiType": "userAssigned", "associatedResourceId": null,
                   "federatedTokenId": null, "federatedTokenIssuer": null})
        });
        let mut details = Vec::new();
        if self.login_hint_present {
            details.push(json!({"key": "Login Hint Present", "value": "True"}));
        }
        if !self.scopes.is_empty() {
            let scopes = Value::from(self.scopes.clone()).to_string();
            details.push(json!({"key": "Oauth Scope Info", "value": scopes}));
        }
        let resource_sp = self.resource.as_ref().and_then(|r| r.service_principal_id);
        [
            ("signInEventTypes", json!([self.event_type.as_str()])),
            ("clientCredentialType", json!(credential.kind.unwrap_or(ClientCredentialType::None).as_str())),
            (
                "servicePrincipalCredentialKeyId",
                json!(credential.key_id.map(|id| id.to_string()).unwrap_or_default()),
            ),
            (
                "servicePrincipalCredentialThumbprint",
                json!(credential.thumbprint.clone().unwrap_or_default()),
            ),
            ("federatedCredentialId", json!(credential.federated_credential_id.clone().unwrap_or_default())),
            ("managedServiceIdentity", managed.unwrap_or(Value::Null)),
            ("resourceServicePrincipalId", json!(resource_sp.map(|id| id.to_string()).unwrap_or_default())),
            ("authenticationProcessingDetails", Value::Array(details)),
            ("authenticationRequirement", json!("singleFactorAuthentication")),
            ("tokenIssuerType", json!("AzureAD")),
            ("tokenIssuerName", json!("")),
            ("userType", if self.event_type.is_user() { json!("member") } else { Value::Null }),
        ]
    }
}

#[cfg(test)]
mod tests;

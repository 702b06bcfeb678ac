//! What an authorization code stands for ([`CodeGrant`]): written by the sign-in pages when they
//! issue a code, read by the token endpoint when the client redeems it. The store keeps it as an
//! opaque document under the code's hash.

use crate::consent::Platform;
use crate::ids::{AppId, ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which authorize endpoint a code came from; the token endpoint of the same version redeems it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthorizeEndpoint {
    /// `/{tenant}/oauth2/authorize` (`resource=`).
    V1,
    /// `/{tenant}/oauth2/v2.0/authorize` (`scope=`).
    V2,
}

/// Everything an authorization code carries to the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeGrant {
    /// The endpoint version that issued the code.
    pub endpoint: AuthorizeEndpoint,
    /// The path tenant segment the code was issued on, lower-cased (`common`, `organizations`, a
    /// GUID or a domain): it must be redeemed on the same one (AADSTS700005).
    pub issued_on: String,
    /// The tenant the user signed in to: the `tid` of the tokens.
    pub tenant_id: TenantId,
    /// The client.
    pub client_id: AppId,
    /// The signed-in user.
    pub user_id: ObjectId,
    /// The redirect URI exactly as sent to `/authorize` (`None` when it was omitted and the sole
    /// registered one was used); the token request must repeat it.
    pub redirect_uri: Option<String>,
    /// The platform the redirect URI is registered under.
    pub platform: Platform,
    /// v2: the requested scopes as sent (space-separated), OIDC scopes included.
    pub scope: Option<String>,
    /// v1: the `resource` parameter as sent.
    pub resource: Option<String>,
    /// The PKCE challenge (S256), when one was sent.
    pub code_challenge: Option<String>,
    /// The `nonce`, echoed in the ID token.
    pub nonce: Option<String>,
    /// Unix second of the interactive sign-in (`auth_time`).
    pub auth_time: i64,
    /// Authentication methods (`amr`), e.g. `["pwd"]`.
    pub amr: Vec<String>,
    /// The refresh-token family the redemption starts: revoked when the code is replayed.
    pub grant_id: Uuid,
}

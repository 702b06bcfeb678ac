//! Interactive sign-in state as stored: browser sessions, authorization codes and refresh-token
//! families. Session ids, codes and refresh tokens are random values only their holders know;
//! the store keeps their SHA-256 digests, so a database read gives nothing that can be
//! presented. Times are Unix seconds from the caller's clock.

use custos_core::consent::Platform;
use custos_core::sign_in::CodeGrant;
use custos_core::{AppId, ObjectId, TenantId};
use uuid::Uuid;

/// A signed-in browser (single sign-on), live while `now < expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInSession {
    /// SHA-256 of the session cookie's value.
    pub id_hash: [u8; 32],
    /// The user's tenant.
    pub tenant_id: TenantId,
    /// The signed-in user.
    pub user_id: ObjectId,
    /// When the user entered their credentials (`auth_time`).
    pub authenticated_at: i64,
    /// When the session ends.
    pub expires: i64,
}

/// An authorization code as issued, live while `now < expires` and not yet redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// SHA-256 of the code.
    pub code_hash: [u8; 32],
    /// When the code stops being redeemable.
    pub expires: i64,
    /// What the code stands for.
    pub grant: CodeGrant,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// The code was live and is now spent; what it stands for.
    Redeemed(CodeGrant),
    /// The code was already redeemed: its refresh-token family has been revoked (a replayed
    /// code revokes what it issued). The grant is returned for the error message and logs.
    Replayed(CodeGrant),
    /// The code exists but expired before this redemption.
    Expired,
    /// No such code (or it expired long enough ago to be purged).
    Unknown,
}

/// A refresh-token family: the tokens one code redemption (or password grant) started, each
/// rotated into the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// Family id (the [`CodeGrant::grant_id`] of the code that started it).
    pub id: Uuid,
    /// The user's tenant.
    pub tenant_id: TenantId,
    /// The user.
    pub user_id: ObjectId,
    /// The client the tokens are bound to.
    pub client_id: AppId,
    /// Where the code that started the family was delivered: only web clients must
    /// authenticate to refresh.
    pub platform: Platform,
    /// When the family started.
    pub created: i64,
    /// Fixed end of the family (single-page apps: 24 h after it started); `None` for sliding.
    pub deadline: Option<i64>,
}

/// One refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// Its family.
    pub grant_id: Uuid,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires unless used (sliding inactivity window, capped by the family deadline).
    pub expires: i64,
}

/// A stored refresh token and its family, as read before deciding whether to honour it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenState {
    /// The family.
    pub grant: RefreshGrant,
    /// When the token was issued.
    pub issued_at: i64,
    /// When it expires unless used.
    pub expires: i64,
    /// Whether it has been used (rotated) already.
    pub used: bool,
    /// Whether its family is revoked.
    pub revoked: bool,
}

/// What spending a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// The token was live: it is now spent and its successor stored, in one transaction.
    Rotated,
    /// The token had already been used: the whole family is now revoked (RFC 9700 §4.14.2).
    Reused,
    /// The token's inactivity window or the family's deadline has passed.
    Expired,
    /// The family was revoked (reuse, a replayed code, or an administrator).
    Revoked,
    /// No such token.
    Unknown,
}

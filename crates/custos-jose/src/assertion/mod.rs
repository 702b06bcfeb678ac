//! Validation of `private_key_jwt` client assertions (RFC 7523 §3) the way Entra clients send
//! them (`entra-wire.md` §6, `security.md` §2, §6): a compact JWS signed with the key of one of
//! the application's registered certificates, found by `x5t#S256`, `x5t` or `kid`, never from
//! the assertion itself.
//!
//! The checks run in this order, each failure one [`AssertionError`] variant: size cap before any
//! decoding; three strict base64url segments ([`crate::compact`], padding tolerated); header (`header`: duplicates,
//! `crit`, embedded keys, `typ`, `alg`); key lookup and signature over the bytes as received
//! (`keys`); claims (`claims`: `iss`/`sub`, `aud`, time claims, lifetime, `jti`). Replay
//! (the `jti` store, the byte-identical reuse rule) is the caller's: [`ValidatedAssertion`]
//! carries what it needs. Nothing is cached between calls.

mod claims;
mod error;
mod header;
mod json;
mod keys;

pub use claims::MAX_JTI_LEN;
pub use error::{AssertionError, Malformation};

use crate::cert::ClientCertificate;
use crate::compact::{self, Jws, Padding};
use crate::hash::sha256;

/// Longest assertion accepted, in bytes; checked before anything is decoded.
pub const MAX_ASSERTION_LEN: usize = 16 * 1024;

/// Default cap on an assertion's lifetime, in seconds (`security.md` §6).
pub const DEFAULT_MAX_LIFETIME_SECS: i64 = 3600;

/// Default clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_CLOCK_SKEW_SECS: i64 = 300;

/// What an assertion is checked against.
#[derive(Debug, Clone, Copy)]
pub struct AssertionContext<'a> {
    /// The authenticating application's client id (`iss` and `sub` must equal it).
    pub client_id: &'a str,
    /// The application's currently valid certificates: the only possible signing keys.
    pub registered: &'a [ClientCertificate],
    /// This tenant's v1 and v2 token endpoints and issuers under every public host alias;
    /// compared as exact strings.
    pub accepted_audiences: &'a [String],
    /// The current time (Unix seconds), from the injected clock.
    pub now: i64,
    /// Longest accepted lifetime: `exp` minus the earliest of `iat`, `nbf` and now.
    pub max_lifetime_secs: i64,
    /// Tolerated clock skew on every time claim.
    pub clock_skew_secs: i64,
}

/// An assertion that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    /// `jti`, if sent (at most [`MAX_JTI_LEN`] bytes).
    pub jti: Option<String>,
    /// `exp` (Unix seconds, fractions truncated).
    pub exp: i64,
    /// `iat`, if sent.
    pub iat: Option<i64>,
    /// SHA-1 thumbprint of the certificate whose key verified the signature.
    pub thumbprint_sha1: [u8; 20],
    /// SHA-256 of the assertion exactly as received, for the byte-identical-reuse rule.
    pub digest: [u8; 32],
}

/// Validates a `client_assertion` for `ctx.client_id`.
pub fn validate_client_assertion(
    raw: &str,
    ctx: &AssertionContext<'_>,
) -> Result<ValidatedAssertion, AssertionError> {
    if raw.len() > MAX_ASSERTION_LEN {
        return Err(AssertionError::TooLarge { len: raw.len(), max: MAX_ASSERTION_LEN });
    }
    let segments = Jws::split(raw).and_then(Jws::non_empty).map_err(AssertionError::Malformed)?;
    let decode = |segment| compact::decode(segment, Padding::Tolerated).map_err(AssertionError::Malformed);
    let header_json = decode(segments.header)?;
    let claims_json = decode(segments.payload)?;
    let signature = decode(segments.signature)?;

    let header = header::parse(&header_json)?;
    let certificate = keys::find(&header.hints, ctx.registered)?;
    keys::verify(certificate, header.alg, segments.signing_input.as_bytes(), &signature)?;
    let claims = claims::check(&claims_json, ctx)?;

    Ok(ValidatedAssertion {
        jti: claims.jti,
        exp: claims.exp,
        iat: claims.iat,
        thumbprint_sha1: *certificate.thumbprint_sha1(),
        digest: sha256(raw.as_bytes()),
    })
}

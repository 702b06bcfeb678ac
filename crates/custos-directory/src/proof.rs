//! The proof-of-possession JWT that Graph's `addKey` and `removeKey` require: signed (RS256)
//! with the private key of one of the application's registered certificates that is valid now,
//! `aud` = `00000002-0000-0000-c000-000000000000`, `iss` = the application's object id, `nbf`
//! and `exp` present with `exp - nbf` at most ten minutes, and the current time inside
//! `[nbf, exp]` (with a small clock-skew allowance). The key is looked up only among the
//! application's certificates (narrowed by `x5t` when the header carries one); keys embedded in
//! the token (`jwk`, `jku`, `x5u`, `x5c`) are never used. Time comes from the injected clock.
//!
//! Applications without a currently valid RSA certificate cannot produce a proof and must
//! register their first certificate with a PATCH of `keyCredentials`, as in Graph.

use crate::error::GraphError;
use custos_core::model::{Application, KEY_TYPE_X509, KEY_USAGE_VERIFY};
use custos_jose::cert::{ClientCertificate, KeyKind};
use custos_jose::compact::{self, Jws, Padding};
use custos_jose::rs256::SIGNATURE_BUFFER_LEN;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use time::OffsetDateTime;

/// The audience a proof names (the Azure AD Graph application id, as in Microsoft Graph).
pub(crate) const PROOF_AUDIENCE: &str = "00000002-0000-0000-c000-000000000000";
/// Longest proof lifetime (`exp - nbf`), in seconds.
pub(crate) const MAX_PROOF_LIFETIME_SECS: f64 = 600.0;
/// Clock skew allowed on `nbf` and `exp`, in seconds.
const CLOCK_SKEW_SECS: f64 = 60.0;
/// Longest proof accepted, in bytes (checked before decoding).
const MAX_PROOF_LEN: usize = 16 * 1024;

/// The header members a proof is checked on; a repeated one is malformed.
#[derive(Deserialize)]
struct ProofHeader {
    alg: String,
    #[serde(default)]
    x5t: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// The claims a proof is checked on; numbers may be integers or floats.
#[derive(Debug, Deserialize)]
struct ProofClaims {
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    nbf: Option<f64>,
    #[serde(default)]
    exp: Option<f64>,
}

/// A refused proof: 400 `Authorization_RequestDenied`-style text naming the reason.
fn denied(reason: &str) -> GraphError {
    GraphError::ProofRejected(format!("The proof of possession is invalid: {reason}."))
}

/// The application's certificates that may sign a proof at `now`.
fn signing_candidates(app: &Application, now: OffsetDateTime) -> Vec<ClientCertificate> {
    app.key_credentials
        .iter()
        .filter(|k| k.is_valid_at(now) && k.key_type == KEY_TYPE_X509 && k.usage == KEY_USAGE_VERIFY)
        .filter_map(|k| ClientCertificate::from_der(&k.certificate_der).ok())
        .filter(|c| matches!(c.key_kind(), KeyKind::Rsa { .. }))
        .filter(|c| c.not_before() <= now && now < c.not_after())
        .collect()
}

/// Verifies `proof` for `app` at `now`.
pub(crate) fn verify(proof: Option<&str>, app: &Application, now: OffsetDateTime) -> Result<(), GraphError> {
    let candidates = signing_candidates(app, now);
    if candidates.is_empty() {
        return Err(GraphError::BadRequest(
            "The application has no currently valid certificate to sign a proof of possession with; \
             register its first certificate with a PATCH of keyCredentials instead."
                .to_owned(),
        ));
    }
    let proof = proof.filter(|p| !p.is_empty()).ok_or_else(|| {
        GraphError::BadRequest(
            "Property 'proof' is required: a JWT signed by a current certificate of the application."
                .to_owned(),
        )
    })?;
    if proof.len() > MAX_PROOF_LEN {
        return Err(denied("the token is too long"));
    }
    let not_signed = || denied("the token is not a signed JWT");
    let jws = Jws::split(proof).map_err(|_| not_signed())?;
    let header = compact::decode(jws.header, Padding::Refused).map_err(|_| not_signed())?;
    let header: ProofHeader = serde_json::from_slice(&header).map_err(|_| not_signed())?;
    if header.alg != "RS256" {
        return Err(denied("the token must be signed with RS256"));
    }
    if header.crit.is_some() {
        return Err(denied("critical header parameters are not supported"));
    }
    let named: Option<Vec<u8>> = match &header.x5t {
        // x5t is a lookup hint, accepted padded or not.
        Some(x5t) => Some(
            compact::decode(x5t, Padding::Tolerated)
                .map_err(|_| denied("the x5t header is not base64url"))?,
        ),
        None => None,
    };
    let not_ours = || denied("it is not signed by a currently valid certificate of the application");
    let mut buffer = [0; SIGNATURE_BUFFER_LEN];
    let signature = jws.signature_into(Padding::Refused, &mut buffer).map_err(|_| not_ours())?;
    candidates
        .iter()
        .filter(|c| named.as_deref().is_none_or(|t| t == c.thumbprint_sha1().as_slice()))
        .find(|c| c.verify_rs256(jws.signing_input.as_bytes(), signature).is_ok())
        .ok_or_else(not_ours)?;
    let malformed_claims =
        || denied("its claims are malformed ('nbf' and 'exp' must be numbers, 'iss' a string)");
    let claims = compact::decode(jws.payload, Padding::Refused).map_err(|_| malformed_claims())?;
    let claims: ProofClaims = serde_json::from_slice(&claims).map_err(|_| malformed_claims())?;
    check_claims(&claims, app, now)
}

fn check_claims(claims: &ProofClaims, app: &Application, now: OffsetDateTime) -> Result<(), GraphError> {
    let audience_ok = match &claims.aud {
        Some(Value::String(aud)) => aud.eq_ignore_ascii_case(PROOF_AUDIENCE),
        Some(Value::Array(list)) => {
            list.len() == 1 && list[0].as_str().is_some_and(|a| a.eq_ignore_ascii_case(PROOF_AUDIENCE))
        }
        _ => false,
    };
    if !audience_ok {
        return Err(denied(&format!("'aud' must be '{PROOF_AUDIENCE}'")));
    }
    let issuer_ok = claims.iss.as_deref().and_then(|i| uuid::Uuid::try_parse(i).ok()) == Some(app.id.0);
    if !issuer_ok {
        return Err(denied("'iss' must be the object id of the application"));
    }
    let (Some(nbf), Some(exp)) = (claims.nbf, claims.exp) else {
        return Err(denied("'nbf' and 'exp' are required"));
    };
    if !nbf.is_finite() || !exp.is_finite() || exp <= nbf || exp - nbf > MAX_PROOF_LIFETIME_SECS {
        return Err(denied("its lifetime ('exp' - 'nbf') must be positive and at most 10 minutes"));
    }
    // Unix seconds of `now` with sub-second precision; f64 holds such values exactly enough.
    #[allow(clippy::cast_precision_loss, reason = "Unix seconds are far below 2^52")]
    let now = now.unix_timestamp() as f64 + f64::from(now.millisecond()) / 1000.0;
    if now + CLOCK_SKEW_SECS < nbf {
        return Err(denied("it is not valid yet ('nbf' is in the future)"));
    }
    if now - CLOCK_SKEW_SECS >= exp {
        return Err(denied("it has expired"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "proof_tests.rs"]
mod tests;

//! Checks of one access token per RFC 9068 §4, RFC 8725 and `security.md` §4/§6: the header (RS256, or
//! ES256 for resources that opted in; `typ` missing/`JWT`/`at+jwt`, no `crit`, no embedded keys) before
//! any key is looked up, then the key's own algorithm against the header's (an RSA key verifies RS256
//! only, an EC P-256 key ES256 only), then the signature, then the claims (`iss`, key-issuer binding, `ver`, `tid`, `aud`, numeric times with leeway,
//! no `nonce`, app-or-user, client and object ids).

use custos_core::{AppId, ObjectId, TenantId};
use custos_jose::compact::{self, Jws, Padding};
use custos_jose::rs256::SIGNATURE_BUFFER_LEN;
use custos_jose::{JwsAlgorithm, VerifyingKey};
use serde::Deserialize;
use serde_json::Value;

use crate::cache::Lifetime;
use crate::error::InvalidToken;
use crate::keys::{MAX_KID_LEN, Snapshot};
use crate::principal::{Principal, PrincipalKind, SignedInUser, TokenVersion};

/// What the claim checks compare against.
#[derive(Debug)]
pub(crate) struct Expectations<'a> {
    pub(crate) tenant_id: TenantId,
    pub(crate) audiences: &'a [String],
    pub(crate) leeway_secs: f64,
    pub(crate) now: i64,
}

#[derive(Debug, Deserialize)]
struct RawHeader {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    x5t: Option<String>,
    crit: Option<Value>,
    jwk: Option<Value>,
    jku: Option<Value>,
    x5u: Option<Value>,
}

/// Checks the protected header and returns the key id to look up (`kid`, else v1's `x5t`) and the
/// algorithm the header names.
pub(crate) fn check_header(token: &str) -> Result<(String, JwsAlgorithm), InvalidToken> {
    let jws = Jws::split(token).map_err(|_| InvalidToken::Malformed)?;
    let json = compact::decode(jws.header, Padding::Refused).map_err(|_| InvalidToken::Malformed)?;
    let header: RawHeader = serde_json::from_slice(&json).map_err(|_| InvalidToken::Malformed)?;
    let algorithm = JwsAlgorithm::from_name(&header.alg).ok_or(InvalidToken::Algorithm)?;
    if let Some(typ) = &header.typ {
        let typ = typ.to_ascii_lowercase();
        if !matches!(typ.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
            return Err(InvalidToken::Type);
        }
    }
    if header.crit.is_some() {
        return Err(InvalidToken::Critical);
    }
    if header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() {
        return Err(InvalidToken::EmbeddedKey);
    }
    header
        .kid
        .or(header.x5t)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KID_LEN)
        .map(|kid| (kid, algorithm))
        .ok_or(InvalidToken::UnknownKey)
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims the guard reads. Named fields make a repeated claim a parse error.
#[derive(Debug, Deserialize)]
struct RawClaims {
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<Value>,
    nbf: Option<Value>,
    iat: Option<Value>,
    tid: Option<String>,
    oid: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    roles: Option<Vec<String>>,
    scp: Option<String>,
    idtyp: Option<String>,
    ver: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    unique_name: Option<String>,
    name: Option<String>,
    wids: Option<Vec<String>>,
    nonce: Option<serde::de::IgnoredAny>,
}

/// Verifies the signature with `kid`'s key from `snapshot` (which must be a key for the header's
/// `algorithm`) and checks every claim; returns the caller and the token's lifetime (for re-checking a
/// cached token later).
pub(crate) fn verify(
    token: &str,
    kid: &str,
    algorithm: JwsAlgorithm,
    snapshot: &Snapshot,
    expect: &Expectations<'_>,
) -> Result<(Principal, Lifetime), InvalidToken> {
    let (key, key_issuers) = snapshot.key(kid).ok_or(InvalidToken::UnknownKey)?;
    if key.algorithm() != algorithm {
        return Err(InvalidToken::Algorithm);
    }
    let claims = decode(token, key)?;
    if claims.nonce.is_some() {
        return Err(InvalidToken::IdToken);
    }
    let iss = claims.iss.as_deref().ok_or(InvalidToken::MissingClaim("iss"))?;
    let version = if iss == snapshot.v2_issuer {
        TokenVersion::V2
    } else if iss == snapshot.v1_issuer {
        TokenVersion::V1
    } else {
        return Err(InvalidToken::Issuer);
    };
    if !key_issuers.iter().any(|i| i == iss) {
        return Err(InvalidToken::Signature);
    }
    let expected_ver = match version {
        TokenVersion::V1 => "1.0",
        TokenVersion::V2 => "2.0",
    };
    if claims.ver.as_deref().is_some_and(|v| v != expected_ver) {
        return Err(InvalidToken::Version);
    }
    let tid = claims.tid.as_deref().ok_or(InvalidToken::MissingClaim("tid"))?;
    if tid.parse::<TenantId>().ok() != Some(expect.tenant_id) {
        return Err(InvalidToken::Tenant);
    }
    check_audience(claims.aud.as_ref(), expect.audiences)?;
    let lifetime = lifetime(&claims)?;
    lifetime.check(expect.now, expect.leeway_secs)?;
    Ok((principal(claims, version, expect.tenant_id)?, lifetime))
}

/// Verifies the signature over the segments as received with the key's algorithm, then reads the claims
/// (the header was checked by [`check_header`]).
fn decode(token: &str, key: &VerifyingKey) -> Result<RawClaims, InvalidToken> {
    let jws = Jws::split(token).map_err(|_| InvalidToken::Malformed)?;
    let mut buffer = [0; SIGNATURE_BUFFER_LEN];
    let signature = jws.signature_into(Padding::Refused, &mut buffer).map_err(|_| InvalidToken::Malformed)?;
    key.verify(jws.signing_input.as_bytes(), signature).map_err(|_| InvalidToken::Signature)?;
    let payload = compact::decode(jws.payload, Padding::Refused).map_err(|_| InvalidToken::Malformed)?;
    serde_json::from_slice(&payload).map_err(|_| InvalidToken::Malformed)
}

fn check_audience(aud: Option<&Audience>, accepted: &[String]) -> Result<(), InvalidToken> {
    let ours = |a: &String| accepted.contains(a);
    match aud.ok_or(InvalidToken::MissingClaim("aud"))? {
        Audience::One(a) if ours(a) => Ok(()),
        Audience::Many(list) if list.iter().any(ours) => Ok(()),
        _ => Err(InvalidToken::Audience),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number, never a string.
fn numeric(value: Option<&Value>, name: &'static str) -> Result<Option<f64>, InvalidToken> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => {
            n.as_f64().filter(|f| f.is_finite()).map(Some).ok_or(InvalidToken::ClaimFormat(name))
        }
        Some(_) => Err(InvalidToken::ClaimFormat(name)),
    }
}

/// `exp` (required), and the later of `nbf` and `iat` (a token is not valid before either).
fn lifetime(claims: &RawClaims) -> Result<Lifetime, InvalidToken> {
    let expires = numeric(claims.exp.as_ref(), "exp")?.ok_or(InvalidToken::MissingClaim("exp"))?;
    let nbf = numeric(claims.nbf.as_ref(), "nbf")?;
    let iat = numeric(claims.iat.as_ref(), "iat")?;
    Ok(Lifetime { expires, not_before: [nbf, iat].into_iter().flatten().reduce(f64::max) })
}

fn principal(
    claims: RawClaims,
    version: TokenVersion,
    tenant_id: TenantId,
) -> Result<Principal, InvalidToken> {
    let kind = match (claims.idtyp.as_deref(), claims.scp.is_some()) {
        (Some("app"), true) => return Err(InvalidToken::Inconsistent),
        (Some("app"), false) | (None, false) => PrincipalKind::App,
        (Some("user") | None, true) => PrincipalKind::User,
        _ => return Err(InvalidToken::Inconsistent),
    };
    let client = match (&claims.appid, &claims.azp) {
        (Some(a), Some(b)) if a != b => return Err(InvalidToken::Inconsistent),
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => {
            return Err(InvalidToken::MissingClaim(match version {
                TokenVersion::V1 => "appid",
                TokenVersion::V2 => "azp",
            }));
        }
    };
    let client_app_id: AppId = client.parse().map_err(|_| InvalidToken::ClaimFormat("appid"))?;
    let object_id: ObjectId = claims
        .oid
        .as_deref()
        .ok_or(InvalidToken::MissingClaim("oid"))?
        .parse()
        .map_err(|_| InvalidToken::ClaimFormat("oid"))?;
    let user = (kind == PrincipalKind::User).then(|| SignedInUser {
        username: claims.upn.or(claims.preferred_username).or(claims.unique_name),
        name: claims.name,
        directory_roles: claims.wids.unwrap_or_default(),
    });
    Ok(Principal {
        tenant_id,
        client_app_id,
        object_id,
        roles: claims.roles.unwrap_or_default(),
        scopes: claims.scp.as_deref().unwrap_or_default().split_whitespace().map(str::to_owned).collect(),
        token_version: version,
        kind,
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with_header(header: &str) -> String {
        use base64::Engine as _;
        format!("{}.e30.sig", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header))
    }

    #[test]
    fn header_rules() {
        let ok = |h: &str| check_header(&token_with_header(h)).map(|(kid, _)| kid);
        assert_eq!(ok(r#"{"alg":"RS256","typ":"JWT","kid":"k"}"#), Ok("k".to_owned()));
        assert_eq!(ok(r#"{"alg":"RS256","kid":"k"}"#), Ok("k".to_owned()));
        assert_eq!(ok(r#"{"alg":"RS256","typ":"at+jwt","kid":"k"}"#), Ok("k".to_owned()));
        assert_eq!(ok(r#"{"alg":"RS256","typ":"application/at+jwt","kid":"k"}"#), Ok("k".to_owned()));
        assert_eq!(ok(r#"{"alg":"RS256","x5t":"t"}"#), Ok("t".to_owned()));
        let es256 = check_header(&token_with_header(r#"{"alg":"ES256","typ":"JWT","kid":"k"}"#));
        assert_eq!(es256, Ok(("k".to_owned(), JwsAlgorithm::Es256)));
        assert_eq!(ok(r#"{"alg":"ES384","kid":"k"}"#), Err(InvalidToken::Algorithm));
        assert_eq!(ok(r#"{"alg":"HS256","kid":"k"}"#), Err(InvalidToken::Algorithm));
        assert_eq!(ok(r#"{"alg":"RS256","typ":"dpop+jwt","kid":"k"}"#), Err(InvalidToken::Type));
        assert_eq!(ok(r#"{"alg":"none","kid":"k"}"#), Err(InvalidToken::Algorithm));
        assert_eq!(ok(r#"{"alg":"PS256","kid":"k"}"#), Err(InvalidToken::Algorithm));
        assert_eq!(ok(r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#), Err(InvalidToken::Critical));
        assert_eq!(ok(r#"{"alg":"RS256","kid":"k","jku":"https://evil"}"#), Err(InvalidToken::EmbeddedKey));
        assert_eq!(ok(r#"{"alg":"RS256","alg":"RS256","kid":"k"}"#), Err(InvalidToken::Malformed));
        assert_eq!(ok(r#"{"alg":"RS256"}"#), Err(InvalidToken::UnknownKey));
        assert_eq!(check_header("a.b"), Err(InvalidToken::Malformed));
        assert_eq!(check_header("a.b.c.d.e"), Err(InvalidToken::Malformed));
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(numeric(Some(&serde_json::json!(1.5)), "exp"), Ok(Some(1.5)));
        assert_eq!(
            numeric(Some(&serde_json::json!("99999999999")), "nbf"),
            Err(InvalidToken::ClaimFormat("nbf"))
        );
        assert_eq!(numeric(None, "iat"), Ok(None));
    }
}

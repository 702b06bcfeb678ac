//! The external token presented as a federated client assertion: an unverified peek at its
//! `iss` (to tell it from a certificate assertion), strict parsing (size cap, three unpadded
//! base64url segments split by [`custos_jose::compact`], JSON header and claims with no repeated member, `alg` RS256 only, no `crit` and no
//! embedded keys), whether it is a user token (`scp`, or an `idtyp` other than `app`), and its
//! time window. The signature is checked by the caller with the keys
//! of the issuer the matching credential names.

use custos_core::aadsts::TokenError;
use custos_jose::assertion::{AssertionError, MAX_ASSERTION_LEN, Malformation};
use custos_jose::compact::{self, Jws, Padding};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Latest time value accepted (9999-12-31T23:59:59Z).
const MAX_TIME: f64 = 253_402_300_799.0;

/// A parsed, not yet verified, external token.
#[derive(Debug)]
pub(crate) struct ExternalToken<'a> {
    /// `header.payload` as received: what was signed.
    pub(crate) signing_input: &'a str,
    pub(crate) signature: Vec<u8>,
    /// The header's `kid`.
    pub(crate) kid: Option<String>,
    pub(crate) claims: ExternalClaims,
}

/// The claims federation acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExternalClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    /// `aud`, a string or an array of strings on the wire.
    pub(crate) aud: Vec<String>,
    pub(crate) exp: i64,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    /// A delegated (user) token: it carries `scp`, or an `idtyp` other than `app`.
    pub(crate) user_token: bool,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
    #[serde(default)]
    jwk: Option<IgnoredAny>,
    #[serde(default)]
    jku: Option<IgnoredAny>,
    #[serde(default)]
    x5u: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    iss: Option<serde_json::Value>,
    #[serde(default)]
    sub: Option<serde_json::Value>,
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    exp: Option<serde_json::Value>,
    #[serde(default)]
    nbf: Option<serde_json::Value>,
    #[serde(default)]
    iat: Option<serde_json::Value>,
    #[serde(default)]
    scp: Option<serde_json::Value>,
    #[serde(default)]
    idtyp: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct IssuerOnly {
    iss: String,
}

/// The `iss` of an assertion's payload, unverified; `None` when it cannot be read.
pub(crate) fn peek_issuer(raw: &str) -> Option<String> {
    if raw.len() > MAX_ASSERTION_LEN {
        return None;
    }
    let payload = raw.split('.').nth(1)?;
    let bytes = compact::decode(payload.trim_end_matches('='), Padding::Refused).ok()?;
    serde_json::from_slice::<IssuerOnly>(&bytes).ok().map(|c| c.iss)
}

fn invalid(error: AssertionError) -> TokenError {
    TokenError::InvalidAssertion(error.to_string())
}

fn malformed(what: Malformation) -> TokenError {
    invalid(AssertionError::Malformed(what))
}

/// Parses `raw` strictly.
pub(crate) fn parse(raw: &str) -> Result<ExternalToken<'_>, TokenError> {
    if raw.len() > MAX_ASSERTION_LEN {
        return Err(invalid(AssertionError::TooLarge { len: raw.len(), max: MAX_ASSERTION_LEN }));
    }
    let jws = Jws::split(raw).and_then(Jws::non_empty).map_err(malformed)?;
    let decode = |segment| compact::decode(segment, Padding::Refused).map_err(malformed);
    let header: Header = object(&decode(jws.header)?).ok_or_else(|| malformed(Malformation::Header))?;
    let claims: RawClaims = object(&decode(jws.payload)?).ok_or_else(|| malformed(Malformation::Claims))?;
    let signature = decode(jws.signature)?;
    if header.crit.is_some() {
        return Err(invalid(AssertionError::CriticalHeader));
    }
    if header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() {
        return Err(TokenError::InvalidAssertion(
            "The federated client assertion header must not carry 'jwk', 'jku' or 'x5u'; keys are taken only from the issuer's published key set.".to_owned(),
        ));
    }
    if header.alg.as_deref() != Some("RS256") {
        return Err(TokenError::InvalidAssertion(
            "The federated client assertion must be signed with RS256 by a key its issuer publishes."
                .to_owned(),
        ));
    }
    Ok(ExternalToken {
        signing_input: jws.signing_input,
        signature,
        kid: header.kid,
        claims: claims.check()?,
    })
}

/// A JSON object (never an array, which serde would map onto the struct's fields by position)
/// with no repeated member the struct names.
fn object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

impl RawClaims {
    fn check(self) -> Result<ExternalClaims, TokenError> {
        let text = |value: Option<serde_json::Value>, claim: &'static str| match value {
            None => Err(invalid(AssertionError::MissingClaim { claim })),
            Some(serde_json::Value::String(s)) => Ok(s),
            Some(_) => Err(invalid(AssertionError::InvalidClaim { claim })),
        };
        let iss = text(self.iss, "iss")?;
        let sub = text(self.sub, "sub")?;
        let aud = match self.aud.map(serde_json::from_value::<Audience>) {
            None => return Err(invalid(AssertionError::MissingClaim { claim: "aud" })),
            Some(Ok(Audience::One(one))) => vec![one],
            Some(Ok(Audience::Many(many))) if !many.is_empty() => many,
            Some(_) => return Err(invalid(AssertionError::InvalidClaim { claim: "aud" })),
        };
        let exp =
            time_claim(self.exp, "exp")?.ok_or(invalid(AssertionError::MissingClaim { claim: "exp" }))?;
        Ok(ExternalClaims {
            iss,
            sub,
            aud,
            exp,
            nbf: time_claim(self.nbf, "nbf")?,
            iat: time_claim(self.iat, "iat")?,
            user_token: self.scp.is_some() || self.idtyp.is_some_and(|t| t.as_str() != Some("app")),
        })
    }
}

/// A NumericDate (fractions truncated), if present.
fn time_claim(value: Option<serde_json::Value>, claim: &'static str) -> Result<Option<i64>, TokenError> {
    let Some(value) = value else { return Ok(None) };
    let seconds = value.as_f64().filter(|s| s.is_finite() && (0.0..=MAX_TIME).contains(s));
    match seconds {
        // In range, so the truncating conversion is exact for the integer part.
        #[allow(clippy::cast_possible_truncation)]
        Some(s) => Ok(Some(s.trunc() as i64)),
        None => Err(invalid(AssertionError::InvalidTimeClaim { claim })),
    }
}

impl ExternalClaims {
    /// Checks `exp` (required) and `nbf` against `now` with `skew` seconds of tolerance.
    pub(crate) fn check_time(&self, now: i64, skew: i64) -> Result<(), TokenError> {
        let expired = self.exp <= now.saturating_sub(skew);
        let early = self.nbf.is_some_and(|nbf| nbf > now.saturating_add(skew));
        if expired || early {
            let error = AssertionError::OutsideValidity { now, nbf: self.nbf.or(self.iat), exp: self.exp };
            return Err(TokenError::AssertionOutsideValidity(error.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(claims))
    }

    const CLAIMS: &str = r#"{"iss":"https://issuer.example","sub":"system:serviceaccount:ns:sa","aud":["api://AzureADTokenExchange"],"exp":2000,"nbf":1000.5,"iat":1000}"#;

    fn reason(error: TokenError) -> String {
        match error {
            TokenError::InvalidAssertion(reason) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_kubernetes_style_token_parses() {
        let raw = token(r#"{"alg":"RS256","kid":"k1"}"#, CLAIMS);
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.signing_input, &raw[..raw.rfind('.').unwrap()]);
        assert_eq!(
            parsed.claims,
            ExternalClaims {
                iss: "https://issuer.example".into(),
                sub: "system:serviceaccount:ns:sa".into(),
                aud: vec!["api://AzureADTokenExchange".into()],
                exp: 2000,
                nbf: Some(1000),
                iat: Some(1000),
                user_token: false,
            }
        );
        let one = token(r#"{"alg":"RS256"}"#, r#"{"iss":"i","sub":"s","aud":"a","exp":5}"#);
        assert_eq!(parse(&one).unwrap().claims.aud, ["a"]);
        assert_eq!(peek_issuer(&raw).as_deref(), Some("https://issuer.example"));
    }

    #[test]
    fn user_tokens_are_told_from_app_only_ones() {
        let user = |extra: &str| {
            let claims = format!(r#"{{"iss":"i","sub":"s","aud":"a","exp":5{extra}}}"#);
            parse(&token(r#"{"alg":"RS256"}"#, &claims)).unwrap().claims.user_token
        };
        assert!(!user(""));
        assert!(!user(r#","idtyp":"app""#));
        assert!(!user(r#","scp":null"#));
        for extra in [
            r#","scp":"User.Read""#,
            r#","scp":"""#,
            r#","idtyp":"user""#,
            r#","idtyp":"app","scp":"x""#,
            r#","idtyp":"App""#,
            r#","idtyp":1"#,
        ] {
            assert!(user(extra), "{extra}");
        }
    }

    #[test]
    fn unsigned_and_other_algorithms_are_refused() {
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(CLAIMS));
        assert_eq!(
            reason(parse(&unsigned).unwrap_err()),
            "JWT token is invalid or malformed: a segment is empty."
        );
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"PS256"}"#,
            r#"{"kid":"k"}"#,
            r#"{"alg":"rs256"}"#,
        ] {
            assert_eq!(
                reason(parse(&token(header, CLAIMS)).unwrap_err()),
                "The federated client assertion must be signed with RS256 by a key its issuer publishes.",
                "{header}"
            );
        }
        let embedded = token(r#"{"alg":"RS256","jku":"https://evil.example/keys"}"#, CLAIMS);
        assert!(reason(parse(&embedded).unwrap_err()).contains("must not carry 'jwk', 'jku' or 'x5u'"));
        let crit = token(r#"{"alg":"RS256","crit":["b64"]}"#, CLAIMS);
        assert!(reason(parse(&crit).unwrap_err()).contains("critical extensions"));
    }

    #[test]
    fn malformed_tokens_are_refused_with_their_reason() {
        let duplicate = token(r#"{"alg":"RS256","\u0061lg":"none"}"#, CLAIMS);
        assert_eq!(
            reason(parse(&duplicate).unwrap_err()),
            "JWT token is invalid or malformed: the header is not a UTF-8 JSON object."
        );
        for (raw, why) in [
            ("a.b".to_owned(), "three segments"),
            ("a.b.c.d".to_owned(), "three segments"),
            (format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), "!!"), "base64url"),
            (format!("{}.{}.c2ln=", b64(r#"{"alg":"RS256"}"#), b64(CLAIMS)), "base64url"),
            (token(r#"{"alg":"RS256"}"#, "[]"), "claim set"),
            ("x".repeat(MAX_ASSERTION_LEN + 1), "bytes long"),
        ] {
            assert!(reason(parse(&raw).unwrap_err()).contains(why), "{raw:.40}");
        }
        for (claims, why) in [
            (r#"{"sub":"s","aud":"a","exp":5}"#, "missing the required 'iss'"),
            (r#"{"iss":"i","aud":"a","exp":5}"#, "missing the required 'sub'"),
            (r#"{"iss":"i","sub":"s","exp":5}"#, "missing the required 'aud'"),
            (r#"{"iss":"i","sub":"s","aud":"a"}"#, "missing the required 'exp'"),
            (r#"{"iss":1,"sub":"s","aud":"a","exp":5}"#, "'iss' claim must be a string"),
            (r#"{"iss":"i","sub":"s","aud":[],"exp":5}"#, "'aud' claim must be a string"),
            (r#"{"iss":"i","sub":"s","aud":[1],"exp":5}"#, "'aud' claim must be a string"),
            (r#"{"iss":"i","sub":"s","aud":"a","exp":"5"}"#, "'exp' claim must be a JSON number"),
            (r#"{"iss":"i","sub":"s","aud":"a","exp":-1}"#, "'exp' claim must be a JSON number"),
            (r#"{"iss":"i","sub":"s","aud":"a","exp":1e300}"#, "'exp' claim must be a JSON number"),
        ] {
            let raw = token(r#"{"alg":"RS256"}"#, claims);
            assert!(reason(parse(&raw).unwrap_err()).contains(why), "{claims}");
        }
        assert_eq!(peek_issuer("not-a-jwt"), None);
        assert_eq!(peek_issuer(&token("{}", r#"{"iss":1}"#)), None);
    }

    #[test]
    fn the_time_window_allows_only_the_skew() {
        let claims = parse(&token(r#"{"alg":"RS256"}"#, CLAIMS)).unwrap().claims;
        assert_eq!(claims.check_time(1500, 60), Ok(()));
        assert_eq!(claims.check_time(2059, 60), Ok(()));
        assert_eq!(claims.check_time(940, 60), Ok(()));
        for now in [2060, 939] {
            let error = claims.check_time(now, 60).unwrap_err();
            assert_eq!(error.code(), 700024, "{now}");
            assert!(error.to_string().starts_with("Client assertion is not within its valid time range."));
        }
    }
}

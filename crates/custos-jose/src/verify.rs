//! Verification of access tokens this server issued, for the directory API: RS256, or ES256 for
//! resources that opted in, the key chosen by `kid` among the published keys (each parsed once)
//! and the header's `alg` required to be that key's one algorithm, `exp`/`nbf` checked
//! against the caller's clock with a small leeway, and `iss`/`aud` checked against what the
//! caller expects.

use crate::JoseError;
use crate::compact::{self, Jws, Padding};
use crate::jwks::Jwks;
use crate::rs256::SIGNATURE_BUFFER_LEN;
use crate::verifying::{JwsAlgorithm, VerifyingKey};
use custos_core::{AppId, ObjectId, TenantId};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::HashMap;

/// Default clock leeway for `exp` and `nbf`, in seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 60;

/// Longest token accepted, in bytes (checked before any decoding).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a token was refused. The text is safe to log; it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a compact JWS, an unsupported algorithm, or undecodable claims.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header names no `kid`, or one that is not published.
    #[error("the token's signing key is not published")]
    UnknownKey,
    /// The `typ` header is neither absent nor `JWT`.
    #[error("unexpected token type")]
    WrongType,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not an accepted issuer.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// `aud` is not an accepted audience.
    #[error("the token's audience is not accepted")]
    WrongAudience,
}

/// The claims of a custos access token that callers act on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessClaims {
    /// Audience: the resource as requested (v1) or its appId (v2).
    pub aud: String,
    /// Issuer.
    pub iss: String,
    /// Tenant.
    pub tid: TenantId,
    /// Object id of the client service principal (app tokens) or of the user (delegated tokens).
    pub oid: ObjectId,
    /// v1 client id.
    #[serde(default)]
    pub appid: Option<AppId>,
    /// v2 client id.
    #[serde(default)]
    pub azp: Option<AppId>,
    /// App roles granted to the client (app tokens) or the user (delegated tokens) on the
    /// resource.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Delegated permissions, space-separated: present only in tokens issued for a user.
    #[serde(default)]
    pub scp: Option<String>,
    /// `app` in app-only tokens.
    #[serde(default)]
    pub idtyp: Option<String>,
    /// `1.0` or `2.0`.
    pub ver: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
}

impl AccessClaims {
    /// Whether the token was issued for a signed-in user (it carries `scp` and is not an app
    /// token).
    pub fn is_delegated(&self) -> bool {
        self.scp.is_some() && self.idtyp.as_deref() != Some("app")
    }

    /// The client id, from `appid` (v1) or `azp` (v2).
    pub fn client_id(&self) -> Option<AppId> {
        self.appid.or(self.azp)
    }
}

/// Which issuers are accepted.
#[derive(Debug, Clone, Copy)]
pub enum IssuerRule<'a> {
    /// Exactly one of these.
    OneOf(&'a [&'a str]),
    /// The issuer this server uses for the token's own `tid` and `ver`: `{v1}/{tid}/` for
    /// `1.0`, `{v2}/{tid}/v2.0` for `2.0` (origins without trailing slash: normally both the
    /// public URL; with Entra host names `https://sts.windows.net` and
    /// `https://login.microsoftonline.com`).
    TenantOf {
        /// The origin of v1 issuers.
        v1: &'a str,
        /// The origin of v2 issuers.
        v2: &'a str,
    },
}

impl IssuerRule<'_> {
    fn accepts(&self, claims: &AccessClaims) -> bool {
        match self {
            Self::OneOf(issuers) => issuers.contains(&claims.iss.as_str()),
            Self::TenantOf { v1, v2 } => {
                let base = if claims.ver == "1.0" { v1 } else { v2 };
                let Some(rest) = claims.iss.strip_prefix(base) else {
                    return false;
                };
                let tid = claims.tid.to_string();
                let Some(suffix) = rest.strip_prefix('/').and_then(|r| r.strip_prefix(tid.as_str())) else {
                    return false;
                };
                matches!((claims.ver.as_str(), suffix), ("1.0", "/") | ("2.0", "/v2.0"))
            }
        }
    }
}

/// What a token must satisfy besides its signature and lifetime.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Accepted issuers.
    pub issuer: IssuerRule<'a>,
    /// Accepted audiences; `None` leaves the audience decision to the caller (the claim is
    /// still required).
    pub audiences: Option<&'a [&'a str]>,
}

/// The protected header as far as verification cares; a repeated member is malformed.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// Verifies RS256 and ES256 tokens against a fixed set of published keys. Build a new one when the
/// published keys change.
#[derive(Debug)]
pub struct TokenVerifier {
    keys: HashMap<String, VerifyingKey>,
    leeway: i64,
}

impl TokenVerifier {
    /// A verifier for every key of `jwks`.
    pub fn new(jwks: &Jwks) -> Result<Self, JoseError> {
        let mut keys = HashMap::with_capacity(jwks.keys.len());
        for jwk in &jwks.keys {
            let key =
                VerifyingKey::from_jwk(jwk).map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
            keys.insert(jwk.kid.clone(), key);
        }
        Ok(Self { keys, leeway: DEFAULT_LEEWAY_SECS })
    }

    /// The same verifier with another leeway (seconds).
    pub fn with_leeway(mut self, leeway: i64) -> Self {
        self.leeway = leeway;
        self
    }

    /// Verifies `token` at time `now` (seconds since the epoch) and returns its claims.
    pub fn verify(
        &self,
        token: &str,
        now: i64,
        expected: &Expected<'_>,
    ) -> Result<AccessClaims, VerifyError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(VerifyError::Malformed("token too long".into()));
        }
        let malformed = |e: &dyn std::fmt::Display| VerifyError::Malformed(e.to_string());
        let jws = Jws::split(token).map_err(|e| malformed(&e))?;
        let header = compact::decode(jws.header, Padding::Refused).map_err(|e| malformed(&e))?;
        let header: Header = serde_json::from_slice(&header).map_err(|e| malformed(&e))?;
        let Some(algorithm) = JwsAlgorithm::from_name(&header.alg) else {
            return Err(VerifyError::Malformed("algorithm not allowed".into()));
        };
        if header.typ.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("JWT")) {
            return Err(VerifyError::WrongType);
        }
        if header.crit.is_some() {
            return Err(VerifyError::Malformed("critical header parameters are not supported".into()));
        }
        let key = header.kid.as_deref().and_then(|kid| self.keys.get(kid)).ok_or(VerifyError::UnknownKey)?;
        if key.algorithm() != algorithm {
            return Err(VerifyError::Malformed("the algorithm does not match the key".into()));
        }
        let mut buffer = [0; SIGNATURE_BUFFER_LEN];
        let signature = jws.signature_into(Padding::Refused, &mut buffer).map_err(|e| malformed(&e))?;
        key.verify(jws.signing_input.as_bytes(), signature).map_err(|_| VerifyError::BadSignature)?;
        let claims = compact::decode(jws.payload, Padding::Refused).map_err(|e| malformed(&e))?;
        let claims: AccessClaims = serde_json::from_slice(&claims).map_err(|e| malformed(&e))?;
        if claims.exp <= now - self.leeway {
            return Err(VerifyError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + self.leeway) {
            return Err(VerifyError::NotYetValid);
        }
        if !expected.issuer.accepts(&claims) {
            return Err(VerifyError::WrongIssuer);
        }
        if expected.audiences.is_some_and(|auds| !auds.contains(&claims.aud.as_str())) {
            return Err(VerifyError::WrongAudience);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::Jwk;
    use crate::test_support::test_key;
    use serde_json::{Value, json};

    const TID: &str = "11111111-2222-3333-4444-555555555555";
    const NOW: i64 = 1_900_000_000;

    fn verifier() -> TokenVerifier {
        TokenVerifier::new(&Jwks { keys: vec![Jwk::from_signing_key(&test_key().0)] }).unwrap()
    }

    fn claims(ver: &str, iss: &str) -> Value {
        json!({
            "aud": "https://graph.microsoft.com", "iss": iss, "iat": NOW - 300, "nbf": NOW - 300,
            "exp": NOW + 3599, "tid": TID, "oid": "aaaaaaaa-2222-3333-4444-555555555555",
            "appid": "bbbbbbbb-2222-3333-4444-555555555555", "roles": ["Directory.Read.All"], "ver": ver,
        })
    }

    fn sign(header: &Value, claims: &Value) -> String {
        test_key().0.sign_compact(header, claims).unwrap()
    }

    fn header() -> Value {
        json!({"typ": "JWT", "alg": "RS256", "kid": test_key().0.kid()})
    }

    const TENANT_RULE: Expected<'static> =
        Expected { issuer: IssuerRule::TenantOf { v1: "https://h", v2: "https://h" }, audiences: None };

    #[test]
    fn accepts_v1_and_v2_tokens_of_this_issuer() {
        let v = verifier();
        let v1 = sign(&header(), &claims("1.0", &format!("https://h/{TID}/")));
        let got = v.verify(&v1, NOW, &TENANT_RULE).unwrap();
        assert_eq!(got.tid.to_string(), TID);
        assert_eq!(got.client_id().unwrap().to_string(), "bbbbbbbb-2222-3333-4444-555555555555");
        assert_eq!(got.roles, ["Directory.Read.All"]);
        let v2 = sign(&header(), &claims("2.0", &format!("https://h/{TID}/v2.0")));
        assert_eq!(v.verify(&v2, NOW, &TENANT_RULE).unwrap().ver, "2.0");
        let auds = ["https://graph.microsoft.com"];
        let exact = Expected { issuer: IssuerRule::OneOf(&["x"]), audiences: Some(&auds) };
        assert_eq!(v.verify(&v1, NOW, &exact), Err(VerifyError::WrongIssuer));
    }

    #[test]
    fn v1_and_v2_issuers_may_live_on_different_origins() {
        let v = verifier();
        let rule = Expected {
            issuer: IssuerRule::TenantOf {
                v1: "https://sts.windows.net",
                v2: "https://login.microsoftonline.com",
            },
            audiences: None,
        };
        let v1 = sign(&header(), &claims("1.0", &format!("https://sts.windows.net/{TID}/")));
        assert!(v.verify(&v1, NOW, &rule).is_ok());
        let v2 = sign(&header(), &claims("2.0", &format!("https://login.microsoftonline.com/{TID}/v2.0")));
        assert!(v.verify(&v2, NOW, &rule).is_ok());
        // Each version only on its own origin.
        let v1_on_v2 = sign(&header(), &claims("1.0", &format!("https://login.microsoftonline.com/{TID}/")));
        assert_eq!(v.verify(&v1_on_v2, NOW, &rule), Err(VerifyError::WrongIssuer));
        let v2_on_v1 = sign(&header(), &claims("2.0", &format!("https://sts.windows.net/{TID}/v2.0")));
        assert_eq!(v.verify(&v2_on_v1, NOW, &rule), Err(VerifyError::WrongIssuer));
    }

    #[test]
    fn refuses_wrong_issuer_audience_time_key_and_type() {
        let v = verifier();
        let wrong_ver = sign(&header(), &claims("2.0", &format!("https://h/{TID}/")));
        assert_eq!(v.verify(&wrong_ver, NOW, &TENANT_RULE), Err(VerifyError::WrongIssuer));
        let other_tenant = sign(&header(), &claims("1.0", "https://h/99999999-2222-3333-4444-555555555555/"));
        assert_eq!(v.verify(&other_tenant, NOW, &TENANT_RULE), Err(VerifyError::WrongIssuer));
        let other_host = sign(&header(), &claims("1.0", &format!("https://evil/{TID}/")));
        assert_eq!(v.verify(&other_host, NOW, &TENANT_RULE), Err(VerifyError::WrongIssuer));

        let good = sign(&header(), &claims("1.0", &format!("https://h/{TID}/")));
        let auds = ["api://other"];
        let aud_rule = Expected { audiences: Some(&auds), ..TENANT_RULE };
        assert_eq!(v.verify(&good, NOW, &aud_rule), Err(VerifyError::WrongAudience));
        assert_eq!(v.verify(&good, NOW + 3599 + 60, &TENANT_RULE), Err(VerifyError::Expired));
        assert!(v.verify(&good, NOW + 3599 + 59, &TENANT_RULE).is_ok());
        assert_eq!(v.verify(&good, NOW - 300 - 61, &TENANT_RULE), Err(VerifyError::NotYetValid));

        let unknown_kid =
            sign(&json!({"alg": "RS256", "kid": "nope"}), &claims("1.0", &format!("https://h/{TID}/")));
        assert_eq!(v.verify(&unknown_kid, NOW, &TENANT_RULE), Err(VerifyError::UnknownKey));
        let typed = sign(
            &json!({"typ": "dpop+jwt", "alg": "RS256", "kid": test_key().0.kid()}),
            &claims("1.0", &format!("https://h/{TID}/")),
        );
        assert_eq!(v.verify(&typed, NOW, &TENANT_RULE), Err(VerifyError::WrongType));
    }

    #[test]
    fn refuses_bad_signatures_other_algorithms_and_string_times() {
        let v = verifier();
        let good = sign(&header(), &claims("1.0", &format!("https://h/{TID}/")));
        let (signed, _) = good.rsplit_once('.').unwrap();
        let other_sig = sign(&header(), &claims("2.0", &format!("https://h/{TID}/v2.0")));
        let forged = format!("{signed}.{}", other_sig.rsplit_once('.').unwrap().1);
        assert_eq!(v.verify(&forged, NOW, &TENANT_RULE), Err(VerifyError::BadSignature));

        let none = sign(&json!({"alg": "none", "kid": test_key().0.kid()}), &claims("1.0", "x"));
        assert!(matches!(v.verify(&none, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
        let hs = sign(&json!({"alg": "HS256", "kid": test_key().0.kid()}), &claims("1.0", "x"));
        assert!(matches!(v.verify(&hs, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));

        let mut c = claims("1.0", &format!("https://h/{TID}/"));
        c["exp"] = json!("99999999999");
        let string_exp = sign(&header(), &c);
        assert!(matches!(v.verify(&string_exp, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
        assert!(matches!(v.verify("a.b", NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert!(matches!(v.verify(&long, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
    }

    #[test]
    fn es256_tokens_verify_with_their_ec_key_and_alg_must_match_the_key_type() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (ec, _) = crate::EcSigningKey::generate(now).unwrap();
        let rsa = &test_key().0;
        let v = TokenVerifier::new(&Jwks {
            keys: vec![Jwk::from_signing_key(rsa), Jwk::from_ec_signing_key(&ec)],
        })
        .unwrap();
        let c = claims("2.0", &format!("https://h/{TID}/v2.0"));
        let es = ec.sign_compact(&json!({"typ": "JWT", "alg": "ES256", "kid": ec.kid()}), &c).unwrap();
        assert_eq!(v.verify(&es, NOW, &TENANT_RULE).unwrap().ver, "2.0");
        // An EC signature under an RS256 header, and an RSA one under ES256, are refused.
        let es_as_rs = ec.sign_compact(&json!({"alg": "RS256", "kid": ec.kid()}), &c).unwrap();
        assert!(matches!(v.verify(&es_as_rs, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
        let rs_as_es = rsa.sign_compact(&json!({"alg": "ES256", "kid": rsa.kid()}), &c).unwrap();
        assert!(matches!(v.verify(&rs_as_es, NOW, &TENANT_RULE), Err(VerifyError::Malformed(_))));
        // An RSA signature pasted under the EC key's header fails the signature check.
        let (signed, _) = es.rsplit_once('.').unwrap();
        let rs = sign(&header(), &c);
        let forged = format!("{signed}.{}", rs.rsplit_once('.').unwrap().1);
        assert_eq!(v.verify(&forged, NOW, &TENANT_RULE), Err(VerifyError::BadSignature));
    }
}

//! The exact JOSE header and claim set of an app-only access token (`entra-wire.md` §4), as
//! borrowed serde structs in Entra's key order: no `serde_json::Value` maps on the hot path.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL;
use custos_core::model::{AccessTokenSigningAlgorithm, TokenVersion};
use custos_core::{AppId, ObjectId, TenantId};
use serde::Serialize;

/// `{"typ":"JWT","alg":"RS256","x5t":…,"kid":…}` (v1) or without `x5t` (v2); `alg` is
/// `ES256` for resources that opted in.
#[derive(Debug, Serialize)]
pub(crate) struct TokenHeader<'a> {
    typ: &'static str,
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
    kid: &'a str,
}

impl<'a> TokenHeader<'a> {
    pub(crate) fn new(version: TokenVersion, algorithm: AccessTokenSigningAlgorithm, kid: &'a str) -> Self {
        let x5t = matches!(version, TokenVersion::V1).then_some(kid);
        Self { typ: "JWT", alg: algorithm.as_str(), x5t, kid }
    }
}

/// Per-token opaque values.
#[derive(Debug)]
pub(crate) struct Opaque {
    /// `aio`: opaque internal value.
    pub(crate) aio: String,
    /// `rh`: opaque refresh handle.
    pub(crate) rh: String,
    /// `uti`: the token's unique id (22 characters).
    pub(crate) uti: String,
}

impl Opaque {
    /// Fresh random values; `None` only if the system random number generator fails.
    pub(crate) fn generate() -> Option<Self> {
        let bytes: [u8; 16 + 24 + 24] = custos_jose::random::array().ok()?;
        let (uti, rest) = bytes.split_at(16);
        let (aio, rh) = rest.split_at(24);
        let mut rh_text = String::with_capacity(34);
        rh_text.push_str("0.");
        URL.encode_string(rh, &mut rh_text);
        Some(Self { aio: URL.encode(aio), rh: rh_text, uti: URL.encode(uti) })
    }
}

/// The claim set; `None` fields and empty `roles` are left out.
#[derive(Debug, Serialize)]
pub(crate) struct AccessTokenClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    aio: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    appid: Option<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appidacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azp: Option<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azpacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp: Option<&'a str>,
    idtyp: &'static str,
    oid: ObjectId,
    rh: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    roles: &'a [&'a str],
    sub: ObjectId,
    tid: TenantId,
    uti: &'a str,
    ver: &'static str,
}

/// What a token is about, independent of its format.
#[derive(Debug)]
pub(crate) struct Subject<'a> {
    /// `aud`: the resource as requested (v1) or its appId string (v2).
    pub(crate) audience: &'a str,
    /// `iss`.
    pub(crate) issuer: &'a str,
    /// The client's appId.
    pub(crate) client: AppId,
    /// The client service principal.
    pub(crate) principal: ObjectId,
    /// The tenant.
    pub(crate) tenant: TenantId,
    /// Sorted, distinct role values.
    pub(crate) roles: &'a [&'a str],
    /// `appidacr`/`azpacr`: `"1"` for a client secret, `"2"` for a certificate.
    pub(crate) acr: &'static str,
}

/// Timestamps of one token, seconds since the epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetime {
    pub(crate) issued_at: i64,
    pub(crate) expires: i64,
}

impl<'a> AccessTokenClaims<'a> {
    pub(crate) fn new(
        version: TokenVersion,
        subject: &Subject<'a>,
        at: Lifetime,
        opaque: &'a Opaque,
    ) -> Self {
        let v1 = matches!(version, TokenVersion::V1);
        Self {
            aud: subject.audience,
            iss: subject.issuer,
            iat: at.issued_at,
            nbf: at.issued_at,
            exp: at.expires,
            aio: &opaque.aio,
            appid: v1.then_some(subject.client),
            appidacr: v1.then_some(subject.acr),
            azp: (!v1).then_some(subject.client),
            azpacr: (!v1).then_some(subject.acr),
            idp: v1.then_some(subject.issuer),
            idtyp: "app",
            oid: subject.principal,
            rh: &opaque.rh,
            roles: subject.roles,
            sub: subject.principal,
            tid: subject.tenant,
            uti: &opaque.uti,
            ver: if v1 { "1.0" } else { "2.0" },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn opaque() -> Opaque {
        Opaque { aio: "AIO".into(), rh: "0.RH".into(), uti: "UTI".into() }
    }

    fn subject<'a>(roles: &'a [&'a str]) -> Subject<'a> {
        Subject {
            audience: "api://r",
            issuer: "https://h/t/",
            client: AppId(Uuid::from_u128(1)),
            principal: ObjectId(Uuid::from_u128(2)),
            tenant: TenantId(Uuid::from_u128(3)),
            roles,
            acr: "1",
        }
    }

    #[test]
    fn opaque_values_are_random_and_sized_like_entra() {
        let a = Opaque::generate().unwrap();
        let b = Opaque::generate().unwrap();
        assert_eq!(a.uti.len(), 22);
        assert_eq!(a.aio.len(), 32);
        assert!(a.rh.starts_with("0.") && a.rh.len() == 34);
        assert_ne!(a.uti, b.uti);
    }

    #[test]
    fn v1_claims_in_entra_order() {
        let o = opaque();
        let at = Lifetime { issued_at: 100, expires: 3999 };
        let json =
            serde_json::to_string(&AccessTokenClaims::new(TokenVersion::V1, &subject(&["A", "B"]), at, &o))
                .unwrap();
        assert_eq!(
            json,
            r#"{"aud":"api://r","iss":"https://h/t/","iat":100,"nbf":100,"exp":3999,"aio":"AIO","#.to_owned()
                + r#""appid":"00000000-0000-0000-0000-000000000001","appidacr":"1","idp":"https://h/t/","idtyp":"app","#
                + r#""oid":"00000000-0000-0000-0000-000000000002","rh":"0.RH","roles":["A","B"],"#
                + r#""sub":"00000000-0000-0000-0000-000000000002","tid":"00000000-0000-0000-0000-000000000003","#
                + r#""uti":"UTI","ver":"1.0"}"#
        );
    }

    #[test]
    fn v2_claims_have_azp_and_no_roles_when_empty() {
        let o = opaque();
        let at = Lifetime { issued_at: 100, expires: 3999 };
        let json =
            serde_json::to_value(AccessTokenClaims::new(TokenVersion::V2, &subject(&[]), at, &o)).unwrap();
        assert_eq!(json["azp"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(json["azpacr"], "1");
        assert_eq!(json["ver"], "2.0");
        for absent in ["roles", "appid", "appidacr", "idp"] {
            assert!(json.get(absent).is_none(), "{absent}");
        }
        let rs = AccessTokenSigningAlgorithm::Rs256;
        let header = serde_json::to_string(&TokenHeader::new(TokenVersion::V2, rs, "K")).unwrap();
        assert_eq!(header, r#"{"typ":"JWT","alg":"RS256","kid":"K"}"#);
        let header = serde_json::to_string(&TokenHeader::new(TokenVersion::V1, rs, "K")).unwrap();
        assert_eq!(header, r#"{"typ":"JWT","alg":"RS256","x5t":"K","kid":"K"}"#);
        let es = AccessTokenSigningAlgorithm::Es256;
        let header = serde_json::to_string(&TokenHeader::new(TokenVersion::V1, es, "K")).unwrap();
        assert_eq!(header, r#"{"typ":"JWT","alg":"ES256","x5t":"K","kid":"K"}"#);
    }
}

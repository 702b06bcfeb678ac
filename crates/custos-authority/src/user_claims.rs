//! The claim sets of tokens issued for a signed-in user (`entra-user-flows.md` §4): delegated
//! access tokens and ID tokens, v1 and v2, in Entra's key order; absent values are left out.

use crate::claims::{Lifetime, Opaque};
use custos_core::model::TokenVersion;
use custos_core::users::User;
use custos_core::{AppId, ObjectId, TenantId};
use serde::Serialize;

/// Who and what a user token is about, independent of its format.
#[derive(Debug)]
pub(crate) struct UserSubject<'a> {
    /// `iss`.
    pub(crate) issuer: &'a str,
    /// The signed-in user.
    pub(crate) user: &'a User,
    /// The client's appId.
    pub(crate) client: AppId,
    /// `appidacr`/`azpacr`: "0" public client, "1" secret, "2" certificate.
    pub(crate) client_acr: &'static str,
    /// The tenant.
    pub(crate) tenant: TenantId,
    /// `amr`.
    pub(crate) amr: &'a [String],
    /// Role template ids of the user's directory roles, the default user role included.
    pub(crate) wids: &'a [String],
}

/// A delegated access token's claims.
#[derive(Debug, Serialize)]
pub(crate) struct DelegatedClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'static str>,
    aio: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amr: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appid: Option<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appidacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azp: Option<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azpacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    name: &'a str,
    oid: ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    rh: &'a str,
    scp: &'a str,
    sub: &'a str,
    tid: TenantId,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upn: Option<&'a str>,
    uti: &'a str,
    ver: &'static str,
    wids: &'a [String],
}

impl<'a> DelegatedClaims<'a> {
    pub(crate) fn new(
        version: TokenVersion,
        subject: &UserSubject<'a>,
        audience: &'a str,
        scp: &'a str,
        sub: &'a str,
        at: Lifetime,
        opaque: &'a Opaque,
    ) -> Self {
        let v1 = matches!(version, TokenVersion::V1);
        let user = subject.user;
        let upn = user.user_principal_name.as_str();
        Self {
            aud: audience,
            iss: subject.issuer,
            iat: at.issued_at,
            nbf: at.issued_at,
            exp: at.expires,
            acr: v1.then_some("1"),
            aio: &opaque.aio,
            amr: v1.then_some(subject.amr),
            appid: v1.then_some(subject.client),
            appidacr: v1.then_some(subject.client_acr),
            azp: (!v1).then_some(subject.client),
            azpacr: (!v1).then_some(subject.client_acr),
            family_name: if v1 { user.surname.as_deref() } else { None },
            given_name: if v1 { user.given_name.as_deref() } else { None },
            name: &user.display_name,
            oid: user.id,
            preferred_username: (!v1).then_some(upn),
            rh: &opaque.rh,
            scp,
            sub,
            tid: subject.tenant,
            unique_name: v1.then_some(upn),
            upn: v1.then_some(upn),
            uti: &opaque.uti,
            ver: if v1 { "1.0" } else { "2.0" },
            wids: subject.wids,
        }
    }
}

/// An ID token's claims.
#[derive(Debug, Serialize)]
pub(crate) struct IdTokenClaims<'a> {
    aud: AppId,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    amr: Option<&'a [String]>,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    oid: ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    rh: &'a str,
    sub: &'a str,
    tid: TenantId,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upn: Option<&'a str>,
    uti: &'a str,
    ver: &'static str,
}

/// What an ID token adds to its subject.
#[derive(Debug)]
pub(crate) struct IdTokenFacts<'a> {
    /// `nonce` from the authorize request, echoed only when one was sent.
    pub(crate) nonce: Option<&'a str>,
    /// `auth_time`.
    pub(crate) auth_time: i64,
    /// Pairwise `sub` for the client.
    pub(crate) sub: &'a str,
}

impl<'a> IdTokenClaims<'a> {
    pub(crate) fn new(
        version: TokenVersion,
        subject: &UserSubject<'a>,
        facts: &IdTokenFacts<'a>,
        at: Lifetime,
        opaque: &'a Opaque,
    ) -> Self {
        let v1 = matches!(version, TokenVersion::V1);
        let user = subject.user;
        let upn = user.user_principal_name.as_str();
        Self {
            aud: subject.client,
            iss: subject.issuer,
            iat: at.issued_at,
            nbf: at.issued_at,
            exp: at.expires,
            amr: v1.then_some(subject.amr),
            auth_time: facts.auth_time,
            family_name: if v1 { user.surname.as_deref() } else { None },
            given_name: if v1 { user.given_name.as_deref() } else { None },
            name: &user.display_name,
            nonce: facts.nonce,
            oid: user.id,
            preferred_username: (!v1).then_some(upn),
            rh: &opaque.rh,
            sub: facts.sub,
            tid: subject.tenant,
            unique_name: v1.then_some(upn),
            upn: v1.then_some(upn),
            uti: &opaque.uti,
            ver: if v1 { "1.0" } else { "2.0" },
        }
    }
}

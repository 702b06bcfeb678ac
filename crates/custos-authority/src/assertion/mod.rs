//! Client authentication with a certificate (`private_key_jwt`, `entra-wire.md` §6): the
//! assertion type check, the keys an assertion may be signed with (the application's
//! certificate credentials valid now, parsed once: `certs`), the audiences this tenant accepts,
//! the mapping of validation failures to Entra's errors, and the replay rule (`replay`).

mod certs;
mod replay;

use crate::discovery::token_endpoint;
use crate::form::require_jwt_bearer;
use crate::issue::Endpoint;
use certs::CertificateCache;
use custos_core::aadsts::TokenError;
use custos_core::model::{Application, Tenant, TokenVersion};
use custos_core::origins::Origins;
use custos_core::settings::AssertionReplayMode;
use custos_core::{Clock, TenantId};
use custos_jose::assertion::{
    AssertionContext, AssertionError, DEFAULT_CLOCK_SKEW_SECS, DEFAULT_MAX_LIFETIME_SECS, ValidatedAssertion,
    validate_client_assertion,
};
use custos_store::Store;
pub(crate) use replay::PendingCheck;
use replay::ReplayGuard;
use std::sync::Arc;

/// Client-assertion authentication: the parsed-certificate cache and the replay guard.
#[derive(Debug)]
pub(crate) struct ClientAssertions {
    certificates: CertificateCache,
    replay: ReplayGuard,
    clock: Arc<dyn Clock>,
}

/// An assertion that authenticated its client, not yet checked for replay.
#[derive(Debug)]
pub(crate) struct Authenticated {
    assertion: ValidatedAssertion,
}

impl ClientAssertions {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            certificates: CertificateCache::default(),
            replay: ReplayGuard::new(store, Arc::clone(&clock), DEFAULT_CLOCK_SKEW_SECS),
            clock,
        }
    }

    /// Checks `client_assertion_type` and validates `raw` for `client` of `tenant`: signed with
    /// one of the client's certificates valid now, addressed to this tenant, within its
    /// lifetime. `origins` are the authority's ([`Origins`]); `alias` the
    /// `common`/`organizations`/`consumers` segment the request came to, if it did.
    pub(crate) fn authenticate(
        &self,
        origins: &Origins,
        tenant: &Tenant,
        alias: Option<&str>,
        client: &Application,
        raw: &str,
        assertion_type: Option<&str>,
    ) -> Result<Authenticated, TokenError> {
        require_jwt_bearer(assertion_type)?;
        let now = self.clock.now();
        let parsed = self.certificates.certificates(client);
        let registered = parsed.valid_at(now);
        let audiences = accepted_audiences(origins, tenant, alias);
        let client_id = client.app_id.to_string();
        let context = AssertionContext {
            client_id: &client_id,
            registered: &registered,
            accepted_audiences: &audiences,
            now: now.unix_timestamp(),
            max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS,
            clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
        };
        let assertion = validate_client_assertion(raw, &context).map_err(|e| token_error(e, &client_id))?;
        Ok(Authenticated { assertion })
    }

    /// Applies the tenant's replay rule to an authenticated assertion, recording its `jti`
    /// durably (before the caller may return a token).
    pub(crate) async fn check_replay(
        &self,
        tenant: TenantId,
        client: &Application,
        authenticated: &Authenticated,
        mode: AssertionReplayMode,
    ) -> Result<(), TokenError> {
        self.replay.check(tenant, client.app_id, &authenticated.assertion, mode).await
    }

    /// [`Self::check_replay`] in two steps: the marker is committed while the caller signs its
    /// token, which it may return only after [`PendingCheck::finish`] accepted the assertion.
    pub(crate) async fn begin_replay_check(
        &self,
        tenant: TenantId,
        client: &Application,
        authenticated: &Authenticated,
        mode: AssertionReplayMode,
    ) -> Result<PendingCheck, TokenError> {
        self.replay.begin(tenant, client.app_id, &authenticated.assertion, mode).await
    }
}

impl Authenticated {
    /// The SHA-1 thumbprint of the certificate that verified the assertion.
    pub(crate) fn thumbprint(&self) -> [u8; 20] {
        self.assertion.thumbprint_sha1
    }
}

/// This tenant's v2 and v1 token endpoints and v2 and v1 issuers, by GUID and by domain name,
/// at the authority's origins, and the token endpoints of the `alias` the request came to (MSAL
/// addresses an assertion to the token endpoint it posts to: `/common/oauth2/v2.0/token` when a
/// multi-tenant app redeems a code there): the only `aud` values an assertion may carry.
fn accepted_audiences(origins: &Origins, tenant: &Tenant, alias: Option<&str>) -> Vec<String> {
    let id = tenant.id.to_string();
    let own = [id.as_str(), tenant.domain.as_str()].into_iter().flat_map(|name| {
        [
            token_endpoint(origins, name, Endpoint::V2),
            token_endpoint(origins, name, Endpoint::V1),
            origins.issuer(name, TokenVersion::V2),
            origins.issuer(name, TokenVersion::V1),
        ]
    });
    let aliased = alias.into_iter().flat_map(|alias| {
        [token_endpoint(origins, alias, Endpoint::V2), token_endpoint(origins, alias, Endpoint::V1)]
    });
    own.chain(aliased).collect()
}

/// Entra's answer to a refused assertion (all `invalid_client`, 401).
fn token_error(error: AssertionError, client_id: &str) -> TokenError {
    match error {
        AssertionError::KeyNotFound { .. } => {
            TokenError::AssertionKeyNotFound { app_id: client_id.to_owned() }
        }
        AssertionError::BadSignature => TokenError::AssertionBadSignature,
        AssertionError::IssuerMismatch => TokenError::AssertionIssuerMismatch,
        AssertionError::SubjectMismatch => TokenError::AssertionSubjectMismatch,
        AssertionError::WrongAudience => TokenError::AssertionAudience,
        e @ (AssertionError::OutsideValidity { .. } | AssertionError::LifetimeTooLong { .. }) => {
            TokenError::AssertionOutsideValidity(e.to_string())
        }
        other => TokenError::InvalidAssertion(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_jose::assertion::Malformation;
    use time::macros::datetime;

    #[test]
    fn audiences_are_this_tenants_endpoints_and_issuers() {
        let tenant = Tenant {
            id: "41463f53-8812-40f4-890f-865bf6e35190".parse().unwrap(),
            domain: "contoso.test".to_owned(),
            display_name: "Contoso".to_owned(),
            created: datetime!(2025-01-01 0:00 UTC),
        };
        let audiences = accepted_audiences(&Origins::single("https://h"), &tenant, None);
        assert_eq!(
            audiences,
            [
                "https://h/41463f53-8812-40f4-890f-865bf6e35190/oauth2/v2.0/token",
                "https://h/41463f53-8812-40f4-890f-865bf6e35190/oauth2/token",
                "https://h/41463f53-8812-40f4-890f-865bf6e35190/v2.0",
                "https://h/41463f53-8812-40f4-890f-865bf6e35190/",
                "https://h/contoso.test/oauth2/v2.0/token",
                "https://h/contoso.test/oauth2/token",
                "https://h/contoso.test/v2.0",
                "https://h/contoso.test/",
            ]
        );
        let at_common = accepted_audiences(&Origins::single("https://h"), &tenant, Some("common"));
        assert_eq!(
            at_common[audiences.len()..],
            ["https://h/common/oauth2/v2.0/token", "https://h/common/oauth2/token"],
            "a request at /common may be addressed to /common's token endpoints"
        );
        assert_eq!(at_common[..audiences.len()], audiences);
    }

    #[test]
    fn every_assertion_error_keeps_its_entra_number() {
        let cases = [
            AssertionError::KeyNotFound { thumbprint: "AB".to_owned() },
            AssertionError::BadSignature,
            AssertionError::IssuerMismatch,
            AssertionError::SubjectMismatch,
            AssertionError::WrongAudience,
            AssertionError::OutsideValidity { now: 10, nbf: None, exp: 5 },
            AssertionError::LifetimeTooLong { lifetime: 7200, max: 3600 },
            AssertionError::Malformed(Malformation::SegmentCount),
            AssertionError::EmbeddedKey,
            AssertionError::MissingClaim { claim: "exp" },
            AssertionError::TooLarge { len: 20_000, max: 16_384 },
        ];
        for error in cases {
            let code = error.aadsts_code();
            let mapped = token_error(error.clone(), "app");
            assert_eq!(mapped.code(), code, "{error:?}");
            assert_eq!(mapped.http_status(), 401, "{error:?}");
        }
        assert_eq!(
            token_error(AssertionError::LifetimeTooLong { lifetime: 7200, max: 3600 }, "app").to_string(),
            "The client assertion is valid for 7200 seconds; at most 3600 seconds are accepted."
        );
    }
}

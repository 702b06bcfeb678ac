//! Authenticates directory-API callers with access tokens this server issued: for the directory
//! API itself ([`AuthorityCallers`]), and for the Azure portal's API route the Azure CLI posts
//! admin consent to ([`PortalApiCallers`]).

use custos_authority::Authority;
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use custos_directory::builtins::PORTAL_API_APP_ID;
use custos_directory::{BearerAuthenticator, Caller};
use std::sync::Arc;

/// A [`BearerAuthenticator`] backed by the authority's own keys: the token must be signed by a
/// published key, unexpired, issued by this server for its `tid`, and addressed to the
/// directory API (`https://graph.microsoft.com` or its appId).
#[derive(Debug, Clone)]
pub struct AuthorityCallers(pub Arc<Authority>);

impl BearerAuthenticator for AuthorityCallers {
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String> {
        let graph_app_id = GRAPH_APP_ID.to_string();
        verified_caller(&self.0, bearer_token, "the directory API", |aud| {
            let aud = aud.trim_end_matches('/');
            aud == GRAPH_IDENTIFIER_URI || aud == graph_app_id
        })
    }
}

/// As [`AuthorityCallers`], for tokens addressed to the Azure portal's API (its appId,
/// `74658136-14ec-4630-ad9b-26e160ff0fc6`, as the Azure CLI asks for them).
#[derive(Debug, Clone)]
pub struct PortalApiCallers(pub Arc<Authority>);

impl BearerAuthenticator for PortalApiCallers {
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String> {
        let portal_app_id = PORTAL_API_APP_ID.to_string();
        verified_caller(&self.0, bearer_token, "the Azure portal's API", |aud| aud == portal_app_id)
    }
}

/// The caller of a token this server issued whose `aud` passes `audience_ok`.
fn verified_caller(
    authority: &Authority,
    bearer_token: &str,
    api: &str,
    audience_ok: impl Fn(&str) -> bool,
) -> Result<Caller, String> {
    let verified = authority.verify_access_token(bearer_token, None).map_err(|e| e.to_string())?;
    if !audience_ok(&verified.aud) {
        return Err(format!("token audience '{}' is not {api}", verified.aud));
    }
    Ok(Caller {
        tenant_id: verified.tenant_id,
        app_id: verified.app_id,
        object_id: verified.object_id,
        roles: verified.roles,
        scopes: verified.scopes,
        origin: custos_directory::RequestOrigin::default(),
    })
}

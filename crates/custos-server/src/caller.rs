//! Authenticates directory-API callers with access tokens this server issued.

use custos_authority::Authority;
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use custos_directory::{BearerAuthenticator, Caller};
use std::sync::Arc;

/// A [`BearerAuthenticator`] backed by the authority's own keys: the token must be signed by a
/// published key, unexpired, issued by this server for its `tid`, and addressed to the
/// directory API (`https://graph.microsoft.com` or its appId).
#[derive(Debug, Clone)]
pub struct AuthorityCallers(pub Arc<Authority>);

impl BearerAuthenticator for AuthorityCallers {
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String> {
        let verified = self.0.verify_access_token(bearer_token, None).map_err(|e| e.to_string())?;
        let graph_app_id = GRAPH_APP_ID.to_string();
        let aud = verified.aud.trim_end_matches('/');
        if aud != GRAPH_IDENTIFIER_URI && aud != graph_app_id {
            return Err(format!("token audience '{}' is not the directory API", verified.aud));
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
}

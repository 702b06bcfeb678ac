//! Tokens for managed identities: a client whose service principal is a `ManagedIdentity` gets
//! the managed-identity lifetime (Entra's ≈ 24 h), every other client the ordinary one.

mod common;

use common::*;
use custos_authority::DEFAULT_MI_TOKEN_LIFETIME_SECS;
use custos_core::model::ServicePrincipalType;
use custos_jose::secret::SecretHasher;

#[tokio::test]
async fn a_managed_identity_gets_the_long_lifetime_and_an_application_the_short_one() {
    let fx = Fixture::new().await;
    let store = fx.directory.store().clone();
    let mi = register(store.as_ref(), fx.tenant, "billing-mi", None, |a, sp| {
        a.password_credentials = vec![secret(&SecretHasher::new(&[3; 32]), SECRET, NOW - 60, NOW + 86_400)];
        sp.service_principal_type = ServicePrincipalType::ManagedIdentity;
    })
    .await;
    let request = |client: &App| {
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.app_id()),
            ("client_secret", SECRET),
            ("resource", "api://resource-v1"),
        ])
    };

    let reply = post_form(&fx.router, &fx.v1_token_path(), &request(&mi)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(DEFAULT_MI_TOKEN_LIFETIME_SECS, 86_399);
    assert_eq!(reply.json["expires_in"], "86399");
    assert_eq!(reply.json["expires_on"], (NOW + 86_399).to_string());
    assert_eq!(reply.json["not_before"], (NOW - 300).to_string());

    let reply = post_form(&fx.router, &fx.v1_token_path(), &request(&fx.client)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["expires_in"], "3599");
}

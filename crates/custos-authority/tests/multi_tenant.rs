//! A multi-tenant application of one tenant gets app-only tokens in another tenant once that
//! tenant has its service principal (consent), with its home tenant's credentials; before
//! consent, or for a single-tenant application, the other tenant answers Entra's errors.

mod common;

use common::*;
use custos_core::model::{SIGN_IN_AUDIENCE_MULTIPLE_ORGS, ServicePrincipal, ServicePrincipalType, Tenant};
use custos_core::{ObjectId, TenantId};
use custos_store::Store;

async fn other_tenant(fx: &Fixture) -> (TenantId, App) {
    let store = fx.directory.as_ref();
    let tenant = TenantId::new_random();
    store
        .create_tenant(
            &Tenant {
                id: tenant,
                domain: "fabrikam.custos.test".into(),
                display_name: "Fabrikam".into(),
                created: at(0),
            },
            &audit(),
        )
        .await
        .unwrap();
    let roles = vec![role("ActivityFeed.Read", true), role("ServiceHealth.Read", true)];
    let resource =
        register(store, tenant, "Office 365 Management APIs", Some("https://manage.office.com"), |a, _| {
            a.app_roles = roles;
        })
        .await;
    (tenant, resource)
}

fn body(fx: &Fixture) -> String {
    form(&[
        ("client_id", &fx.client.app_id()),
        ("client_secret", SECRET),
        ("grant_type", "client_credentials"),
        ("resource", "https://manage.office.com"),
    ])
}

#[tokio::test]
async fn a_consented_multi_tenant_app_gets_tokens_in_the_other_tenant() {
    let fx = Fixture::new().await;
    let (tenant_b, resource) = other_tenant(&fx).await;
    let path = format!("/{tenant_b}/oauth2/token");

    // Single-tenant: unknown in B.
    post_form(&fx.router, &path, &body(&fx)).await.assert_error(400, "unauthorized_client", 700016);

    let mut home = fx.client.app.clone();
    home.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.to_owned();
    fx.directory.update_application(&home, &audit()).await.unwrap();
    // Multi-tenant but not consented in B: no service principal there.
    post_form(&fx.router, &path, &body(&fx)).await.assert_error(401, "invalid_client", 7000229);
    // A wrong secret is still a wrong secret.
    let wrong = body(&fx).replace("s3cret", "wrong");
    post_form(&fx.router, &path, &wrong).await.assert_error(401, "invalid_client", 7000215);

    // What consent writes in B: the client's service principal and its app role assignments.
    let sp = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: tenant_b,
        app_id: home.app_id,
        display_name: home.display_name.clone(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        properties: Default::default(),
        created: at(NOW - 60),
    };
    fx.directory.create_service_principal(&sp, &audit()).await.unwrap();
    let consented = App { app: home.clone(), sp: sp.clone() };
    for r in &resource.app.app_roles {
        assign(fx.directory.as_ref(), tenant_b, &consented, &resource, r).await;
    }

    let reply = post_form(&fx.router, &path, &body(&fx)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = token_claims(&reply);
    assert_eq!(claims["aud"], "https://manage.office.com");
    assert_eq!(claims["tid"], tenant_b.to_string());
    assert_eq!(claims["oid"], sp.id.to_string(), "the service principal in B");
    assert_eq!(claims["appid"], home.app_id.to_string());
    assert_eq!(claims["roles"], serde_json::json!(["ActivityFeed.Read", "ServiceHealth.Read"]));
    assert_eq!(claims["idtyp"], "app");
    // The home tenant keeps working as before.
    assert_eq!(
        post_form(
            &fx.router,
            &fx.v2_token_path(),
            &fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default")
        )
        .await
        .status,
        200
    );
}

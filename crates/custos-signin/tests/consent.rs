//! Admin consent across tenants (seed 004), the admin-consent endpoints and logout.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use custos_core::consent::ConsentType;
use custos_store::CodeRedemption;

/// Seed 004's consent URL, host aside.
fn seed_004(f: &Fixture) -> String {
    format!(
        "/common/oauth2/authorize?response_type=code&resource=https%3A%2F%2Fmanage.office.com&client_id={}\
         &redirect_uri=https%3A%2F%2Fconsumer.example%2Fcallback",
        f.multi.app_id
    )
}

/// The same consent on a directory reading tenants in slices (as large tenants are read): the
/// page lists the client's static permissions, the accepted consent is found granted afterwards,
/// and no tenant was read whole.
#[tokio::test]
async fn seed_004_consent_on_sliced_tenants() {
    let f = Fixture::sliced().await;
    let mut browser = f.browser();
    let first = browser.get(&seed_004(&f)).await;
    let path = "/common/oauth2/authorize";
    let consent = browser.sign_in(path, &first, "admin@fabrikam.test", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(
        consent.body.contains("Role ActivityFeed.Read") && consent.body.contains("Admin: ServiceHealth.Read")
    );
    let done = browser.consent(path, &consent, "accept").await;
    assert!(done.location().starts_with("https://consumer.example/callback?code="));
    let again = browser.get(&seed_004(&f)).await;
    assert!(again.fields().contains_key("code"), "consented: no page");
    assert!(f.directory.cached_slices(f.fabrikam.id) > 0);
    assert!(!f.directory.caches_whole_snapshot(f.fabrikam.id));
}

#[tokio::test]
async fn seed_004_an_admin_of_another_tenant_consents_for_the_organization() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&seed_004(&f)).await;
    assert_eq!(first.status, StatusCode::OK);
    let path = "/common/oauth2/authorize";
    let consent = browser.sign_in(path, &first, "admin@fabrikam.test", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(consent.body.contains("Activity Consumer") && consent.body.contains("Publisher: contoso.test"));
    assert!(
        consent.body.contains("Role ActivityFeed.Read") && consent.body.contains("Admin: ServiceHealth.Read")
    );
    assert!(consent.body.contains("for everyone in your organization"));
    let done = browser.consent(path, &consent, "accept").await;
    let code = done.fields()["code"].clone();
    assert!(done.location().starts_with("https://consumer.example/callback?code="));

    let hash = custos_jose::hash::sha256(code.as_bytes());
    let CodeRedemption::Redeemed(grant) = f.store.redeem_authorization_code(&hash, NOW).await.unwrap() else {
        panic!("stored")
    };
    assert_eq!(grant.tenant_id, f.fabrikam.id, "tid is the user's home tenant");
    assert_eq!(grant.issued_on, "common");
    assert_eq!(grant.resource.as_deref(), Some("https://manage.office.com"));

    let sp = f
        .store
        .service_principal_by_app_id(f.fabrikam.id, f.multi.app_id)
        .await
        .unwrap()
        .expect("installed in B");
    let resource = f.store.service_principal_by_app_id(f.fabrikam.id, O365_APP_ID).await.unwrap().unwrap();
    let grants = f.store.permission_grants(f.fabrikam.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].client_id, grants[0].resource_id), (sp.id, resource.id));
    assert_eq!((grants[0].consent_type, grants[0].principal_id), (ConsentType::AllPrincipals, None));
    let mut scopes: Vec<_> = grants[0].scopes().collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["ActivityFeed.Read", "ServiceHealth.Read"]);
    let mut roles: Vec<_> = f
        .store
        .assignments(f.fabrikam.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.principal_id == sp.id && a.resource_id == resource.id)
        .map(|a| a.app_role_id)
        .collect();
    roles.sort_unstable();
    let mut expected = vec![ACTIVITY_FEED_READ, SERVICE_HEALTH_READ];
    expected.sort_unstable();
    assert_eq!(roles, expected);

    // Consent again is not asked, and re-consent stays idempotent.
    let again = browser.get(&seed_004(&f)).await;
    assert!(again.fields().contains_key("code"));
    let forced = browser.get(&format!("{}&prompt=consent", seed_004(&f))).await;
    let accepted = browser.consent(path, &forced, "accept").await;
    assert!(accepted.fields().contains_key("code"));
    assert_eq!(f.store.permission_grants(f.fabrikam.id).await.unwrap().len(), 1);
    assert_eq!(
        f.store.assignments(f.fabrikam.id).await.unwrap().iter().filter(|a| a.principal_id == sp.id).count(),
        2
    );
}

#[tokio::test]
async fn a_non_admin_of_another_tenant_needs_admin_approval() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&seed_004(&f)).await;
    let page = browser.sign_in("/common/oauth2/authorize", &first, "bob@fabrikam.test", PASSWORD).await;
    assert!(page.body.contains("Need admin approval"), "{}", page.body);
    assert!(f.store.service_principal_by_app_id(f.fabrikam.id, f.multi.app_id).await.unwrap().is_none());
}

#[tokio::test]
async fn prompt_admin_consent_on_v1_returns_admin_consent_true() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let url = format!("/fabrikam.test/oauth2/authorize?{}&prompt=admin_consent&state=x", &seed_004(&f)[25..]);
    let first = browser.get(&url).await;
    let consent =
        browser.sign_in("/fabrikam.test/oauth2/authorize", &first, "admin@fabrikam.test", PASSWORD).await;
    let done = browser.consent("/fabrikam.test/oauth2/authorize", &consent, "accept").await;
    let fields = done.fields();
    assert_eq!(fields["admin_consent"], "True");
    assert_eq!(fields["state"], "x");
    assert!(fields.contains_key("code"));
}

#[tokio::test]
async fn adminconsent_endpoints_redirect_with_admin_consent_and_tenant() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let v1 = format!(
        "/common/adminconsent?client_id={}&redirect_uri=https%3A%2F%2Fconsumer.example%2Fcallback&state=12345",
        f.multi.app_id
    );
    let first = browser.get(&v1).await;
    let consent = browser.sign_in("/common/adminconsent", &first, "admin@fabrikam.test", PASSWORD).await;
    let done = browser.consent("/common/adminconsent", &consent, "accept").await;
    assert_eq!(
        done.location(),
        format!("https://consumer.example/callback?admin_consent=True&tenant={}&state=12345", f.fabrikam.id)
    );
    assert_eq!(f.store.assignments(f.fabrikam.id).await.unwrap().len(), 2);

    let cancel_url = format!(
        "/fabrikam.test/v2.0/adminconsent?client_id={}&redirect_uri=https%3A%2F%2Fconsumer.example%2Fcallback\
         &scope=https%3A%2F%2Fmanage.office.com%2F.default&state=s",
        f.multi.app_id
    );
    let consent = browser.get(&cancel_url).await;
    assert!(consent.body.contains(r#"value="cancel""#), "an administrator is asked again: {}", consent.body);
    let cancelled = browser.consent("/fabrikam.test/v2.0/adminconsent", &consent, "cancel").await;
    let fields = cancelled.fields();
    assert_eq!(fields["admin_consent"], "True");
    assert_eq!(fields["error"], "consent_required");
    assert!(
        fields["error_description"]
            .starts_with("AADSTS65004: The resource owner or authorization server denied the request.")
    );

    let v1_cancel = browser.get(&v1).await;
    let cancelled = browser.consent("/common/adminconsent", &v1_cancel, "cancel").await;
    assert_eq!(
        cancelled.location(),
        "https://consumer.example/callback?error=permission_denied&error_description=The+admin+canceled+the+request&state=12345"
    );

    let common_v2 = browser.get(&cancel_url.replace("/fabrikam.test/", "/common/")).await;
    common_v2.assert_error_page(90130);
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_only_to_registered_uris() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&seed_004(&f)).await;
    let consent = browser.sign_in("/common/oauth2/authorize", &first, "admin@fabrikam.test", PASSWORD).await;
    browser.consent("/common/oauth2/authorize", &consent, "accept").await.location();
    let session = browser.cookies["__Host-custos-session"].clone();

    let evil = browser
        .get(&format!(
            "/common/oauth2/v2.0/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            f.multi.app_id
        ))
        .await;
    assert_eq!(evil.status, StatusCode::OK);
    assert!(!evil.headers.contains_key(header::LOCATION));
    assert!(!browser.cookies.contains_key("__Host-custos-session"));
    let hash = custos_jose::hash::sha256(session.as_bytes());
    assert!(f.store.session(&hash, NOW).await.unwrap().is_none());

    let home = browser
        .get(&format!(
            "/common/oauth2/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fconsumer.example%2Fcallback&state=a+b",
            f.multi.app_id
        ))
        .await;
    assert_eq!(home.location(), "https://consumer.example/callback?state=a+b");
    let silent = browser.get(&format!("{}&prompt=none", seed_004(&f))).await;
    assert_eq!(silent.fields()["error"], "login_required");
}

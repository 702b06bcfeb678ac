//! The authorize endpoints end to end: page errors never redirect, redirected errors, sign-in,
//! consent, codes, sessions, CSRF and lockout.

mod common;

use axum::http::{StatusCode, header};
use common::*;
use custos_core::consent::{ConsentType, Platform};
use custos_core::sign_in::AuthorizeEndpoint;
use custos_store::CodeRedemption;
use std::net::SocketAddr;

fn v2(f: &Fixture, tenant: &str, extra: &str) -> String {
    format!(
        "/{tenant}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=User.Read+openid+profile+offline_access&state=st%26te&nonce=n0nce{extra}",
        f.web.app_id
    )
}

const V2_PATH: &str = "/contoso.test/oauth2/v2.0/authorize";

#[tokio::test]
async fn unknown_clients_and_unregistered_redirect_uris_get_a_page_never_a_redirect() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let unknown = browser
        .get("/contoso.test/oauth2/v2.0/authorize?client_id=00000000-0000-0000-0000-00000000dead&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid")
        .await;
    unknown.assert_error_page(700016);
    browser
        .get("/contoso.test/oauth2/v2.0/authorize?client_id=not-a-guid&scope=openid")
        .await
        .assert_error_page(700016);
    browser.get("/contoso.test/oauth2/v2.0/authorize?response_type=code").await.assert_error_page(900144);
    for evil in [
        "https%3A%2F%2Fevil.example%2Fcb",
        "https%3A%2F%2Fapp.example%2Fcb%2F",
        "https%3A%2F%2Fapp.example%2FCB",
        "https%3A%2F%2Fapp.example%40evil.example%2Fcb",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fapp.example%2Fcb%23x",
    ] {
        let page = browser
            .get(&format!(
                "/contoso.test/oauth2/v2.0/authorize?client_id={}&response_type=bogus&redirect_uri={evil}&scope=openid&prompt=none",
                f.web.app_id
            ))
            .await;
        assert!(
            page.body.contains("AADSTS50011:") || page.body.contains("AADSTS90102:"),
            "{evil}: {}",
            page.body
        );
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(!page.headers.contains_key(header::LOCATION), "{evil}");
    }
    let missing = browser.get("/nosuch.test/oauth2/authorize?client_id=x").await;
    missing.assert_error_page(90002);
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let f = Fixture::new().await;
    let page = f.browser().get(&v2(&f, "contoso.test", "&prompt=none")).await;
    let fields = page.fields();
    assert!(page.location().starts_with("https://app.example/cb?error=login_required&"));
    assert!(fields["error_description"].starts_with(
        "AADSTS50058: A silent sign-in request was sent but no user is signed in.\r\nTrace ID: "
    ));
    assert_eq!(fields["error_uri"], "https://login.custos.test/error?code=50058");
    assert_eq!(fields["state"], "st&te");
}

#[tokio::test]
async fn protocol_errors_are_redirected_once_client_and_uri_are_valid() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let plain = browser
        .get(&v2(&f, "contoso.test", &format!("&code_challenge={CHALLENGE}&code_challenge_method=plain")))
        .await;
    assert_eq!(plain.fields()["error"], "invalid_request");
    assert!(plain.fields()["error_description"].starts_with("AADSTS50149:"));
    let token = browser.get(&v2(&f, "contoso.test", "&response_type=token")).await;
    assert_eq!(token.fields()["error"], "invalid_request", "repeated response_type");
    let single_tenant_on_common = browser.get(&v2(&f, "common", "")).await;
    assert_eq!(single_tenant_on_common.fields()["error"], "invalid_request");
    assert!(single_tenant_on_common.fields()["error_description"].starts_with("AADSTS50194:"));
    let bad_scope = browser.get(&v2(&f, "contoso.test", "").replace("User.Read", "api%3A%2F%2Fx")).await;
    bad_scope.assert_error_page(70011);
}

#[tokio::test]
async fn sign_in_consent_and_code_with_pkce_and_client_info() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let url = v2(
        &f,
        "contoso.test",
        &format!("&client_info=1&code_challenge={CHALLENGE}&code_challenge_method=S256"),
    );
    let first = browser.get(&url).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_SECURITY_POLICY], "default-src 'self'; frame-ancestors 'none'");
    assert_eq!(first.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(first.headers[header::CACHE_CONTROL], "no-store");
    let set = first.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.starts_with("__Host-custos-browser=")
            && set.ends_with("; Path=/; HttpOnly; SameSite=Lax; Secure"),
        "{set}"
    );
    assert!(first.body.contains("Contoso &lt;Web&gt;"));

    let wrong = browser.sign_in(V2_PATH, &first, "alice@contoso.test", "Wr0ng-pass").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.body.contains("Your account or password is incorrect.") && wrong.body.contains("AADSTS50126")
    );
    assert!(!browser.cookies.contains_key("__Host-custos-session"));

    let consent = browser.sign_in(V2_PATH, &wrong, "alice@contoso.test", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(consent.body.contains("User: User.Read"), "user-facing name: {}", consent.body);
    assert!(consent.body.contains(r#"name="consent" value="accept""#));
    assert!(browser.cookies.contains_key("__Host-custos-session"));

    let (ctx, csrf) = (consent.hidden("ctx"), consent.hidden("csrf"));
    let unseen = browser
        .post(V2_PATH, &[("ctx", &ctx), ("csrf", &csrf), ("plan", "other"), ("consent", "accept")])
        .await;
    assert!(unseen.body.contains(r#"value="accept""#), "accepting what was not shown grants nothing");
    assert!(f.store.permission_grants(f.contoso.id).await.unwrap().is_empty());

    browser.source = Some("192.0.2.44:40000".parse().unwrap());
    let done = browser.consent(V2_PATH, &consent, "accept").await;
    let fields = done.fields();
    assert!(done.location().starts_with("https://app.example/cb?code="));
    assert_eq!(fields["state"], "st&te");
    // The consent is recorded as Alice's, from the browser's address, with the grant it made.
    let query = custos_store::LogQuery::newest(f.contoso.id, 100);
    let records = f.store.directory_audits(&query).await.unwrap().records;
    let consented: Vec<_> = records
        .iter()
        .filter(|r| r.activity == custos_core::audit::Activity::ConsentToApplication)
        .map(custos_core::audit::DirectoryAudit::to_graph)
        .collect();
    assert_eq!(consented.len(), 1, "{records:#?}");
    let user = &consented[0]["initiatedBy"]["user"];
    assert_eq!(user["id"], f.alice.id.to_string());
    assert_eq!(user["userPrincipalName"], "alice@contoso.test");
    assert_eq!(user["ipAddress"], "192.0.2.44");
    let flags = &consented[0]["targetResources"][0]["modifiedProperties"][0];
    assert_eq!(
        (flags["displayName"].as_str(), flags["newValue"].as_str()),
        (Some("ConsentContext.IsAdminConsent"), Some("\"False\""))
    );
    assert!(records.iter().any(|r| r.activity == custos_core::audit::Activity::AddDelegatedPermissionGrant));
    assert_eq!(fields["session_state"].len(), 36);
    let info = custos_signin::respond::client_info(f.alice.id, f.contoso.id);
    assert_eq!(fields["client_info"], info);

    let hash = custos_jose::hash::sha256(fields["code"].as_bytes());
    let CodeRedemption::Redeemed(grant) = f.store.redeem_authorization_code(&hash, NOW + 60).await.unwrap()
    else {
        panic!("the code is stored");
    };
    assert_eq!(grant.endpoint, AuthorizeEndpoint::V2);
    assert_eq!(grant.issued_on, "contoso.test");
    assert_eq!((grant.tenant_id, grant.user_id, grant.client_id), (f.contoso.id, f.alice.id, f.web.app_id));
    assert_eq!(grant.redirect_uri.as_deref(), Some("https://app.example/cb"));
    assert_eq!(grant.platform, Platform::Web);
    assert_eq!(grant.scope.as_deref(), Some("User.Read openid profile offline_access"));
    assert_eq!(grant.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(grant.nonce.as_deref(), Some("n0nce"));
    assert_eq!(grant.auth_time, NOW);
    assert_eq!(grant.amr, ["pwd"]);

    let grants = f.store.permission_grants(f.contoso.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].consent_type, grants[0].principal_id), (ConsentType::Principal, Some(f.alice.id)));
    assert_eq!(grants[0].scope, "User.Read");

    // Single sign-on: the session gives a code at once, consent is remembered.
    let again = browser.get(&v2(&f, "contoso.test", "&prompt=none")).await;
    assert!(again.fields().contains_key("code"), "{:?}", again.fields());
    // prompt=login asks for credentials again.
    let login = browser.get(&v2(&f, "contoso.test", "&prompt=login")).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains(r#"name="passwd""#));
}

#[tokio::test]
async fn sessions_are_renewed_at_every_sign_in() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "&prompt=login")).await;
    let consent = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    let before = browser.cookies["__Host-custos-session"].clone();
    browser.consent(V2_PATH, &consent, "accept").await.location();
    let again = browser.get(&v2(&f, "contoso.test", "&prompt=login")).await;
    let done = browser.sign_in(V2_PATH, &again, "alice@contoso.test", PASSWORD).await;
    assert!(done.fields().contains_key("code"));
    let after = browser.cookies["__Host-custos-session"].clone();
    assert_ne!(before, after);
    let old = custos_jose::hash::sha256(before.as_bytes());
    assert!(f.store.session(&old, NOW).await.unwrap().is_none(), "the old session ended");
}

#[tokio::test]
async fn forms_without_this_browser_s_csrf_token_are_refused() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let page = browser.get(&v2(&f, "contoso.test", "")).await;
    let ctx = page.hidden("ctx");
    let missing =
        browser.post(V2_PATH, &[("ctx", &ctx), ("login", "alice@contoso.test"), ("passwd", PASSWORD)]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(missing.headers[header::X_FRAME_OPTIONS], "DENY");
    let mut other = f.browser();
    let theirs = other.get(&v2(&f, "contoso.test", "")).await;
    let forged = browser
        .post(
            V2_PATH,
            &[
                ("ctx", &ctx),
                ("csrf", &theirs.hidden("csrf")),
                ("login", "alice@contoso.test"),
                ("passwd", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut cookieless = f.browser();
    let csrf = page.hidden("csrf");
    let no_cookie = cookieless.post(V2_PATH, &[("ctx", &ctx), ("csrf", &csrf), ("consent", "accept")]).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("__Host-custos-session"));
}

#[tokio::test]
async fn cancel_is_access_denied_65004() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "&response_mode=fragment")).await;
    let consent = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    let cancelled = browser.consent(V2_PATH, &consent, "cancel").await;
    assert!(cancelled.location().starts_with("https://app.example/cb#error=access_denied&"));
    let fields = cancelled.fields();
    assert!(
        fields["error_description"].starts_with("AADSTS65004: User declined to consent to access the app.")
    );
    assert_eq!(fields["error_subcode"], "cancel");
    assert!(f.store.permission_grants(f.contoso.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn users_get_need_admin_approval_for_admin_scopes() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let url = format!(
        "/contoso.test/oauth2/authorize?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Freader.example%2Fcb&state=s",
        f.admin_only.app_id
    );
    let first = browser.get(&url).await;
    let approval =
        browser.sign_in("/contoso.test/oauth2/authorize", &first, "alice@contoso.test", PASSWORD).await;
    assert!(approval.body.contains("Need admin approval"), "{}", approval.body);
    assert!(!approval.body.contains(r#"value="accept""#));
    let back = browser.consent("/contoso.test/oauth2/authorize", &approval, "cancel").await;
    assert_eq!(back.fields()["error"], "access_denied");
    assert!(
        back.fields()["error_description"].starts_with("AADSTS90094: The grant requires admin permission.")
    );
    let forced = browser.consent("/contoso.test/oauth2/authorize", &approval, "accept").await;
    assert!(forced.body.contains("Need admin approval"), "accept cannot bypass approval");
    assert!(f.store.permission_grants(f.contoso.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn sign_in_failures_are_entra_s_codes() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    let unknown = browser.sign_in(V2_PATH, &first, "nobody@contoso.test", PASSWORD).await;
    assert!(unknown.body.contains("AADSTS50034"), "{}", unknown.body);
    let disabled = browser.sign_in(V2_PATH, &first, "carol@contoso.test", PASSWORD).await;
    assert!(disabled.body.contains("AADSTS50057"), "{}", disabled.body);
    let foreign = browser.sign_in(V2_PATH, &first, "bob@fabrikam.test", PASSWORD).await;
    foreign.assert_error_page(50020);
    assert_eq!(foreign.error_message(), user_not_in_tenant(&f, &format!("{PUBLIC_URL}/{}/", f.fabrikam.id)));
    let disabled_wrong = browser.sign_in(V2_PATH, &first, "carol@contoso.test", "Wr0ng-pass").await;
    assert!(disabled_wrong.body.contains("AADSTS50126"), "account state only after the right password");
}

/// AADSTS50020's exact text for bob of fabrikam signing in to the web app in contoso, whose
/// identity provider is `idp`.
fn user_not_in_tenant(f: &Fixture, idp: &str) -> String {
    format!(
        "AADSTS50020: User account 'bob@fabrikam.test' from identity provider '{idp}' does not exist in tenant \
         'contoso.test' and cannot access the application '{}'({}) in that tenant. The account needs to be added \
         as an external user in the tenant first. Sign out and sign in again with a different Azure Active \
         Directory user account.",
        f.web.app_id, f.web.display_name
    )
}

#[tokio::test]
async fn a_foreign_users_identity_provider_is_the_v1_issuer_of_their_tenant() {
    // With Entra host names, Entra's own text: https://sts.windows.net/{home tenant}/.
    let f = Fixture::with_origins(custos_core::origins::Origins::entra()).await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    let foreign = browser.sign_in(V2_PATH, &first, "bob@fabrikam.test", PASSWORD).await;
    foreign.assert_error_page(50020);
    let idp = format!("https://sts.windows.net/{}/", f.fabrikam.id);
    assert_eq!(foreign.error_message(), user_not_in_tenant(&f, &idp));
}

#[tokio::test]
async fn ten_distinct_wrong_passwords_lock_the_account() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    for i in 0..10 {
        let page = browser.sign_in(V2_PATH, &first, "alice@contoso.test", &format!("Wr0ng-{i}")).await;
        assert!(page.body.contains("AADSTS50126"), "attempt {i}");
    }
    let locked = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert!(locked.body.contains("AADSTS50053"), "{}", locked.body);
    f.clock.advance(time::Duration::seconds(61));
    let unlocked = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert_eq!(unlocked.status, StatusCode::OK, "consent page after the lockout: {}", unlocked.body);
}

#[tokio::test]
async fn ten_failures_from_one_address_lock_that_address_for_every_account() {
    let f = Fixture::new().await;
    let sprayer: SocketAddr = "192.0.2.7:50000".parse().unwrap();
    let mut browser = f.browser();
    browser.source = Some(sprayer);
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    for i in 0..10 {
        let user = if i % 2 == 0 { "alice@contoso.test" } else { "carol@contoso.test" };
        let page = browser.sign_in(V2_PATH, &first, user, &format!("Wr0ng-{i}")).await;
        assert!(page.body.contains("AADSTS50126"), "attempt {i}: {}", page.body);
    }
    // Neither account reached ten failures, but the address did.
    let locked = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert!(locked.body.contains("AADSTS50053"), "{}", locked.body);

    // The same account from another address still signs in.
    let mut elsewhere = f.browser();
    elsewhere.source = Some("198.51.100.3:40000".parse().unwrap());
    let page = elsewhere.get(&v2(&f, "contoso.test", "")).await;
    let signed_in = elsewhere.sign_in(V2_PATH, &page, "alice@contoso.test", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "consent page: {}", signed_in.body);
}

#[tokio::test]
async fn form_post_answers_with_a_self_submitting_form() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let url = format!(
        "/contoso.test/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8400\
         &scope=openid&response_mode=form_post&state=s",
        f.native.app_id
    );
    let first = browser.get(&url).await;
    let done = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains(r#"<form method="post" action="http://localhost:8400">"#), "{}", done.body);
    assert!(done.body.contains(r#"name="code""#));
    let csp = done.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'sha256-"));
}

#[tokio::test]
async fn unknown_scopes_and_resources_are_redirected() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    let unknown_scope = browser.get(&v2(&f, "contoso.test", "").replace("User.Read", "Nope.Read")).await;
    let fields = unknown_scope.fields();
    assert_eq!(fields["error"], "invalid_client");
    assert!(
        fields["error_description"].starts_with(
            "AADSTS650053: The application 'Contoso <Web>' asked for scope 'Nope.Read' that doesn't exist on the resource '00000003-0000-0000-c000-000000000000'."
        ),
        "{fields:?}"
    );
    let unknown_resource =
        browser.get(&v2(&f, "contoso.test", "").replace("User.Read", "api%3A%2F%2Fnowhere%2Fread")).await;
    assert_eq!(unknown_resource.fields()["error"], "invalid_resource");
    assert!(unknown_resource.fields()["error_description"].starts_with("AADSTS500011:"));
}

#[tokio::test]
async fn silent_requests_need_consent_and_a_fresh_enough_session() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first = browser.get(&v2(&f, "contoso.test", "")).await;
    let consent = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert!(consent.body.contains(r#"value="accept""#));
    let silent = browser.get(&v2(&f, "contoso.test", "&prompt=none")).await;
    let fields = silent.fields();
    assert_eq!(fields["error"], "consent_required");
    assert!(fields["error_description"].starts_with("AADSTS65001:"), "{fields:?}");
    browser.consent(V2_PATH, &consent, "accept").await.location();
    f.clock.advance(time::Duration::seconds(600));
    let fresh = browser.get(&v2(&f, "contoso.test", "&prompt=none&max_age=900")).await;
    assert!(fresh.fields().contains_key("code"));
    let stale = browser.get(&v2(&f, "contoso.test", "&prompt=none&max_age=300")).await;
    assert_eq!(stale.fields()["error"], "login_required");
    let other_tenant = browser.get(&v2(&f, "fabrikam.test", "&prompt=none")).await;
    other_tenant.assert_error_page(700016);
}

#[tokio::test]
async fn one_post_cannot_sign_in_and_consent_at_once() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let first =
        browser.get(&v2(&f, "contoso.test", "&client-request-id=6f3c1d2e-0000-4000-8000-000000000001")).await;
    let (ctx, csrf) = (first.hidden("ctx"), first.hidden("csrf"));
    let both = browser
        .post(
            V2_PATH,
            &[
                ("ctx", &ctx),
                ("csrf", &csrf),
                ("login", "alice@contoso.test"),
                ("passwd", PASSWORD),
                ("consent", "accept"),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::OK);
    assert!(both.body.contains(r#"value="accept""#), "the consent page is still shown");
    assert!(f.store.permission_grants(f.contoso.id).await.unwrap().is_empty());
    let unknown = browser.get("/contoso.test/oauth2/authorize?client_id=x&client-request-id=6f3c1d2e-0000-4000-8000-000000000001").await;
    assert!(unknown.body.contains("<dt>Correlation Id</dt><dd>6f3c1d2e-0000-4000-8000-000000000001</dd>"));
}

/// The server's own origin names the directory API in scopes, as msgraph-sdk spells Graph's
/// permissions against custos (`https://{host}/User.Read`), exactly as at the token endpoint.
#[tokio::test]
async fn the_public_origin_names_the_directory_api_in_scopes() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    let url = format!(
        "{V2_PATH}?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=https%3A%2F%2Flogin.custos.test%2FUser.Read+openid&state=s",
        f.web.app_id
    );
    let first = browser.get(&url).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let consent = browser.sign_in(V2_PATH, &first, "alice@contoso.test", PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(consent.body.contains("User: User.Read"), "Graph's permission: {}", consent.body);
    let other = format!(
        "{V2_PATH}?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=https%3A%2F%2Felsewhere.test%2FUser.Read&state=s",
        f.web.app_id
    );
    let refused = browser.get(&other).await;
    assert!(
        refused.location().contains("AADSTS500011"),
        "another origin is no alias: {}",
        refused.location()
    );
}

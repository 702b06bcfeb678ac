//! The token endpoint's user flows against a code the sign-in pages would have issued:
//! redemption (v1 shape of seed 004, v2 shape of MSAL), its bindings (single use, client,
//! redirect URI, PKCE, tenant path), refresh-token rotation and reuse detection, consent and
//! user state, and the test-only password grant (security.md D28, D29).

mod certificates;
mod common;

use common::*;
use custos_core::consent::{
    ConsentType, OAuth2PermissionGrant, PermissionScope, Platform, RedirectUris, ScopeConsent,
};
use custos_core::settings::TenantSettings;
use custos_core::sign_in::{AuthorizeEndpoint, CodeGrant};
use custos_core::users::{GLOBAL_ADMINISTRATOR, User};
use custos_core::{ObjectId, TenantId};
use custos_store::{AuthorizationCode, Store};
use uuid::Uuid;

const REDIRECT: &str = "https://app.contoso.test/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "Passw0rd!";

struct Users {
    fx: Fixture,
    alice: User,
    /// A web client with SECRET, consented for `Orders.Read` on resource v1 for everyone.
    web: App,
    /// A public client (no credential), consented the same way.
    public: App,
}

async fn users() -> Users {
    users_in(Fixture::new().await).await
}

/// The users, clients and consent of [`users`] on the fixture `fx`.
async fn users_in(fx: Fixture) -> Users {
    let store = fx.directory.clone();
    let scope = PermissionScope {
        id: Uuid::new_v4(),
        value: "Orders.Read".to_owned(),
        consent: ScopeConsent::User,
        admin_consent_display_name: None,
        admin_consent_description: None,
        user_consent_display_name: None,
        user_consent_description: None,
        is_enabled: true,
    };
    for resource in [&fx.resource_v1, &fx.resource_v2] {
        let mut app = resource.app.clone();
        app.oauth2_permission_scopes = vec![scope.clone()];
        store.update_application(&app, &audit()).await.unwrap();
    }
    let hasher = custos_jose::secret::SecretHasher::new(&[3; 32]);
    let web = register(store.as_ref(), fx.tenant, "Web app", None, |a, _| {
        a.password_credentials = vec![secret(&hasher, SECRET, NOW - 86_400, NOW + 86_400)];
        a.redirect_uris = RedirectUris { web: vec![REDIRECT.to_owned()], ..RedirectUris::default() };
    })
    .await;
    let public = register(store.as_ref(), fx.tenant, "Desktop app", None, |a, _| {
        a.redirect_uris =
            RedirectUris { public_client: vec!["http://localhost".to_owned()], ..RedirectUris::default() };
    })
    .await;
    for client in [&web, &public] {
        for resource in [&fx.resource_v1, &fx.resource_v2] {
            store
                .create_permission_grant(
                    &OAuth2PermissionGrant {
                        id: Uuid::new_v4().simple().to_string(),
                        tenant_id: fx.tenant,
                        client_id: client.sp.id,
                        consent_type: ConsentType::AllPrincipals,
                        principal_id: None,
                        resource_id: resource.sp.id,
                        scope: "Orders.Read".to_owned(),
                        created: at(NOW - 60),
                    },
                    &audit(),
                )
                .await
                .unwrap();
        }
    }
    let alice = User {
        id: ObjectId::new_random(),
        tenant_id: fx.tenant,
        user_principal_name: format!("alice@{DOMAIN}"),
        display_name: "Alice Liddell".to_owned(),
        given_name: Some("Alice".to_owned()),
        surname: Some("Liddell".to_owned()),
        mail_nickname: "alice".to_owned(),
        mail: None,
        account_enabled: true,
        tokens_valid_from: at(NOW - 3600),
        created: at(NOW - 3600),
    };
    store.create_user(&alice, &custos_jose::password::hash(PASSWORD).unwrap(), &audit()).await.unwrap();
    store
        .create_directory_role_assignment(
            &custos_core::users::DirectoryRoleAssignment {
                id: "admin".to_owned(),
                tenant_id: fx.tenant,
                role_definition_id: GLOBAL_ADMINISTRATOR,
                principal_id: alice.id,
                created: at(NOW - 3600),
            },
            &audit(),
        )
        .await
        .unwrap();
    Users { fx, alice, web, public }
}

impl Users {
    /// Stores a code as the sign-in pages issue it and returns its value.
    async fn code(&self, edit: impl FnOnce(&mut CodeGrant)) -> String {
        let mut grant = CodeGrant {
            endpoint: AuthorizeEndpoint::V1,
            issued_on: "common".to_owned(),
            tenant_id: self.fx.tenant,
            client_id: self.web.app.app_id,
            user_id: self.alice.id,
            redirect_uri: Some(REDIRECT.to_owned()),
            platform: Platform::Web,
            scope: None,
            resource: Some("api://resource-v1".to_owned()),
            code_challenge: None,
            nonce: Some("n-0S6_WzA2Mj".to_owned()),
            auth_time: NOW - 10,
            amr: vec!["pwd".to_owned()],
            grant_id: Uuid::new_v4(),
        };
        edit(&mut grant);
        let code = format!("0.code-{}", Uuid::new_v4().simple());
        let stored = AuthorizationCode {
            code_hash: custos_jose::hash::sha256(code.as_bytes()),
            expires: NOW + 600,
            grant,
        };
        self.fx.directory.insert_authorization_code(&stored).await.unwrap();
        code
    }

    /// Seed 004's code redemption body.
    fn v1_redeem(&self, code: &str) -> String {
        form(&[
            ("client_id", &self.web.app_id()),
            ("redirect_uri", REDIRECT),
            ("client_secret", SECRET),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("resource", "api://resource-v1"),
        ])
    }

    async fn post(&self, path: &str, body: &str) -> Reply {
        post_form(&self.fx.router, path, body).await
    }
}

#[tokio::test]
async fn a_v1_code_redemption_has_seed_004_s_shape_and_claims() {
    let u = users().await;
    let code = u.code(|_| {}).await;
    let reply = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.text.starts_with(
            r#"{"expires_in":"3599","token_type":"Bearer","scope":"Orders.Read","expires_on":""#
        ),
        "{}",
        reply.text
    );
    assert_eq!(reply.json["resource"], "api://resource-v1");
    assert_eq!(reply.header("cache-control"), Some("no-store, no-cache"));

    let claims = token_claims(&reply);
    assert_eq!(claims["aud"], "api://resource-v1");
    assert_eq!(claims["iss"], format!("{PUBLIC_URL}/{}/", u.fx.tenant));
    assert_eq!(claims["tid"], u.fx.tenant.to_string());
    assert_eq!(claims["oid"], u.alice.id.to_string());
    assert_eq!(claims["upn"], u.alice.user_principal_name);
    assert_eq!(claims["unique_name"], u.alice.user_principal_name);
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(
        (claims["given_name"].as_str(), claims["family_name"].as_str()),
        (Some("Alice"), Some("Liddell"))
    );
    assert_eq!(claims["scp"], "Orders.Read");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!((claims["acr"].as_str(), claims["appidacr"].as_str()), (Some("1"), Some("1")));
    assert_eq!(claims["appid"], u.web.app_id());
    assert_eq!(claims["ver"], "1.0");
    assert!(claims.get("idtyp").is_none() && claims.get("roles").is_none());
    assert_eq!(claims["sub"].as_str().unwrap().len(), 43);
    assert_ne!(claims["sub"], claims["oid"]);
    let wids = claims["wids"].as_array().unwrap();
    assert!(wids.contains(&GLOBAL_ADMINISTRATOR.to_string().into()));
    assert!(wids.contains(&"b79fbf4d-3ef9-4689-8143-76b194e85509".into()));

    let id = jwt_claims(reply.json["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], u.web.app_id());
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["ver"], "1.0");
    assert_ne!(id["sub"], claims["sub"], "pairwise: the ID token's sub is the client's");
    // The token verifies as this server's delegated token.
    let verified =
        u.fx.authority.verify_access_token(reply.json["access_token"].as_str().unwrap(), None).unwrap();
    assert_eq!(verified.scopes, Some(vec!["Orders.Read".to_owned()]));
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_the_refresh_token() {
    let u = users().await;
    let code = u.code(|_| {}).await;
    let first = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    again.assert_error(400, "invalid_grant", 54005);
    let refresh = form(&[
        ("client_id", &u.web.app_id()),
        ("client_secret", SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", first.json["refresh_token"].as_str().unwrap()),
        ("resource", "api://resource-v1"),
    ]);
    u.post("/common/oauth2/token", &refresh).await.assert_error(400, "invalid_grant", 50173);
    // Garbage and expired codes.
    u.post("/common/oauth2/token", &u.v1_redeem("not-a-code")).await.assert_error(
        400,
        "invalid_grant",
        9002313,
    );
    let late = u.code(|_| {}).await;
    u.fx.clock.advance(time::Duration::seconds(601));
    assert_moved_error(&u.post("/common/oauth2/token", &u.v1_redeem(&late)).await, "invalid_grant", 70008);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_uri_tenant_path_and_pkce() {
    let u = users().await;
    // Another client.
    let code = u.code(|_| {}).await;
    let body = u.v1_redeem(&code).replace(&u.web.app_id(), &u.public.app_id());
    u.post("/common/oauth2/token", &body).await.assert_error(400, "invalid_grant", 70000);
    // Another redirect URI.
    let code = u.code(|_| {}).await;
    let body = u.v1_redeem(&code).replace("callback", "other");
    u.post("/common/oauth2/token", &body).await.assert_error(400, "invalid_grant", 50011);
    // Another tenant path or endpoint version.
    let code = u.code(|_| {}).await;
    let path = format!("/{}/oauth2/token", TenantId::new_random());
    u.post(&path, &u.v1_redeem(&code)).await.assert_error(400, "invalid_grant", 700005);
    // PKCE: missing, wrong, and a verifier without a challenge (downgrade).
    for (challenge, verifier) in
        [(Some(CHALLENGE), None), (Some(CHALLENGE), Some(&"x".repeat(43)[..])), (None, Some(VERIFIER))]
    {
        let code = u.code(|g| g.code_challenge = challenge.map(str::to_owned)).await;
        let mut body = u.v1_redeem(&code);
        if let Some(verifier) = verifier {
            body.push_str(&format!("&code_verifier={verifier}"));
        }
        u.post("/common/oauth2/token", &body).await.assert_error(400, "invalid_grant", 501481);
    }
    let code = u.code(|g| g.code_challenge = Some(CHALLENGE.to_owned())).await;
    let body = format!("{}&code_verifier={VERIFIER}", u.v1_redeem(&code));
    assert_eq!(u.post("/common/oauth2/token", &body).await.status, 200);
    // A web client must authenticate.
    let code = u.code(|_| {}).await;
    let body =
        u.v1_redeem(&code).replace(&format!("client_secret={}", "s3cret%2Bwith%2Fspecial%3Dchars"), "");
    u.post("/common/oauth2/token", &body).await.assert_error(401, "invalid_client", 7000218);
}

#[tokio::test]
async fn public_clients_redeem_without_a_secret_and_refresh_tokens_rotate() {
    let u = users().await;
    let code = u
        .code(|g| {
            g.endpoint = AuthorizeEndpoint::V2;
            g.client_id = u.public.app.app_id;
            g.platform = Platform::PublicClient;
            g.redirect_uri = Some("http://localhost:53122".to_owned());
            g.resource = None;
            g.scope = Some("api://resource-v2/Orders.Read openid profile offline_access".to_owned());
            g.code_challenge = Some(CHALLENGE.to_owned());
        })
        .await;
    let redeem = |extra: &str| {
        format!(
            "{}{extra}",
            form(&[
                ("client_id", &u.public.app_id()),
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://localhost:53122"),
                ("code_verifier", VERIFIER),
                ("scope", "api://resource-v2/Orders.Read openid profile offline_access"),
                ("client_info", "1"),
            ])
        )
    };
    // A public client presenting a secret is refused (and the code is spent).
    u.post("/common/oauth2/v2.0/token", &redeem("&client_secret=x")).await.assert_error(
        401,
        "invalid_client",
        700025,
    );
    let code = u
        .code(|g| {
            g.endpoint = AuthorizeEndpoint::V2;
            g.client_id = u.public.app.app_id;
            g.platform = Platform::PublicClient;
            g.redirect_uri = None;
            g.resource = None;
            g.scope = Some("api://resource-v2/Orders.Read openid profile offline_access".to_owned());
        })
        .await;
    let body = form(&[
        ("client_id", &u.public.app_id()),
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_info", "1"),
    ]);
    let reply = u.post("/common/oauth2/v2.0/token", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["scope"], "api://resource-v2/Orders.Read openid profile");
    assert!(reply.json["expires_in"].is_number());
    let claims = token_claims(&reply);
    assert_eq!(
        (claims["aud"].as_str(), claims["ver"].as_str()),
        (Some(u.fx.resource_v2.app_id().as_str()), Some("2.0"))
    );
    assert_eq!(
        (claims["azp"].as_str(), claims["azpacr"].as_str()),
        (Some(u.public.app_id().as_str()), Some("0"))
    );
    assert_eq!(claims["preferred_username"], u.alice.user_principal_name);
    assert!(claims.get("upn").is_none() && claims.get("amr").is_none());
    let info = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        reply.json["client_info"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(info).unwrap(),
        format!(r#"{{"uid":"{}","utid":"{}"}}"#, u.alice.id, u.fx.tenant)
    );

    let refresh = |token: &str, scope: &str| {
        form(&[
            ("client_id", &u.public.app_id()),
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("scope", scope),
        ])
    };
    let first_rt = reply.json["refresh_token"].as_str().unwrap().to_owned();
    // Escalation is refused and leaves the token usable.
    u.post("/common/oauth2/v2.0/token", &refresh(&first_rt, "api://resource-v2/Orders.Write offline_access"))
        .await
        .assert_error(400, "invalid_scope", 70011);
    let second = u
        .post(
            "/common/oauth2/v2.0/token",
            &refresh(&first_rt, "api://resource-v1/Orders.Read offline_access"),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(
        token_claims(&second)["aud"],
        "api://resource-v1",
        "a refresh token works for every consented resource"
    );
    let second_rt = second.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_rt, first_rt);
    // The rotated token presented again revokes the family, the live successor included.
    u.post("/common/oauth2/v2.0/token", &refresh(&first_rt, "api://resource-v1/Orders.Read"))
        .await
        .assert_error(400, "invalid_grant", 50173);
    u.post("/common/oauth2/v2.0/token", &refresh(&second_rt, "api://resource-v1/Orders.Read"))
        .await
        .assert_error(400, "invalid_grant", 50173);
    // A token this server never issued.
    u.post("/common/oauth2/v2.0/token", &refresh("1.unknown", "api://resource-v1/Orders.Read"))
        .await
        .assert_error(400, "invalid_grant", 9002313);
}

#[tokio::test]
async fn disabled_users_and_reset_passwords_stop_refresh_tokens() {
    let u = users().await;
    let code = u.code(|_| {}).await;
    let reply = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    let rt = reply.json["refresh_token"].as_str().unwrap().to_owned();
    let refresh = form(&[
        ("client_id", &u.web.app_id()),
        ("client_secret", SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt),
        ("resource", "api://resource-v1"),
    ]);
    let mut disabled = u.alice.clone();
    disabled.account_enabled = false;
    u.fx.directory.update_user(&disabled, &audit()).await.unwrap();
    u.post("/common/oauth2/token", &refresh).await.assert_error(400, "invalid_grant", 50057);
    u.fx.directory.update_user(&u.alice, &audit()).await.unwrap();
    assert_eq!(
        u.post("/common/oauth2/token", &refresh).await.status,
        200,
        "a refused refresh does not spend the token"
    );
    // A password reset voids older families.
    let code = u.code(|_| {}).await;
    let reply = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    let rt = reply.json["refresh_token"].as_str().unwrap().to_owned();
    u.fx.clock.advance(time::Duration::seconds(5));
    u.fx.directory
        .set_user_password(u.fx.tenant, u.alice.id, "x", custos_core::Clock::now(&*u.fx.clock), &audit())
        .await
        .unwrap();
    let refresh = refresh_body(&u, &rt);
    assert_moved_error(&u.post("/common/oauth2/token", &refresh).await, "invalid_grant", 50173);
    // Without consent there is nothing to issue.
    let code = u.code(|g| g.resource = Some("api://open".to_owned())).await;
    let body = u.v1_redeem(&code).replace("api%3A%2F%2Fresource-v1", "api%3A%2F%2Fopen");
    assert_moved_error(&u.post("/common/oauth2/token", &body).await, "invalid_grant", 65001);
}

/// A tenant read in slices (as large tenants are): a code redeems and its refresh token
/// refreshes, also for the resource named with a trailing slash, and a consent revoked through
/// the directory stops the next refresh.
#[tokio::test]
async fn a_sliced_tenant_redeems_codes_and_refreshes_tokens() {
    let u = users_in(Fixture::sliced().await).await;
    let code = u.code(|_| {}).await;
    let first = u.post("/common/oauth2/token", &u.v1_redeem(&code)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(token_claims(&first)["scp"], "Orders.Read");
    let rt = first.json["refresh_token"].as_str().unwrap();
    let slash = refresh_body(&u, rt).replace("resource-v1", "resource-v1%2F");
    let second = u.post("/common/oauth2/token", &slash).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(token_claims(&second)["aud"], "api://resource-v1/");
    assert!(!u.fx.directory.caches_whole_snapshot(u.fx.tenant));

    let grants = u.fx.directory.permission_grants(u.fx.tenant).await.unwrap();
    let grant = grants.iter().find(|g| g.client_id == u.web.sp.id && g.resource_id == u.fx.resource_v1.sp.id);
    u.fx.directory.delete_permission_grant(u.fx.tenant, &grant.unwrap().id, &audit()).await.unwrap();
    let rt = second.json["refresh_token"].as_str().unwrap();
    let third = u.post("/common/oauth2/token", &refresh_body(&u, rt)).await;
    third.assert_error(400, "invalid_grant", 65001);
}

/// An error answered after the fixture's clock moved (so its timestamp is not the fixture's).
fn assert_moved_error(reply: &Reply, error: &str, code: u32) {
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(
        (reply.json["error"].as_str(), reply.json["error_codes"][0].as_u64()),
        (Some(error), Some(u64::from(code))),
        "{}",
        reply.text
    );
}

fn refresh_body(u: &Users, rt: &str) -> String {
    form(&[
        ("client_id", &u.web.app_id()),
        ("client_secret", SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("resource", "api://resource-v1"),
    ])
}

#[tokio::test]
async fn the_password_grant_is_off_unless_the_tenant_turns_it_on() {
    let u = users().await;
    let body = |password: &str| {
        form(&[
            ("client_id", &u.public.app_id()),
            ("grant_type", "password"),
            ("username", &u.alice.user_principal_name),
            ("password", password),
            ("scope", "api://resource-v2/Orders.Read openid offline_access"),
        ])
    };
    let path = u.fx.v2_token_path();
    u.post(&path, &body(PASSWORD)).await.assert_error(400, "unsupported_grant_type", 70003);
    let on = TenantSettings { allow_password_grant: true, ..TenantSettings::default() };
    u.fx.directory.update_tenant_settings(u.fx.tenant, &on, &audit()).await.unwrap();
    u.post(&path, &body("wrong")).await.assert_error(400, "invalid_grant", 50126);
    let unknown = body(PASSWORD).replace("alice%40", "nobody%40");
    u.post(&path, &unknown).await.assert_error(400, "invalid_grant", 50034);
    let reply = u.post(&path, &body(PASSWORD)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["scp"], "Orders.Read");
    assert!(reply.json["refresh_token"].is_string() && reply.json["id_token"].is_string());
    u.post("/common/oauth2/v2.0/token", &body(PASSWORD)).await.assert_error(400, "invalid_request", 9001023);
}

/// A multi-tenant web app redeems a code at `/common` with a certificate, as MSAL does: the
/// assertion is addressed to the token endpoint it posts to (`/common/oauth2/token`). That
/// audience is good at `/common` only.
#[tokio::test]
async fn a_certificate_assertion_addressed_to_common_redeems_a_code_there() {
    let u = users().await;
    let store = u.fx.directory.clone();
    let key = certificates::key_credential(certificates::registered_key(), NOW - 86_400, NOW + 86_400);
    let app = register(store.as_ref(), u.fx.tenant, "Cert web app", None, |a, _| {
        a.key_credentials = vec![key];
        a.redirect_uris = RedirectUris { web: vec![REDIRECT.to_owned()], ..RedirectUris::default() };
    })
    .await;
    store
        .create_permission_grant(
            &OAuth2PermissionGrant {
                id: Uuid::new_v4().simple().to_string(),
                tenant_id: u.fx.tenant,
                client_id: app.sp.id,
                consent_type: ConsentType::AllPrincipals,
                principal_id: None,
                resource_id: u.fx.resource_v1.sp.id,
                scope: "Orders.Read".to_owned(),
                created: at(NOW - 60),
            },
            &audit(),
        )
        .await
        .unwrap();
    let redeem = |code: &str, aud: &str, jti: &str| {
        form(&[
            ("client_id", &app.app_id()),
            ("redirect_uri", REDIRECT),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &certificates::assertion(&app, aud, jti)),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("resource", "api://resource-v1"),
        ])
    };
    let common = format!("{PUBLIC_URL}/common/oauth2/token");
    let code = u.code(|g| g.client_id = app.app.app_id).await;
    let elsewhere = format!("{PUBLIC_URL}/organizations/oauth2/token");
    u.post("/common/oauth2/token", &redeem(&code, &elsewhere, "j0")).await.assert_error(
        401,
        "invalid_client",
        700023,
    );
    let code = u.code(|g| g.client_id = app.app.app_id).await;
    let reply = u.post("/common/oauth2/token", &redeem(&code, &common, "j1")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["appidacr"], "2");
    // At the tenant's own endpoint, /common's is not this request's audience.
    let code = u
        .code(|g| {
            g.client_id = app.app.app_id;
            g.issued_on = u.fx.tenant.to_string();
        })
        .await;
    let path = format!("/{}/oauth2/token", u.fx.tenant);
    u.post(&path, &redeem(&code, &common, "j2")).await.assert_error(401, "invalid_client", 700023);
}

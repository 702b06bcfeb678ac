//! Sign-in records of token-endpoint decisions: one per request, success or failure, with the
//! client, its principal, the credential by identifiers, the user, the resource, the address,
//! the correlation id and the AADSTS code; and never a secret, password, code or token.

mod common;

use axum::body::Body;
use common::*;
use custos_core::ObjectId;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant, PermissionScope, ScopeConsent};
use custos_core::model::ServicePrincipalType;
use custos_core::settings::TenantSettings;
use custos_core::sign_in_log::{ClientCredentialType, SignIn, SignInEventType};
use custos_core::users::User;
use custos_listener::ConnectionInfo;
use custos_store::{LogQuery, SignInFilter, Store};
use uuid::Uuid;

const PEER: &str = "198.51.100.23:50123";
const PASSWORD: &str = "Passw0rd!for-the-log";

/// The `User-Agent` every request of these tests sends (azure-identity's).
const USER_AGENT: &str = "azsdk-python-identity/1.19.0 Python/3.11.2 (Linux-6.1-x86_64)";

/// Posts a token request from [`PEER`] with the [`CORRELATION`] and [`USER_AGENT`] headers.
async fn token(fx: &Fixture, body: &str) -> Reply {
    let request = post(&fx.v2_token_path(), FORM)
        .header("user-agent", USER_AGENT)
        .extension(ConnectionInfo { peer: PEER.parse().unwrap(), tls: true })
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(&fx.router, request).await
}

/// Every sign-in of the fixture's tenant, oldest first, once the writer has written them.
async fn sign_ins(fx: &Fixture) -> Vec<SignIn> {
    fx.sign_ins.flush().await;
    let query = LogQuery { order: custos_store::LogOrder::OldestFirst, ..LogQuery::newest(fx.tenant, 1000) };
    fx.directory.sign_ins(&query, &SignInFilter::default()).await.unwrap().records
}

/// The one record a request left.
async fn only(fx: &Fixture) -> SignIn {
    let mut records = sign_ins(fx).await;
    assert_eq!(records.len(), 1, "{records:#?}");
    records.remove(0)
}

#[tokio::test]
async fn a_client_credentials_token_is_one_service_principal_sign_in() {
    let fx = Fixture::new().await;
    let reply = token(&fx, &fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let record = only(&fx).await;
    assert_eq!(record.event_type, SignInEventType::ServicePrincipal);
    assert_eq!(record.app.app_id, fx.client.app_id());
    assert_eq!(record.app.display_name.as_deref(), Some("Daemon"));
    assert_eq!(record.app.service_principal, Some((fx.client.sp.id, "Daemon".to_owned())));
    let resource = record.resource.as_ref().unwrap();
    assert_eq!(resource.app_id, fx.resource_v2.app_id());
    assert_eq!(resource.display_name.as_deref(), Some("Resource v2"));
    assert_eq!(resource.service_principal_id, Some(fx.resource_v2.sp.id));
    assert_eq!(record.credential.kind, Some(ClientCredentialType::ClientSecret));
    let valid_key = fx.client.app.password_credentials[1].key_id;
    assert_eq!(record.credential.key_id, Some(valid_key), "the key id of the secret that matched");
    assert_eq!(record.status.error_code, 0);
    assert_eq!(record.ip, Some("198.51.100.23".parse().unwrap()));
    assert_eq!(record.user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(record.correlation_id.to_string(), CORRELATION);
    assert_eq!(record.user, None);
    assert_eq!(record.scopes, vec![".default"]);
    assert_eq!(record.created, custos_core::Clock::now(fx.clock.as_ref()));
    assert_eq!(fx.sign_ins.metrics().recorded(), 1);
}

#[tokio::test]
async fn refused_client_credentials_are_recorded_with_their_aadsts_code() {
    let fx = Fixture::new().await;
    let cases: [(String, u32, &str); 5] = [
        (
            fx.v2_body(&fx.client, "wrong", "api://resource-v2/.default"),
            7_000_215,
            "Invalid client secret provided.",
        ),
        (
            fx.v2_body(&fx.client, EXPIRED_SECRET, "api://resource-v2/.default"),
            7_000_222,
            "The provided client secret keys for app",
        ),
        (fx.v2_body(&fx.disabled, SECRET, "api://resource-v2/.default"), 7_000_112, "Application"),
        (fx.v2_body(&fx.client, SECRET, "api://nothing/.default"), 500_011, "The resource principal named"),
        (
            fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default")
                .replace(&fx.client.app_id(), &Uuid::nil().to_string()),
            700_016,
            "Application with identifier",
        ),
    ];
    for (body, _, _) in &cases {
        let reply = token(&fx, body).await;
        assert!(reply.status.is_client_error(), "{}", reply.text);
    }
    let records = sign_ins(&fx).await;
    assert_eq!(records.len(), cases.len(), "one record per request");
    for (n, (record, (_, code, reason))) in records.iter().zip(&cases).enumerate() {
        assert_eq!(record.status.error_code, *code, "{record:#?}");
        let failure = record.status.failure_reason.as_deref().unwrap();
        assert!(failure.starts_with(reason), "{failure}");
        assert!(!failure.trim_end_matches('.').contains(". "), "only the first sentence: {failure}");
        assert_eq!(record.event_type, SignInEventType::ServicePrincipal);
        assert_eq!(record.credential.kind, Some(ClientCredentialType::ClientSecret));
        // The disabled client and the unknown resource fail after the secret matched.
        assert_eq!(record.credential.key_id.is_some(), n == 2 || n == 3, "{record:#?}");
    }
    assert_eq!(records[4].app.app_id, Uuid::nil().to_string(), "an unknown client as the request named it");
    assert_eq!(records[4].app.display_name, None);
}

#[tokio::test]
async fn a_managed_identity_token_is_a_managed_identity_sign_in() {
    let fx = Fixture::new().await;
    let hasher = custos_jose::secret::SecretHasher::new(&[3; 32]);
    let identity = register(fx.directory.as_ref(), fx.tenant, "build-agent", None, |a, sp| {
        a.password_credentials = vec![secret(&hasher, SECRET, NOW - 60, NOW + 86_400)];
        sp.service_principal_type = ServicePrincipalType::ManagedIdentity;
    })
    .await;
    let reply = token(&fx, &fx.v2_body(&identity, SECRET, "api://open/.default")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let record = only(&fx).await;
    assert_eq!(record.event_type, SignInEventType::ManagedIdentity);
    assert_eq!(record.credential.kind, Some(ClientCredentialType::ManagedIdentity));
    assert_eq!(record.app.service_principal, Some((identity.sp.id, "build-agent".to_owned())));
    assert_eq!(record.resource.unwrap().app_id, fx.open.app_id());
}

/// A user with a password, consented for `Orders.Read` on resource v2 through a public client;
/// the tenant allows the password grant.
async fn alice(fx: &Fixture) -> (User, App) {
    let store = fx.directory.clone();
    let mut resource = fx.resource_v2.app.clone();
    resource.oauth2_permission_scopes = vec![PermissionScope {
        id: Uuid::new_v4(),
        value: "Orders.Read".to_owned(),
        consent: ScopeConsent::User,
        admin_consent_display_name: None,
        admin_consent_description: None,
        user_consent_display_name: None,
        user_consent_description: None,
        is_enabled: true,
    }];
    store.update_application(&resource, &audit()).await.unwrap();
    let public = register(store.as_ref(), fx.tenant, "Desktop app", None, |_, _| {}).await;
    let grant = OAuth2PermissionGrant {
        id: Uuid::new_v4().simple().to_string(),
        tenant_id: fx.tenant,
        client_id: public.sp.id,
        consent_type: ConsentType::AllPrincipals,
        principal_id: None,
        resource_id: fx.resource_v2.sp.id,
        scope: "Orders.Read".to_owned(),
        created: at(NOW - 60),
    };
    store.create_permission_grant(&grant, &audit()).await.unwrap();
    let user = User {
        id: ObjectId::new_random(),
        tenant_id: fx.tenant,
        user_principal_name: format!("Alice@{DOMAIN}"),
        display_name: "Alice Liddell".to_owned(),
        given_name: None,
        surname: None,
        mail_nickname: "alice".to_owned(),
        mail: None,
        account_enabled: true,
        tokens_valid_from: at(NOW - 3600),
        created: at(NOW - 3600),
    };
    store.create_user(&user, &custos_jose::password::hash(PASSWORD).unwrap(), &audit()).await.unwrap();
    let on = TenantSettings { allow_password_grant: true, ..TenantSettings::default() };
    store.update_tenant_settings(fx.tenant, &on, &audit()).await.unwrap();
    (user, public)
}

#[tokio::test]
async fn user_grants_are_non_interactive_user_sign_ins_and_no_secret_is_ever_stored() {
    let fx = Fixture::new().await;
    let (user, public) = alice(&fx).await;
    let password_body = |password: &str| {
        form(&[
            ("client_id", &public.app_id()),
            ("grant_type", "password"),
            ("username", &user.user_principal_name),
            ("password", password),
            ("scope", "api://resource-v2/Orders.Read offline_access"),
        ])
    };
    let wrong = "not-the-Passw0rd";
    assert_eq!(token(&fx, &password_body(wrong)).await.status, 400);
    let issued = token(&fx, &password_body(PASSWORD)).await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    let refresh_token = issued.json["refresh_token"].as_str().unwrap().to_owned();
    let refresh_body = form(&[
        ("client_id", &public.app_id()),
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh_token),
        ("scope", "api://resource-v2/Orders.Read"),
    ]);
    let refreshed = token(&fx, &refresh_body).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    // Client credentials with a wrong and a right secret, for the scan below.
    token(&fx, &fx.v2_body(&fx.client, "a-wrong-secret-value", "api://resource-v2/.default")).await;
    let app_token = token(&fx, &fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default")).await;

    let records = sign_ins(&fx).await;
    assert_eq!(records.len(), 5, "{records:#?}");
    let [refused, by_password, by_refresh] = [&records[0], &records[1], &records[2]];
    for record in [refused, by_password, by_refresh] {
        assert_eq!(record.event_type, SignInEventType::NonInteractiveUser);
        assert_eq!(record.app.app_id, public.app_id());
        assert_eq!(record.app.service_principal, None, "user sign-ins name no service principal");
        assert_eq!(record.credential.kind, Some(ClientCredentialType::None), "a public client");
        let who = record.user.as_ref().unwrap();
        assert_eq!(who.id, Some(user.id));
        assert_eq!(who.principal_name, user.user_principal_name);
    }
    assert_eq!(refused.status.error_code, 50_126);
    assert_eq!((by_password.status.error_code, by_refresh.status.error_code), (0, 0));
    assert_eq!(by_password.resource.as_ref().unwrap().app_id, fx.resource_v2.app_id());
    assert_eq!(by_password.scopes, vec!["Orders.Read", "offline_access"]);
    let filter =
        SignInFilter { user_principal_name: Some("alice@".to_owned() + DOMAIN), ..Default::default() };
    let by_user = fx.directory.sign_ins(&LogQuery::newest(fx.tenant, 10), &filter).await.unwrap();
    assert_eq!(by_user.records.len(), 3, "found by the lower-cased name");

    // Nothing any request carried that grants access is in a stored record.
    let stored = serde_json::to_string(&records).unwrap();
    let tokens = [&issued, &refreshed, &app_token]
        .into_iter()
        .flat_map(|r| {
            ["access_token", "refresh_token", "id_token"].map(|k| r.json[k].as_str().map(str::to_owned))
        })
        .flatten()
        .collect::<Vec<_>>();
    assert_eq!(tokens.len(), 4, "the scan covers the issued tokens: three access tokens, one refresh token");
    for secret in
        [SECRET, PASSWORD, wrong, "a-wrong-secret-value"].into_iter().chain(tokens.iter().map(String::as_str))
    {
        assert!(!stored.contains(secret), "a stored sign-in contains {secret}");
    }
}

#[tokio::test]
async fn requests_naming_no_known_tenant_leave_no_record() {
    let fx = Fixture::new().await;
    let body = fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default");
    let reply = post_form(&fx.router, &format!("/{}/oauth2/v2.0/token", Uuid::new_v4()), &body).await;
    reply.assert_error(400, "invalid_tenant", 90002);
    assert!(sign_ins(&fx).await.is_empty());
    assert_eq!(fx.sign_ins.metrics().dropped(), 0);
}

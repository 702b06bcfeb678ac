//! The resource side against a real authority: `custos serve` issues v1 and v2 app tokens for APIs
//! registered through Graph, and a `custos_guard::Guard` (Authority = the server, CaFile = its CA)
//! admits exactly the tokens seed 000 says it should: the role is required (403), the audience must be
//! ours and the tenant the configured one (401). The key-rotation test rotates the signing key
//! (`activateIn: 0s`) while the guard keeps serving tokens signed before and after the rotation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::resource::{ROLE, Tenant, bearer, guard, kid, runtime};
use common::{init_and_serve, token};
use custos_guard::{GuardError, InvalidToken, TokenVersion};
use serde_json::{Value, json};
const V2_API: &str = "api://resource-side-v2";
const V1_API: &str = "api://resource-side-v1";
const OTHER_API: &str = "api://resource-side-other";

/// (status, `WWW-Authenticate`) of a refusal.
fn refusal(error: &GuardError) -> (u16, Option<String>) {
    (error.status().as_u16(), error.www_authenticate())
}

fn invalid(description: &str) -> Option<String> {
    Some(format!("Bearer error=\"invalid_token\", error_description=\"{description}\""))
}

#[test]
fn the_guard_admits_real_tokens_by_role_audience_and_tenant() {
    let (_dir, _data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let home = Tenant::home(&http, &base, &init);
    let v2_api = home.api(V2_API, 2);
    let v1_api = home.api(V1_API, 1);
    let other_api = home.api(OTHER_API, 2);
    let daemon = home.daemon("resource-side daemon");
    let outsider = home.daemon("resource-side outsider");
    for api in [&v2_api, &v1_api, &other_api] {
        home.assign(&daemon.1, api);
    }

    // Tenant B on the same server (same JWKS), with an API of the same identifier URI and v1 tokens,
    // so its token carries `aud: api://resource-side-v1` like ours.
    let created: Value = http
        .post(format!("{base}/admin/v1/tenants"))
        .bearer_auth(&home.admin)
        .json(&json!({ "domain": "tenant-b.custos.test" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let tenant_b = created["id"].as_str().unwrap_or_else(|| panic!("tenant created: {created}")).to_owned();
    let (status, body) = token(
        &http,
        &base,
        &tenant_b,
        created["adminClientId"].as_str().unwrap(),
        created["adminClientSecret"].as_str().unwrap(),
        "https://graph.microsoft.com/.default",
    );
    assert_eq!(status, 200, "tenant B admin token: {body}");
    let other_tenant =
        Tenant { http: &http, base, id: tenant_b, admin: body["access_token"].as_str().unwrap().to_owned() };
    let b_api = other_tenant.api(V1_API, 1);
    let b_daemon = other_tenant.daemon("tenant B daemon");
    other_tenant.assign(&b_daemon.1, &b_api);

    let v2_token = home.token(&daemon, &format!("{V2_API}/.default"));
    let v1_token = home.token(&daemon, &format!("{V1_API}/.default"));
    let no_role = home.token(&outsider, &format!("{V2_API}/.default"));
    let other_audience = home.token(&daemon, &format!("{OTHER_API}/.default"));
    let b_token = other_tenant.token(&b_daemon, &format!("{V1_API}/.default"));

    let (guard, _) = guard(&server, &home.id, &format!("{V2_API};{};{V1_API}", v2_api.0));
    runtime().block_on(async {
        guard.warm_up().await.expect("discovery and JWKS over the server's TLS");
        let v2 = guard.validate(&bearer(&v2_token)).await.expect("a v2 token with the role");
        assert_eq!(v2.token_version, TokenVersion::V2);
        assert_eq!(v2.client_app_id.to_string(), daemon.0);
        assert_eq!(v2.object_id.to_string(), daemon.1);
        assert_eq!(v2.tenant_id.to_string(), home.id);
        assert_eq!(v2.roles, [ROLE]);
        let v1 = guard.validate(&bearer(&v1_token)).await.expect("a v1 token with the role");
        assert_eq!(v1.token_version, TokenVersion::V1);
        assert_eq!(v1.client_app_id.to_string(), daemon.0);
        assert_eq!(v1.roles, [ROLE]);

        let forbidden = guard.validate(&bearer(&no_role)).await.unwrap_err();
        assert_eq!(
            refusal(&forbidden),
            (
                403,
                Some(
                    "Bearer error=\"insufficient_scope\", error_description=\"the token does not carry a required role\""
                        .to_owned()
                )
            )
        );
        let wrong_aud = guard.validate(&bearer(&other_audience)).await.unwrap_err();
        assert_eq!(refusal(&wrong_aud), (401, invalid("the audience is invalid")));
        let foreign = guard.validate(&bearer(&b_token)).await.unwrap_err();
        assert!(
            matches!(foreign, GuardError::InvalidToken(InvalidToken::Issuer)),
            "tenant B's token is refused for its issuer: {foreign:?}"
        );
        assert_eq!(refusal(&foreign), (401, invalid("the issuer is not trusted")));
    });
}

#[test]
fn the_guard_keeps_serving_through_a_signing_key_rotation() {
    let (_dir, _data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let home = Tenant::home(&http, &base, &init);
    let api = home.api(V2_API, 2);
    let daemon = home.daemon("rotation daemon");
    home.assign(&daemon.1, &api);
    let scope = format!("{V2_API}/.default");
    let before = home.token(&daemon, &scope);

    let (guard, clock) = guard(&server, &home.id, &format!("{V2_API};{}", api.0));
    let rt = runtime();
    rt.block_on(guard.warm_up()).unwrap();
    let first = rt.block_on(guard.validate(&bearer(&before))).expect("a token signed before the rotation");
    assert_eq!(first.client_app_id.to_string(), daemon.0);

    // Requests keep arriving with the old token for the whole rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let background = rt.spawn({
        let (guard, stop, served, refused) =
            (Arc::clone(&guard), Arc::clone(&stop), Arc::clone(&served), Arc::clone(&refused));
        let headers = bearer(&before);
        async move {
            while !stop.load(Ordering::SeqCst) {
                let counter = if guard.validate(&headers).await.is_ok() { &served } else { &refused };
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });

    let rotated = http
        .post(format!("{base}/admin/v1/signing-keys/rotate"))
        .bearer_auth(&home.admin)
        .json(&json!({ "activateIn": "0s" }))
        .send()
        .unwrap();
    assert!(rotated.status().is_success(), "rotate: {}", rotated.status());
    let after = home.token(&daemon, &scope);
    assert_ne!(kid(&after), kid(&before), "the rotation changed the signing key");

    rt.block_on(async {
        // The guard fetched its keys moments ago: inside the 30 s cooldown an unknown kid does not
        // trigger another fetch, so the new key is not known yet.
        let early = guard.validate(&bearer(&after)).await.unwrap_err();
        assert_eq!(refusal(&early), (401, invalid("the signing key is not known")));
        // Once the cooldown has passed, the new kid triggers one refresh and is accepted.
        clock.advance(time::Duration::seconds(31));
        let principal = guard.validate(&bearer(&after)).await.expect("a token signed after the rotation");
        assert_eq!(principal.client_app_id.to_string(), daemon.0);
        assert!(guard.validate(&bearer(&before)).await.is_ok(), "the old key is still published");
        // Let the background requests run across the refresh.
        tokio::time::sleep(Duration::from_millis(200)).await;
    });
    stop.store(true, Ordering::SeqCst);
    rt.block_on(background).unwrap();
    assert!(served.load(Ordering::SeqCst) >= 10, "the background requests ran");
    assert_eq!(refused.load(Ordering::SeqCst), 0, "no request with the old token was refused");
}

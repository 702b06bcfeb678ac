//! Delegated (user) tokens through the guard layer with per-route policies (security.md catalogue
//! E38): an app token on a route for signed-in users, a user's token on a route for services, the
//! required scope missing or present, `scp` empty; and what a handler learns about the user.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use custos_guard::{DelegatedRule, Guard, GuardLayer, Policy, Principal};
use serde_json::json;

const USER_OID: &str = "d3b07384-d113-4ec6-a1b2-7c3d4e5f6a7b";

/// A v2 delegated token for the test API with `scp` (and no roles, no `idtyp`).
fn user_token(authority: &Authority, scp: &str) -> String {
    authority.v2_with(|c| {
        let obj = c.as_object_mut().unwrap();
        obj.remove("idtyp");
        obj.remove("roles");
        obj.insert("scp".into(), json!(scp));
        obj.insert("oid".into(), json!(USER_OID));
        obj.insert("preferred_username".into(), json!("alice@contoso.example"));
        obj.insert("name".into(), json!("Alice Adams"));
        obj.insert("wids".into(), json!(["62e90394-69f5-4237-9190-012177145e10"]));
    })
}

async fn who(principal: Principal) -> String {
    let user = principal.user.unwrap_or_default();
    format!(
        "{:?} oid={} scopes={} user={} name={} wids={}",
        principal.kind,
        principal.object_id,
        principal.scopes.join(","),
        user.username.unwrap_or_default(),
        user.name.unwrap_or_default(),
        user.directory_roles.len()
    )
}

/// `/app` for services holding the role, `/user` for users with `access_as_user`, `/either` for both.
fn routes(guard: &Arc<Guard>) -> Router {
    let services = Policy::new(vec![ROLE.into()], Default::default(), Default::default())
        .with_delegated(DelegatedRule::Refused);
    let either = Policy::new(vec![ROLE.into()], Default::default(), Default::default())
        .with_delegated(DelegatedRule::Scopes(vec!["access_as_user".into()]));
    let users = Policy::users_only(vec!["access_as_user".into()]);
    let layer = |policy: Policy| GuardLayer::new(Arc::clone(guard)).with_policy(policy);
    Router::new()
        .route("/app", get(who).route_layer(layer(services)))
        .route("/user", get(who).route_layer(layer(users)))
        .route("/either", get(who).route_layer(layer(either)))
}

async fn get_with(app: &Router, path: &str, token: &str) -> (StatusCode, Option<String>, String) {
    send(app, path, &[("authorization", &format!("Bearer {token}"))]).await
}

#[tokio::test]
async fn e38_routes_take_the_kind_of_token_they_are_for() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard_with("", |c| c.with_user_tokens(true));
    let app = routes(&guard);
    let user = user_token(&authority, "openid access_as_user");
    let service = authority.v2_token();

    let forbidden = |description: &str| (StatusCode::FORBIDDEN, insufficient(description), String::new());
    assert_eq!(get_with(&app, "/user", &service).await, forbidden("app-only tokens are not accepted"));
    assert_eq!(get_with(&app, "/app", &user).await, forbidden("delegated (user) tokens are not accepted"));

    let expected_user = format!(
        "User oid={USER_OID} scopes=openid,access_as_user user=alice@contoso.example name=Alice Adams wids=1"
    );
    assert_eq!(get_with(&app, "/user", &user).await, (StatusCode::OK, None, expected_user.clone()));
    assert_eq!(get_with(&app, "/either", &user).await, (StatusCode::OK, None, expected_user));
    let expected_app = format!("App oid={CLIENT_OID} scopes= user= name= wids=0");
    assert_eq!(get_with(&app, "/app", &service).await, (StatusCode::OK, None, expected_app.clone()));
    assert_eq!(get_with(&app, "/either", &service).await, (StatusCode::OK, None, expected_app));
}

#[tokio::test]
async fn a_user_token_needs_a_required_scope() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard_with("", |c| c.with_user_tokens(true));
    let app = routes(&guard);
    let missing =
        (StatusCode::FORBIDDEN, insufficient("the token does not carry a required scope"), String::new());
    for scp in ["User.Read", "Access_As_User", "", "   "] {
        let token = user_token(&authority, scp);
        assert_eq!(get_with(&app, "/user", &token).await, missing, "scp={scp:?}");
        assert_eq!(get_with(&app, "/either", &token).await, missing, "scp={scp:?}");
    }
    // With no route policy (the guard's default), an empty `scp` still grants nothing.
    let any = Router::new().route("/any", get(who)).layer(GuardLayer::new(Arc::clone(&guard)));
    assert_eq!(get_with(&any, "/any", &user_token(&authority, "")).await, missing);
    assert_eq!(get_with(&any, "/any", &user_token(&authority, "User.Read")).await.0, StatusCode::OK);
}

/// The guard-wide switch comes first: without `with_user_tokens(true)` no route takes a user token,
/// and an app token that would pass the route's policy still needs the role.
#[tokio::test]
async fn the_guard_wide_switch_and_the_app_rule_still_apply() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = routes(&guard);
    assert_eq!(
        get_with(&app, "/user", &user_token(&authority, "access_as_user")).await,
        (StatusCode::FORBIDDEN, insufficient("delegated (user) tokens are not accepted"), String::new())
    );
    let roleless = authority.v2_with(|c| c["roles"] = json!([]));
    assert_eq!(
        get_with(&app, "/either", &roleless).await,
        (StatusCode::FORBIDDEN, insufficient("the token does not carry a required role"), String::new())
    );
}

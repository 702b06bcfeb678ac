//! security.md E37 (where the token may come from), the seed 000 rules (role, managed identity by object
//! id, `ClientType: Service`), and the axum integration: the layer, the extractor with an `Arc<Guard>`
//! extension, and the plain `Guard::validate` API.

mod common;

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::get;
use axum::{Extension, Router};
use common::*;
use custos_guard::{GuardError, GuardLayer, InvalidToken, Policy, Principal, PrincipalKind, TokenVersion};
use serde_json::json;

#[tokio::test]
async fn no_token_gets_a_bare_bearer_challenge() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    assert_eq!(
        send(&app, "/api", &[]).await,
        (StatusCode::UNAUTHORIZED, Some("Bearer".to_owned()), String::new())
    );
}

/// E37: query tokens ignored, two Authorization headers, scheme casing, extra spaces, over-size tokens.
#[tokio::test]
async fn e37_token_transport() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let token = authority.v2_token();
    let malformed = invalid("the Authorization header is not a well-formed Bearer credential");

    let query = format!("/api?access_token={token}");
    assert_eq!(send(&app, &query, &[]).await.1, Some("Bearer".to_owned()));
    let two = [("authorization", format!("Bearer {token}")), ("authorization", format!("Bearer {token}"))];
    let two: Vec<(&str, &str)> = two.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(
        send(&app, "/api", &two).await,
        (StatusCode::UNAUTHORIZED, invalid("more than one Authorization header"), String::new())
    );
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let value = format!("{scheme} {token}");
        assert_eq!(send(&app, "/api", &[("authorization", &value)]).await.0, StatusCode::OK, "{scheme}");
    }
    for value in [
        format!("Bearer  {token}"),
        format!("Bearer\t{token}"),
        format!("Basic {token}"),
        format!("Bearer {token} x"),
    ] {
        assert_eq!(
            send(&app, "/api", &[("authorization", &value)]).await,
            (StatusCode::UNAUTHORIZED, malformed.clone(), String::new()),
            "{value:?}"
        );
    }
    let huge = authority.v2_with(|c| c["padding"] = json!("A".repeat(17 * 1024)));
    assert_eq!(
        call(&app, &huge).await,
        (StatusCode::UNAUTHORIZED, invalid("the token is too large"), String::new())
    );
}

#[tokio::test]
async fn required_role_and_managed_identity_by_object_id() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) =
        authority.guard(&format!("ServiceAuthRole = \"{ROLE}\"\nServiceObjectIds = \"{MI_OID}\"\n"));
    let app = app(&guard);
    assert_eq!(call(&app, &authority.v2_token()).await.0, StatusCode::OK);
    let no_role = authority.v2_with(|c| {
        c.as_object_mut().unwrap().remove("roles");
    });
    let forbidden =
        (StatusCode::FORBIDDEN, insufficient("the token does not carry a required role"), String::new());
    assert_eq!(call(&app, &no_role).await, forbidden);
    let other_role = authority.v2_with(|c| c["roles"] = json!(["s2sapprole", "Other"]));
    assert_eq!(call(&app, &other_role).await, forbidden);
    // Seed 000 approach 1: the managed identity has no role but is listed by object id.
    let mi = authority.sign(&authority.v1_header(), &authority.v1_claims());
    let expected = format!("App V1 client={MI_APP_ID} oid={MI_OID} roles=");
    assert_eq!(call(&app, &mi).await, (StatusCode::OK, None, expected));
    // Another managed identity without a role is not.
    let other_mi = authority.sign(&authority.v1_header(), &{
        let mut c = authority.v1_claims();
        c["oid"] = json!(CLIENT_OID);
        c
    });
    assert_eq!(call(&app, &other_mi).await, forbidden);
}

#[tokio::test]
async fn client_type_header_rule() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("RequireClientTypeHeader = true\n");
    let app = app(&guard);
    let bearer = format!("Bearer {}", authority.v2_token());
    let missing = (
        StatusCode::UNAUTHORIZED,
        Some(
            "Bearer error=\"invalid_request\", error_description=\"app tokens require the header ClientType: Service\""
                .to_owned(),
        ),
        String::new(),
    );
    assert_eq!(send(&app, "/api", &[("authorization", &bearer)]).await, missing);
    assert_eq!(send(&app, "/api", &[("authorization", &bearer), ("ClientType", "User")]).await, missing);
    assert_eq!(
        send(&app, "/api", &[("authorization", &bearer), ("ClientType", "Service")]).await.0,
        StatusCode::OK
    );
    // Without the setting the header is not needed.
    let (relaxed, _) = authority.guard("");
    assert_eq!(send(&common::app(&relaxed), "/api", &[("authorization", &bearer)]).await.0, StatusCode::OK);
}

/// The extractor without the layer (guard as an `Extension`), a per-route policy on the layer, and the
/// extractor failing closed when nothing is installed.
#[tokio::test]
async fn router_with_extractor_and_layer() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    async fn roles(principal: Principal) -> String {
        principal.roles.join(",")
    }
    let admin_only = Policy::new(vec!["Admin".to_owned()], Default::default(), Default::default());
    let router = Router::new()
        .route("/extractor", get(roles))
        .route("/admin", get(roles).layer(GuardLayer::new(Arc::clone(&guard)).with_policy(admin_only)))
        .layer(Extension(Arc::clone(&guard)));
    let bearer = format!("Bearer {}", authority.v2_token());
    assert_eq!(
        send(&router, "/extractor", &[("authorization", &bearer)]).await,
        (StatusCode::OK, None, ROLE.to_owned())
    );
    assert_eq!(send(&router, "/extractor", &[]).await.1, Some("Bearer".to_owned()));
    assert_eq!(
        send(&router, "/admin", &[("authorization", &bearer)]).await,
        (StatusCode::FORBIDDEN, insufficient("the token does not carry a required role"), String::new())
    );
    let bare = Router::new().route("/extractor", get(roles));
    assert_eq!(
        send(&bare, "/extractor", &[("authorization", &bearer)]).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn plain_validate_api() {
    let authority = Authority::start(Shape::Entra).await;
    let (guard, _) = authority.guard("");
    let mut headers = HeaderMap::new();
    headers
        .insert("authorization", HeaderValue::from_str(&format!("Bearer {}", authority.v2_token())).unwrap());
    let principal = guard.validate(&headers).await.unwrap();
    assert_eq!(principal.tenant_id.to_string(), TENANT);
    assert_eq!(principal.client_app_id.to_string(), CLIENT_APP_ID);
    assert_eq!(principal.object_id.to_string(), CLIENT_OID);
    assert_eq!((principal.kind, principal.token_version), (PrincipalKind::App, TokenVersion::V2));
    assert!(principal.has_role(ROLE));
    let v1 = authority.sign(&authority.v1_header(), &authority.v1_claims());
    assert_eq!(guard.validate_token(&v1).await.unwrap().token_version, TokenVersion::V1);
    assert!(matches!(guard.validate(&HeaderMap::new()).await, Err(GuardError::MissingToken)));
    let expired = authority.v2_with(|c| c["exp"] = json!(NOW - 1000));
    assert!(matches!(
        guard.validate_token(&expired).await,
        Err(GuardError::InvalidToken(InvalidToken::Expired))
    ));
}

//! The admin API's OpenAPI document (`GET /admin/v1/openapi.json`) describes routes that exist:
//! every documented operation answers a call without a token with the directory's 401 (it is
//! routed and authenticated), not the 400/405 of an unknown path or method; and every admin
//! route the directory serves is documented.

mod common;

use common::Harness;
use http::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

/// The admin routes of `custos_directory::admin_router`, as documented paths.
const ROUTED: &[(&str, &str)] = &[
    ("get", "/admin/v1/tenants"),
    ("post", "/admin/v1/tenants"),
    ("get", "/admin/v1/tenants/{tenant}"),
    ("get", "/admin/v1/tenants/{tenant}/settings"),
    ("patch", "/admin/v1/tenants/{tenant}/settings"),
    ("post", "/admin/v1/tenants/{tenant}/consent"),
    ("get", "/admin/v1/tenants/{tenant}/managedIdentities"),
    ("post", "/admin/v1/tenants/{tenant}/managedIdentities"),
    ("get", "/admin/v1/tenants/{tenant}/managedIdentities/{id}"),
    ("delete", "/admin/v1/tenants/{tenant}/managedIdentities/{id}"),
    ("post", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/credentials"),
    ("post", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret"),
    ("delete", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret"),
    ("get", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials"),
    ("post", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials"),
    ("get", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials/{credential}"),
    ("patch", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials/{credential}"),
    ("delete", "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials/{credential}"),
    ("get", "/admin/v1/signing-keys"),
    ("post", "/admin/v1/signing-keys/rotate"),
];

#[tokio::test]
async fn every_documented_operation_is_routed_and_every_route_documented() {
    let h = Harness::new().await;
    let served = h.raw(Method::GET, "/admin/v1/openapi.json", None, "").await;
    assert_eq!(served.status, StatusCode::OK);
    let document: Value = served.json;
    assert_eq!(document["openapi"], "3.0.3");
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "delete", "put"] {
            if item.get(method).is_some() {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> =
        ROUTED.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(documented, routed, "the document and the routes differ");
    for (method, path) in &documented {
        let uri = path.replace("{tenant}", "a.example").replace("{id}", "x").replace("{credential}", "y");
        let method: Method = method.to_uppercase().parse().unwrap();
        let reply = h.raw(method.clone(), &uri, None, "{}").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}: {}", reply.json);
    }
}

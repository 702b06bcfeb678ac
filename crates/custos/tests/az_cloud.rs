//! What the Azure CLI reads of custos as a cloud (`graph-fidelity.md` §7.2-7.3): the metadata
//! document of `az cloud register`, a token for Azure Resource Manager's audience as `az login`
//! asks for it (`{audience}/.default`, double slash included), and the two ARM lists it reads.

mod common;

use common::{admin_token, init_and_serve, token};
use serde_json::{Value, json};

#[test]
fn az_cloud_register_and_login_find_what_they_read() {
    let (_dir, _data, init, server) = init_and_serve(&[]);
    let (http, base) = (server.client(), server.url());
    let tenant = init["tenantId"].as_str().unwrap();
    let metadata: Value =
        http.get(format!("{base}/metadata/endpoints?api-version=2022-09-01")).send().unwrap().json().unwrap();
    let public = base.as_str(); // serve answers as https://localhost:{its port} unless told otherwise
    assert_eq!(metadata["name"], "custos");
    assert_eq!(metadata["authentication"]["loginEndpoint"], public);
    assert_eq!(
        metadata["authentication"]["audiences"],
        json!(["https://management.core.windows.net/", "https://management.azure.com/"])
    );
    assert_eq!(metadata["resourceManager"], format!("{public}/"));
    assert_eq!(metadata["microsoftGraphResourceId"], format!("{public}/"));
    assert_eq!(metadata["suffixes"], json!({}));
    // The URL as az builds it from `--endpoint-resource-manager https://host/`.
    let doubled: Value = http
        .get(format!("{base}//metadata/endpoints?api-version=2022-09-01"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(doubled, metadata);

    // az login: a token for audiences[0] + "/.default", then GET /subscriptions and /tenants.
    let (client, secret) =
        (init["adminClientId"].as_str().unwrap(), init["adminClientSecret"].as_str().unwrap());
    let (status, body) =
        token(&http, &base, tenant, client, secret, "https://management.core.windows.net//.default");
    assert_eq!(status, 200, "{body}");
    let arm = body["access_token"].as_str().unwrap().to_owned();
    let claims = custos_testkit::http::jwt_claims(&arm);
    assert_eq!(claims["aud"], "https://management.core.windows.net/");
    let get = |path: &str, bearer: Option<&str>| {
        let mut request = http.get(format!("{base}{path}"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let reply = request.send().unwrap();
        (reply.status().as_u16(), reply.json::<Value>().unwrap())
    };
    assert_eq!(get("/subscriptions?api-version=2022-12-01", Some(&arm)), (200, json!({"value": []})));
    let (status, tenants) = get("/tenants?api-version=2022-12-01", Some(&arm));
    assert_eq!(status, 200);
    assert_eq!(tenants["value"][0]["tenantId"], tenant);
    assert_eq!(tenants["value"][0]["defaultDomain"], init["tenantDomain"]);

    // ARM's refusals.
    let graph = admin_token(&http, &base, &init);
    let (status, body) = get("/subscriptions?api-version=2022-12-01", Some(&graph));
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("InvalidAuthenticationToken")),
        "a Graph token"
    );
    let (status, body) = get("/subscriptions?api-version=2022-12-01", None);
    assert_eq!((status, &body["error"]["code"]), (401, &json!("AuthenticationFailed")));
    let (status, body) = get("/subscriptions", Some(&arm));
    assert_eq!((status, &body["error"]["code"]), (400, &json!("MissingApiVersionParameter")));
}

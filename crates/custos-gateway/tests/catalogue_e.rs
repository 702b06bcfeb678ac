//! security.md catalogue E (resource-side validator) through the gateway over TCP: every refusal is
//! answered by the gateway with the exact status and `WWW-Authenticate` challenge, and never reaches the
//! upstream. The forged tokens are signed with the test authority's key (or none at all).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use custos_jose::testing::{TestSigner, sign_hs256};
use custos_testkit::authority::KID;
use serde_json::{Value, json};

const TENANT_B: &str = "0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f";

/// `WWW-Authenticate` of an `invalid_token` refusal.
fn invalid(description: &str) -> String {
    format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")
}

impl Harness {
    /// `GET /api/x` with `token` as the bearer credential: (status, `WWW-Authenticate`).
    async fn call(&self, token: &str) -> (u16, Option<String>) {
        let bearer = format!("Bearer {token}");
        let response = self.send("GET", "/api/x", &[("Authorization", &bearer)], b"").await;
        (response.status, response.header("www-authenticate").map(str::to_owned))
    }

    /// Asserts that `token` is refused with 401 `invalid_token` and `description`.
    async fn assert_invalid(&self, token: &str, description: &str, case: &str) {
        assert_eq!(self.call(token).await, (401, Some(invalid(description))), "{case}");
    }

    /// The standard v2 claims changed by `edit`, signed with the authority's key.
    fn token_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        self.authority.v2_with(edit)
    }
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// E30 with the Entra decision of security.md §6: `typ` missing, `JWT` or `at+jwt` is an access
/// token; any other explicit type, and an ID token (a `nonce` claim), is refused.
#[tokio::test]
async fn e30_token_types_and_id_tokens() {
    let h = Harness::start().await;
    let claims = h.authority.v2_claims();
    for typ in [None, Some("JWT"), Some("at+jwt")] {
        assert_eq!(h.call(&h.authority.sign_typed(typ, &claims)).await, (200, None), "{typ:?}");
    }
    for typ in ["dpop+jwt", "id_token+jwt", "JOSE"] {
        let token = h.authority.sign_typed(Some(typ), &claims);
        h.assert_invalid(&token, "the token type is not an access token", typ).await;
    }
    let mut id_token = claims.clone();
    id_token["nonce"] = json!("n-0S6_WzA2Mj");
    h.assert_invalid(&h.authority.sign_typed(None, &id_token), "ID tokens are not accepted", "nonce").await;
    assert_eq!(h.upstream.hits(), 3, "only the three access tokens reach the upstream");
}

#[tokio::test]
async fn e31_issuer_variants_and_a_tenant_b_token_with_the_shared_jwks() {
    let h = Harness::start().await;
    let iss = format!("{}/{TENANT}/v2.0", h.authority.base);
    let b_iss = format!("{}/{TENANT_B}/v2.0", h.authority.base);
    for variant in
        [format!("{iss}/"), iss.to_uppercase(), iss.replacen("http://", "https://", 1), b_iss.clone()]
    {
        let token = h.token_with(|c| c["iss"] = json!(variant));
        h.assert_invalid(&token, "the issuer is not trusted", &variant).await;
    }
    // Tenant B's complete token: its own issuer and tid, signed with the key both tenants publish.
    let token_b = h.token_with(|c| {
        c["iss"] = json!(b_iss);
        c["tid"] = json!(TENANT_B);
    });
    h.assert_invalid(&token_b, "the issuer is not trusted", "tenant B").await;
    let token = h.token_with(|c| c["tid"] = json!(TENANT_B));
    h.assert_invalid(&token, "the tenant is not trusted", "our issuer, tenant B's tid").await;
    assert_eq!(h.upstream.hits(), 0);
}

#[tokio::test]
async fn e32_wrong_missing_and_foreign_audiences() {
    let h = Harness::start().await;
    let cases = [
        json!("api://another-api"),
        json!(OTHER_APP_ID),
        json!(format!("{API_URI}/")),
        json!(["api://another-api", "api://third"]),
        json!([]),
    ];
    for aud in cases {
        let token = h.token_with(|c| c["aud"] = aud.clone());
        h.assert_invalid(&token, "the audience is invalid", &aud.to_string()).await;
    }
    let token = h.token_with(|c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    assert_eq!(h.call(&token).await.0, 401);
    // The Application ID URI itself (the v1 form) is accepted.
    let token = h.token_with(|c| c["aud"] = json!(API_URI));
    assert_eq!(h.call(&token).await, (200, None));
    assert_eq!(h.upstream.hits(), 1);
}

#[tokio::test]
async fn e33_expired_not_yet_valid_and_string_typed_times() {
    let h = Harness::start().await;
    let cases = [
        ("exp", Some(json!(NOW - 301)), "the token is expired"),
        ("exp", Some(json!(NOW - 86_400)), "the token is expired"),
        ("exp", None, "the claim 'exp' is missing"),
        ("nbf", Some(json!(NOW + 301)), "the token is not yet valid"),
        ("exp", Some(json!("99999999999")), "the claim 'exp' is malformed"),
        ("nbf", Some(json!("1")), "the claim 'nbf' is malformed"),
    ];
    for (claim, value, description) in cases {
        let token = h.token_with(|c| match &value {
            Some(v) => c[claim] = v.clone(),
            None => {
                c.as_object_mut().unwrap().remove(claim);
            }
        });
        h.assert_invalid(&token, description, &format!("{claim}={value:?}")).await;
    }
    // Within the five-minute leeway.
    let token = h.token_with(|c| c["exp"] = json!(NOW - 299));
    assert_eq!(h.call(&token).await, (200, None));
    assert_eq!(h.upstream.hits(), 1);
}

#[tokio::test]
async fn e34_alg_none_hs256_confusion_and_tampering() {
    let h = Harness::start().await;
    let claims = h.authority.v2_claims().to_string();
    for alg in ["none", "None", "NONE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{KID}"}}"#);
        for signature in ["", "AAAA"] {
            let token = format!("{}.{}.{signature}", b64(&header), b64(&claims));
            h.assert_invalid(&token, "the token algorithm is not allowed", alg).await;
        }
    }
    // HS256 keyed with the authority's public key material as the JWKS publishes it.
    let jwks: Value = reqwest::get(format!("{}/common/discovery/keys", h.authority.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = &jwks["keys"][0];
    let hs = json!({"typ": "JWT", "alg": "HS256", "kid": KID});
    let secrets = [jwk["n"].as_str().unwrap().to_owned(), jwk.to_string(), jwks.to_string()];
    for secret in secrets {
        let token = sign_hs256(secret.as_bytes(), &hs, &h.authority.v2_claims());
        h.assert_invalid(&token, "the token algorithm is not allowed", "HS256").await;
    }
    // A genuine token with its claims swapped (role escalation) or its signature removed.
    let genuine = h.authority.v2_token();
    let [head, _, signature]: [&str; 3] = genuine.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut escalated = h.authority.v2_claims();
    escalated["roles"] = json!([ROLE, "Admin"]);
    let swapped = format!("{head}.{}.{signature}", b64(&escalated.to_string()));
    h.assert_invalid(&swapped, "the signature is invalid", "swapped claims").await;
    let unsigned = format!("{head}.{}.", b64(&claims));
    h.assert_invalid(&unsigned, "the signature is invalid", "empty signature").await;
    // An embedded key is never trusted.
    let header = format!(r#"{{"alg":"RS256","kid":"{KID}","jku":"http://127.0.0.1:9/keys"}}"#);
    let token = format!("{}.{}.{signature}", b64(&header), b64(&claims));
    h.assert_invalid(&token, "the token header carries an untrusted key reference", "jku").await;
    assert_eq!(h.upstream.hits(), 0);
}

#[tokio::test]
async fn e35_unknown_kid_is_refused() {
    let h = Harness::start().await;
    let attacker = TestSigner::generate();
    let mut header = json!({"typ": "JWT", "alg": "RS256", "kid": "attacker-key"});
    let token = attacker.sign(&header, &h.authority.v2_claims());
    h.assert_invalid(&token, "the signing key is not known", "unknown kid").await;
    // The attacker's key under the published kid fails the signature check.
    header["kid"] = json!(KID);
    let token = attacker.sign(&header, &h.authority.v2_claims());
    h.assert_invalid(&token, "the signature is invalid", "published kid").await;
    assert_eq!(h.upstream.hits(), 0);
}

/// E36: a token admitted on one route is judged afresh on a route with stricter requirements.
#[tokio::test]
async fn e36_admission_on_one_route_does_not_carry_to_another() {
    let h = Harness::start().await;
    let token = h.authority.v2_token();
    let bearer = format!("Bearer {token}");
    for _ in 0..3 {
        assert_eq!(h.send("GET", "/api/x", &[("Authorization", &bearer)], b"").await.status, 200);
    }
    let admin = h.send("GET", "/admin/x", &[("Authorization", &bearer)], b"").await;
    assert_eq!(
        (admin.status, admin.header("www-authenticate").map(str::to_owned)),
        (403, Some(insufficient("the token does not carry a required role")))
    );
    assert_eq!(h.upstream.hits(), 3);
}

#[tokio::test]
async fn e37_query_token_duplicate_authorization_and_malformed_credentials() {
    let h = Harness::start().await;
    let token = h.authority.v2_token();
    let query = h.send("GET", &format!("/api/x?access_token={token}"), &[], b"").await;
    assert_eq!((query.status, query.header("www-authenticate")), (401, Some("Bearer")));
    let bearer = format!("Bearer {token}");
    let two = h.send("GET", "/api/x", &[("Authorization", &bearer), ("Authorization", &bearer)], b"").await;
    assert_eq!(
        (two.status, two.header("www-authenticate").map(str::to_owned)),
        (401, Some(invalid("more than one Authorization header")))
    );
    let form = h
        .send(
            "POST",
            "/api/x",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("access_token={token}").as_bytes(),
        )
        .await;
    assert_eq!((form.status, form.header("www-authenticate")), (401, Some("Bearer")));
    for value in [format!("Bearer  {token}"), format!("Basic {token}"), format!("Bearer {token} x")] {
        let response = h.send("GET", "/api/x", &[("Authorization", &value)], b"").await;
        assert_eq!(
            (response.status, response.header("www-authenticate").map(str::to_owned)),
            (401, Some(invalid("the Authorization header is not a well-formed Bearer credential"))),
            "{value:?}"
        );
    }
    let lowercase = format!("bearer {token}");
    assert_eq!(h.send("GET", "/api/x", &[("Authorization", &lowercase)], b"").await.status, 200);
    assert_eq!(h.upstream.hits(), 1);
}

#[tokio::test]
async fn e38_user_tokens_are_refused_by_default() {
    let h = Harness::start().await;
    let token = h.token_with(|c| {
        let claims = c.as_object_mut().unwrap();
        claims.remove("idtyp");
        claims.insert("scp".to_owned(), json!("Orders.Read"));
    });
    let response = h.call(&token).await;
    assert_eq!(response, (403, Some(insufficient("delegated (user) tokens are not accepted"))));
    assert_eq!(h.upstream.hits(), 0);
}

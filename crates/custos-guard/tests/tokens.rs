//! security.md catalogue E30–E34 and E38 against the guard layer: exact status and `WWW-Authenticate`.

mod common;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use custos_jose::testing::sign_hs256;
use custos_testkit::authority::TestKey;
use serde_json::json;

const OK_V2: &str = "App V2 client=0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f oid=3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b roles=S2SAppRole";

#[tokio::test]
async fn v2_and_v1_tokens_of_both_shapes_are_accepted() {
    for shape in [Shape::Custos, Shape::Entra] {
        let authority = Authority::start(shape).await;
        let (guard, _) = authority.guard("");
        let app = app(&guard);
        assert_eq!(call(&app, &authority.v2_token()).await, (StatusCode::OK, None, OK_V2.to_owned()));
        let v1 = authority.sign(&authority.v1_header(), &authority.v1_claims());
        let expected = format!("App V1 client={MI_APP_ID} oid={MI_OID} roles=");
        assert_eq!(call(&app, &v1).await, (StatusCode::OK, None, expected));
    }
}

/// E30 with the §6 decision: missing `typ`, `JWT`, `at+jwt` accepted; other explicit types and ID tokens refused.
#[tokio::test]
async fn e30_token_type() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    for typ in [None, Some("JWT"), Some("at+jwt"), Some("application/at+jwt")] {
        let mut header = authority.v2_header();
        match typ {
            Some(typ) => header["typ"] = json!(typ),
            None => {
                header.as_object_mut().unwrap().remove("typ");
            }
        }
        let token = authority.sign(&header, &authority.v2_claims());
        assert_eq!(call(&app, &token).await.0, StatusCode::OK, "{typ:?}");
    }
    for typ in ["dpop+jwt", "id_token+jwt", "JOSE"] {
        let mut header = authority.v2_header();
        header["typ"] = json!(typ);
        let token = authority.sign(&header, &authority.v2_claims());
        let expected =
            (StatusCode::UNAUTHORIZED, invalid("the token type is not an access token"), String::new());
        assert_eq!(call(&app, &token).await, expected, "{typ}");
    }
    // An ID token: no typ, a nonce, aud = the client.
    let mut header = authority.v2_header();
    header.as_object_mut().unwrap().remove("typ");
    let mut claims = authority.v2_claims();
    claims["nonce"] = json!("n-0S6_WzA2Mj");
    let id_token = authority.sign(&header, &claims);
    assert_eq!(call(&app, &id_token).await.1, invalid("ID tokens are not accepted"));
    claims["aud"] = json!(CLIENT_APP_ID);
    let id_token = authority.sign(&header, &claims);
    assert_eq!(call(&app, &id_token).await.0, StatusCode::UNAUTHORIZED);
}

/// E31: issuer variants and a tenant-B token signed with the shared key.
#[tokio::test]
async fn e31_issuer_variants_and_other_tenant() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let iss = authority.v2_issuer(TENANT);
    let variants = [
        format!("{iss}/"),
        iss.to_uppercase(),
        iss.replacen("http://", "https://", 1),
        iss.replace(TENANT, &TENANT.to_uppercase()),
        authority.v2_issuer(TENANT_B),
    ];
    for variant in variants {
        let token = authority.v2_with(|c| c["iss"] = json!(variant));
        assert_eq!(
            call(&app, &token).await,
            (StatusCode::UNAUTHORIZED, invalid("the issuer is not trusted"), String::new()),
            "{variant}"
        );
    }
    // Tenant B's whole token (its issuer and tid) with the shared JWKS.
    let b_iss = authority.v2_issuer(TENANT_B);
    let token_b = authority.v2_with(|c| {
        c["iss"] = json!(b_iss);
        c["tid"] = json!(TENANT_B);
    });
    assert_eq!(call(&app, &token_b).await.1, invalid("the issuer is not trusted"));
    // Our issuer but tenant B's tid.
    let token = authority.v2_with(|c| c["tid"] = json!(TENANT_B));
    assert_eq!(call(&app, &token).await.1, invalid("the tenant is not trusted"));
    // A v1 issuer with v2 `ver` does not pass either.
    let v1_iss = authority.v1_issuer(TENANT);
    let token = authority.v2_with(|c| c["iss"] = json!(v1_iss));
    assert_eq!(call(&app, &token).await.1, invalid("the token version does not match its issuer"));
}

/// E32: audience absent, another API, array without us; the application allow-list.
#[tokio::test]
async fn e32_audience_and_application_allow_list() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let token = authority.v2_with(|c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    assert_eq!(
        call(&app, &token).await,
        (StatusCode::UNAUTHORIZED, invalid("the claim 'aud' is missing"), String::new())
    );
    for aud in [
        json!("api://other"),
        json!(CLIENT_APP_ID),
        json!(["api://other", "x"]),
        json!([]),
        json!(format!("{API_URI}/")),
    ] {
        let token = authority.v2_with(|c| c["aud"] = aud.clone());
        assert_eq!(call(&app, &token).await.1, invalid("the audience is invalid"), "{aud}");
    }
    let token = authority.v2_with(|c| c["aud"] = json!(["api://other", API_APP_ID]));
    assert_eq!(call(&app, &token).await.0, StatusCode::OK);
    let token = authority.v2_with(|c| c["aud"] = json!(API_URI));
    assert_eq!(call(&app, &token).await.0, StatusCode::OK);

    let other_app = "11111111-2222-4333-8444-555555555555";
    let (listed, _) = authority.guard(&format!("ServiceApplicationIds = \"{other_app};{CLIENT_APP_ID}\"\n"));
    assert_eq!(call(&common::app(&listed), &authority.v2_token()).await.0, StatusCode::OK);
    let (unlisted, _) = authority.guard(&format!("ServiceApplicationIds = \"{other_app}\"\n"));
    assert_eq!(
        call(&common::app(&unlisted), &authority.v2_token()).await,
        (StatusCode::FORBIDDEN, insufficient("the client application is not allowed"), String::new())
    );
    // v1 tokens are matched on `appid`; `appid` and `azp` disagreeing is refused.
    let (v1_listed, _) = authority.guard(&format!("ServiceApplicationIds = \"{MI_APP_ID}\"\n"));
    let v1 = authority.sign(&authority.v1_header(), &authority.v1_claims());
    assert_eq!(call(&common::app(&v1_listed), &v1).await.0, StatusCode::OK);
    let mixed = authority.v2_with(|c| c["appid"] = json!(other_app));
    assert_eq!(call(&app, &mixed).await.1, invalid("the token claims are inconsistent"));
}

/// E33: `exp` missing or past, `nbf` beyond the leeway, string-typed times.
#[tokio::test]
async fn e33_time_claims() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let cases = [
        (json!(null), "exp", "the claim 'exp' is missing"),
        (json!(NOW - 301), "exp", "the token is expired"),
        (json!(NOW - 3600), "exp", "the token is expired"),
        (json!(NOW + 301), "nbf", "the token is not yet valid"),
        (json!(NOW + 400), "iat", "the token is not yet valid"),
        (json!("99999999999"), "exp", "the claim 'exp' is malformed"),
        (json!("99999999999"), "nbf", "the claim 'nbf' is malformed"),
        (json!("1"), "iat", "the claim 'iat' is malformed"),
        (json!(true), "exp", "the claim 'exp' is malformed"),
    ];
    for (value, claim, description) in cases {
        let token = authority.v2_with(|c| {
            if value.is_null() {
                c.as_object_mut().unwrap().remove(claim);
            } else {
                c[claim] = value.clone();
            }
        });
        assert_eq!(
            call(&app, &token).await,
            (StatusCode::UNAUTHORIZED, invalid(description), String::new()),
            "{claim}={value}"
        );
    }
    // Inside the 5-minute leeway, and fractional NumericDates, pass.
    for (claim, value) in
        [("exp", json!(NOW - 299)), ("nbf", json!(NOW + 299)), ("exp", json!(NOW as f64 + 10.5))]
    {
        let token = authority.v2_with(|c| c[claim] = value.clone());
        assert_eq!(call(&app, &token).await.0, StatusCode::OK, "{claim}={value}");
    }
}

/// E34 (C14–C18, C24–C26 against the RS): `alg: none`, HS256 with the public key, embedded `jwk`, PS256,
/// unknown `crit`, duplicate claims, bad signature, JWE-shaped tokens.
#[tokio::test]
async fn e34_forged_tokens() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let claims = authority.v2_claims().to_string();
    let kid = &authority.key.kid;
    let unauthorized = |d: &str| (StatusCode::UNAUTHORIZED, invalid(d), String::new());

    for alg in ["none", "None", "NONE"] {
        let token =
            format!("{}.{}.", b64(&format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{kid}"}}"#)), b64(&claims));
        assert_eq!(call(&app, &token).await, unauthorized("the token algorithm is not allowed"), "{alg}");
    }
    let hs = json!({"typ": "JWT", "alg": "HS256", "kid": kid});
    let public_jwk = authority.key.jwk(None).to_string();
    for secret in [public_jwk.as_bytes(), authority.key.n.as_bytes()] {
        let token = sign_hs256(secret, &hs, &authority.v2_claims());
        assert_eq!(call(&app, &token).await, unauthorized("the token algorithm is not allowed"));
    }
    let attacker = TestKey::generate(kid);
    let mut embedded = authority.v2_header();
    embedded["jwk"] = attacker.jwk(None);
    let token = attacker.sign(&embedded, &authority.v2_claims());
    assert_eq!(call(&app, &token).await, unauthorized("the token header carries an untrusted key reference"));
    // Same kid, attacker's key, no embedded key: the signature fails.
    let token = attacker.sign(&authority.v2_header(), &authority.v2_claims());
    assert_eq!(call(&app, &token).await, unauthorized("the signature is invalid"));
    let mut ps = authority.v2_header();
    ps["alg"] = json!("PS256");
    let token = authority.sign(&ps, &authority.v2_claims());
    assert_eq!(call(&app, &token).await, unauthorized("the token algorithm is not allowed"));
    let mut crit = authority.v2_header();
    crit["crit"] = json!(["exp"]);
    let token = authority.sign(&crit, &authority.v2_claims());
    assert_eq!(
        call(&app, &token).await,
        unauthorized("the token has unsupported critical header parameters")
    );

    // Duplicate claim and bit-flipped signature over a genuine token.
    let genuine = authority.v2_token();
    let [h, p, s]: [&str; 3] = genuine.split('.').collect::<Vec<_>>().try_into().unwrap();
    let duplicate = format!("{h}.{}.{s}", b64(&claims.replacen('{', r#"{"tid":"x","#, 1)));
    assert_eq!(call(&app, &duplicate).await.0, StatusCode::UNAUTHORIZED);
    let mut flipped = URL_SAFE_NO_PAD.decode(s).unwrap();
    flipped[10] ^= 1;
    let token = format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(flipped));
    assert_eq!(call(&app, &token).await, unauthorized("the signature is invalid"));
    for shape in [format!("{h}.{p}.{s}.x.y"), format!("{h}.{p}"), format!("{h}..{s}")] {
        assert_eq!(call(&app, &shape).await.0, StatusCode::UNAUTHORIZED, "{shape}");
    }
    assert_eq!(
        call(&app, &format!("{h}.{p}.{s}.x.y")).await,
        unauthorized("the token is not a well-formed JWT")
    );
}

/// The opt-in ES256 lane: a token signed by an EC P-256 key of the key set is accepted; an algorithm
/// that is not the key's own is refused before the signature is checked, in both directions.
#[tokio::test]
async fn es256_tokens_and_algorithm_key_type_mismatches() {
    use custos_jose::{EcSigningKey, Jwk};
    let authority = Authority::start(Shape::Custos).await;
    let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let (ec, _) = EcSigningKey::generate(now).unwrap();
    let template = format!("{}/{{tenantid}}/v2.0", authority.base);
    let ec_jwk = Jwk::from_ec_signing_key(&ec);
    let v2_jwk = serde_json::to_value(ec_jwk.clone().with_issuer(Some(&template))).unwrap();
    authority.state.v2_keys.lock().unwrap().push(v2_jwk);
    authority.state.v1_keys.lock().unwrap().push(serde_json::to_value(ec_jwk).unwrap());
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    let unauthorized = |d: &str| (StatusCode::UNAUTHORIZED, invalid(d), String::new());

    let es_header = json!({"typ": "JWT", "alg": "ES256", "kid": ec.kid()});
    let es256 = ec.sign_compact(&es_header, &authority.v2_claims()).unwrap();
    assert_eq!(call(&app, &es256).await, (StatusCode::OK, None, OK_V2.to_owned()));
    // RS256 tokens keep working next to it.
    assert_eq!(call(&app, &authority.v2_token()).await.0, StatusCode::OK);

    // RS256 named on the EC key, and ES256 named on the RSA key (signed with that key).
    let rs_on_ec =
        ec.sign_compact(&json!({"typ": "JWT", "alg": "RS256", "kid": ec.kid()}), &authority.v2_claims());
    assert_eq!(call(&app, &rs_on_ec.unwrap()).await, unauthorized("the token algorithm is not allowed"));
    let mut es_on_rsa = authority.v2_header();
    es_on_rsa["alg"] = json!("ES256");
    let token = authority.sign(&es_on_rsa, &authority.v2_claims());
    assert_eq!(call(&app, &token).await, unauthorized("the token algorithm is not allowed"));
    // ES384 and friends stay refused.
    let es384 = ec.sign_compact(&json!({"alg": "ES384", "kid": ec.kid()}), &authority.v2_claims()).unwrap();
    assert_eq!(call(&app, &es384).await, unauthorized("the token algorithm is not allowed"));

    // A flipped bit, and the RSA signature pasted onto the ES256 header and claims.
    let [h, p, s]: [&str; 3] = es256.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut flipped = URL_SAFE_NO_PAD.decode(s).unwrap();
    flipped[5] ^= 1;
    let token = format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(flipped));
    assert_eq!(call(&app, &token).await, unauthorized("the signature is invalid"));
    let rsa_signature = authority.v2_token().rsplit('.').next().unwrap().to_owned();
    assert_eq!(
        call(&app, &format!("{h}.{p}.{rsa_signature}")).await,
        unauthorized("the signature is invalid")
    );
}

/// E38: app token where user tokens are required and vice versa.
#[tokio::test]
async fn e38_app_versus_user_tokens() {
    let authority = Authority::start(Shape::Custos).await;
    let user_token = authority.v2_with(|c| {
        let obj = c.as_object_mut().unwrap();
        obj.remove("idtyp");
        obj.remove("roles");
        obj.insert("scp".into(), json!("Files.Read User.Read"));
    });
    let (app_only, _) = authority.guard("");
    assert_eq!(
        call(&app(&app_only), &user_token).await,
        (StatusCode::FORBIDDEN, insufficient("delegated (user) tokens are not accepted"), String::new())
    );
    let (user_only, _) = authority.guard_with("ServiceAuthEnabled = false\n", |c| c.with_user_tokens(true));
    let user_app = app(&user_only);
    assert_eq!(
        call(&user_app, &authority.v2_token()).await,
        (StatusCode::FORBIDDEN, insufficient("app-only tokens are not accepted"), String::new())
    );
    let expected = format!("User V2 client={CLIENT_APP_ID} oid={CLIENT_OID} roles=");
    assert_eq!(call(&user_app, &user_token).await, (StatusCode::OK, None, expected));
    // `idtyp: app` with `scp` is contradictory.
    let confused = authority.v2_with(|c| c["scp"] = json!("User.Read"));
    assert_eq!(call(&app(&app_only), &confused).await.1, invalid("the token claims are inconsistent"));
}

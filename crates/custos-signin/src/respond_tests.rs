//! Tests of the authorization response in each response mode.
use super::*;
use crate::pages::tests::body_text;
use time::OffsetDateTime;

fn ok(state: Option<&str>) -> Success<'_> {
    Success { code: "c0de", state, session_state: Uuid::nil(), client_info: None, admin_consent: false }
}

fn location(response: &Response) -> &str {
    assert_eq!(response.status(), StatusCode::FOUND, "302, never 307");
    response.headers()[header::LOCATION].to_str().unwrap()
}

fn query(mode: ResponseMode, uri: &str) -> Destination<'_> {
    Destination { uri, mode }
}

#[test]
fn query_responses_are_302_with_encoded_fields() {
    let response = success(query(ResponseMode::Query, "https://app.example/cb"), &ok(Some("a&b#c d")));
    assert_eq!(
        location(&response),
        "https://app.example/cb?code=c0de&state=a%26b%23c+d&session_state=00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
    let with_query = success(query(ResponseMode::Query, "https://app.example/cb?tenant=x"), &ok(None));
    assert!(location(&with_query).starts_with("https://app.example/cb?tenant=x&code=c0de&session_state="));
}

#[test]
fn uris_without_a_path_get_a_slash_except_for_form_post() {
    let response = success(query(ResponseMode::Query, "http://localhost:7071"), &ok(None));
    assert!(location(&response).starts_with("http://localhost:7071/?code=c0de"));
    let response = success(query(ResponseMode::Fragment, "http://localhost"), &ok(None));
    assert!(location(&response).starts_with("http://localhost/#code=c0de&session_state="));
    assert_eq!(with_root_path("https://a?x=1"), "https://a/?x=1");
    assert_eq!(with_root_path("https://a/b"), "https://a/b");
    assert_eq!(with_root_path("msal0000://auth"), "msal0000://auth/");
}

#[tokio::test]
async fn form_post_is_a_page_with_a_continue_button_and_one_hashed_script() {
    let response = success(query(ResponseMode::FormPost, "http://localhost:8400"), &ok(Some("\"><x")));
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let hash = STANDARD.encode(custos_jose::hash::sha256(b"document.forms[0].submit();"));
    assert_eq!(csp, format!("default-src 'self'; script-src 'sha256-{hash}'; frame-ancestors 'none'"));
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    let html = body_text(response).await;
    assert!(
        html.contains(r#"<form method="post" action="http://localhost:8400">"#),
        "no slash added: {html}"
    );
    assert!(html.contains(r#"<input type="hidden" name="code" value="c0de">"#));
    assert!(html.contains(r#"<input type="hidden" name="state" value="&quot;&gt;&lt;x">"#));
    assert!(html.contains(r#"<button type="submit">Continue</button>"#));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script>document.forms[0].submit();</script>"));
    assert!(!html.contains("src="), "nothing loaded from anywhere");
}

#[test]
fn client_info_and_admin_consent() {
    let user: ObjectId = "00000000-0000-0000-0000-0000000000aa".parse().unwrap();
    let tenant: TenantId = "00000000-0000-0000-0000-0000000000bb".parse().unwrap();
    let info = client_info(user, tenant);
    assert!(!info.contains('='));
    let decoded: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&info).unwrap()).unwrap();
    assert_eq!(decoded, serde_json::json!({"uid": user.to_string(), "utid": tenant.to_string()}));
    let full = Success { client_info: Some((user, tenant)), admin_consent: true, ..ok(Some("s")) };
    let response = success(query(ResponseMode::Query, "https://app.example/cb"), &full);
    assert_eq!(
        location(&response),
        format!(
            "https://app.example/cb?code=c0de&client_info={info}&state=s&session_state=00000000-0000-0000-0000-000000000000&admin_consent=True"
        )
    );
}

#[test]
fn errors_carry_entra_s_description_uri_and_state() {
    let trace = Trace::new(OffsetDateTime::from_unix_timestamp(1_452_304_932).unwrap(), None);
    let declined = TokenError::SignIn(SignInError::ConsentDeclined);
    let response = error(
        query(ResponseMode::Query, "https://app.example/cb"),
        &declined,
        &trace,
        "https://id.example/",
        Some("s"),
    );
    let location = location(&response).to_owned();
    assert!(location.starts_with(
        "https://app.example/cb?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.%0D%0ATrace+ID%3A+"
    ), "{location}");
    assert!(location.contains("%0D%0ATimestamp%3A+2016-01-09+02%3A02%3A12Z"));
    assert!(location.ends_with(
        "&error_uri=https%3A%2F%2Fid.example%2Ferror%3Fcode%3D65004&error_subcode=cancel&state=s"
    ));
    let fields = error_fields(&SignInError::LoginRequired.into(), &trace, "https://id.example", None);
    let names: Vec<_> = fields.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["error", "error_description", "error_uri"]);
    assert_eq!(fields[0].1, "login_required");
}

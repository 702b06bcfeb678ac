//! Tests of the pages: fixed form field names, escaping, Entra's error layout.
use super::*;
use axum::http::header;
use time::OffsetDateTime;

pub(crate) async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

const EVIL: &str = r#"<script>alert('x')</script>"#;

fn form() -> FormContext<'static> {
    FormContext { action: "/t/oauth2/v2.0/authorize", ctx: "client_id=a&state=%22%3E", csrf: "tok" }
}

#[tokio::test]
async fn the_sign_in_page_has_one_form_with_login_and_passwd() {
    let response = sign_in(&SignInPage { form: form(), app_name: EVIL, login: Some(EVIL), error: None });
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    let html = body_text(response).await;
    assert_eq!(html.matches("<form").count(), 1);
    assert!(html.contains(r#"<form method="post" action="/t/oauth2/v2.0/authorize">"#));
    assert!(html.contains(r#"name="login""#) && html.contains(r#"name="passwd" type="password""#));
    assert!(html.contains(r#"<input type="hidden" name="ctx" value="client_id=a&amp;state=%22%3E">"#));
    assert!(html.contains(r#"<input type="hidden" name="csrf" value="tok">"#));
    assert!(!html.contains("<script") && html.contains("&lt;script&gt;alert(&#39;x&#39;)"));
}

#[tokio::test]
async fn a_wrong_password_is_shown_inline_with_its_code() {
    let error = TokenError::SignIn(SignInError::InvalidCredentials);
    let response = sign_in(&SignInPage {
        form: form(),
        app_name: "App",
        login: Some("alice@contoso.test"),
        error: Some(&error),
    });
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = body_text(response).await;
    assert!(html.contains("Your account or password is incorrect."), "{html}");
    assert!(html.contains("AADSTS50126"));
    assert!(html.contains(r#"value="alice@contoso.test""#));
}

#[tokio::test]
async fn the_consent_page_escapes_registered_names_and_has_accept_and_cancel() {
    let permissions = [PermissionLine {
        resource: "Office 365 Management APIs".into(),
        name: EVIL.into(),
        description: Some("Allows the application to read <b>activity</b> data.".into()),
    }];
    let page = ConsentPage {
        form: form(),
        plan: "digest",
        user: "admin@fabrikam.test",
        app_name: "Activity <Consumer>",
        publisher: "contoso.test",
        permissions: &permissions,
        for_organization: true,
    };
    let html = body_text(consent(&page)).await;
    assert_eq!(html.matches("<form").count(), 1);
    assert!(html.contains(r#"<button type="submit" name="consent" value="accept">"#));
    assert!(html.contains(r#"<button type="submit" name="consent" value="cancel">"#));
    assert!(html.contains("Activity &lt;Consumer&gt;") && html.contains("Publisher: contoso.test"));
    assert!(html.contains("read &lt;b&gt;activity&lt;/b&gt; data"));
    assert!(!html.contains("<script") && !html.contains("<b>"));
    assert!(html.contains("for everyone in your organization"));
}

#[tokio::test]
async fn need_admin_approval_returns_to_the_application() {
    let html = body_text(admin_approval(&form(), "bob@contoso.test", "App")).await;
    assert!(html.contains("Need admin approval"));
    assert!(html.contains(r#"name="consent" value="cancel""#));
    assert!(!html.contains(r#"value="accept""#));
}

#[tokio::test]
async fn the_error_page_has_entra_s_layout() {
    let now = OffsetDateTime::from_unix_timestamp(1_452_304_932).unwrap();
    let trace = Trace::new(now, None);
    let error = TokenError::SignIn(SignInError::RedirectUriMismatch {
        redirect_uri: EVIL.into(),
        app_id: "a".into(),
    });
    let response = super::error(&error, &trace);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'self'; frame-ancestors 'none'"
    );
    let html = body_text(response).await;
    assert!(html.contains("<title>Sign in</title>"));
    assert!(html.contains("Sorry, but we're having trouble signing you in."));
    assert!(html.contains("AADSTS50011: The redirect URI &#39;&lt;script&gt;"));
    assert!(html.contains(&format!("<dt>Request Id</dt><dd>{}</dd>", trace.trace_id)));
    assert!(html.contains(&format!("<dt>Correlation Id</dt><dd>{}</dd>", trace.correlation_id)));
    assert!(html.contains("<dt>Timestamp</dt><dd>2016-01-09T02:02:12Z</dd>"));
    assert!(html.contains("<dt>Message</dt><dd>AADSTS50011:"));
    assert!(!html.contains("<script"));
    let down = super::error(&TokenError::TemporarilyUnavailable, &trace);
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
}

//! Tests of authorize-request parsing: which errors go on a page and which are redirected.
use super::*;
use crate::error::Shown;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// MSAL Python's `initiate_auth_code_flow` URL, library extras included.
fn msal_python() -> String {
    format!(
        "client_id=11111111-1111-1111-1111-111111111111&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A5000\
         &scope=User.Read+offline_access+openid+profile&state=abcdefghijklmnopqrstuv&code_challenge={CHALLENGE}\
         &code_challenge_method=S256&nonce={}&client_info=1&login_hint=alice%40contoso.test\
         &X-AnchorMailbox=UPN%3Aalice%40contoso.test&claims=%7B%7D&clidata=1&x-client-SKU=msal.js.node\
         &client-request-id=00000000-0000-0000-0000-000000000001&sid=x&instance_aware=true",
        "a".repeat(64)
    )
}

fn redirected(result: Result<AuthorizeRequest, AuthorizeError>) -> TokenError {
    let error = result.unwrap_err();
    assert_eq!(error.shown, Shown::Redirect, "{error:?}");
    error.error
}

#[test]
fn msal_python_request_is_accepted_and_extras_are_ignored() {
    let params = Params::parse(&msal_python());
    assert_eq!(params.client_id().unwrap(), "11111111-1111-1111-1111-111111111111");
    assert_eq!(params.redirect_uri().unwrap(), Some("http://localhost:5000"));
    let request = params.validate(Version::V2).unwrap();
    assert_eq!(request.response_mode, ResponseMode::Query);
    assert_eq!(request.scope.as_ref().unwrap().raw, "User.Read offline_access openid profile");
    assert_eq!(request.state.as_deref(), Some("abcdefghijklmnopqrstuv"));
    assert_eq!(request.nonce.as_deref(), Some("a".repeat(64).as_str()));
    assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(request.login_hint.as_deref(), Some("alice@contoso.test"));
    assert!(request.client_info);
    assert_eq!(request.prompt, None);
}

#[test]
fn seed_004_v1_request_is_accepted() {
    let params = Params::parse(
        "response_type=code&resource=https%3A%2F%2Fmanage.office.com&client_id=2d4d11a2-f814-46a7-890a-274a72a7309e\
         &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&prompt=admin_consent",
    );
    let request = params.validate(Version::V1).unwrap();
    assert_eq!(request.resource.as_deref(), Some("https://manage.office.com"));
    assert_eq!(request.prompt, Some(Prompt::AdminConsent));
    assert_eq!(request.scope, None);
    assert!(!request.client_info);
}

#[test]
fn client_and_redirect_uri_errors_go_on_a_page() {
    let missing = Params::parse("response_type=code&client_id=");
    assert_eq!(
        missing.client_id().unwrap_err(),
        AuthorizeError::page(TokenError::MissingParameter("client_id"))
    );
    let twice = Params::parse("client_id=a&client_id=b");
    assert_eq!(
        twice.client_id().unwrap_err(),
        AuthorizeError::page(TokenError::DuplicateParameter("client_id".into()))
    );
    let twice = Params::parse("state=1&state=2&client_id=a&client_id=b");
    assert_eq!(twice.client_id().unwrap_err().shown, Shown::Page, "every repeat is remembered");
    let uri = Params::parse("client_id=a&redirect_uri=https://a/cb&redirect_uri=https://evil/cb");
    assert_eq!(uri.redirect_uri().unwrap_err().shown, Shown::Page);
    let control = Params::parse("client_id=a&redirect_uri=https://a/cb%0d%0aX:y");
    assert_eq!(control.redirect_uri().unwrap_err(), AuthorizeError::page(SignInError::MalformedRedirectUri));
    assert_eq!(Params::parse("client_id=a").redirect_uri().unwrap(), None);
}

#[test]
fn protocol_errors_are_redirected_with_entra_codes() {
    let base = "client_id=a&redirect_uri=https://a/cb&scope=openid";
    let check = |extra: &str, code: u32, oauth: &str| {
        let error = redirected(Params::parse(&format!("{base}&{extra}")).validate(Version::V2));
        assert_eq!((error.code(), error.oauth_error().as_str()), (code, oauth), "{extra}");
    };
    check("response_type=token", 70005, "unsupported_response_type");
    check("response_type=code+id_token", 70005, "unsupported_response_type");
    check("response_type=code&response_mode=web_message", 70007, "invalid_request");
    check("response_type=code&prompt=admin_consent", 90023, "invalid_request");
    check("response_type=code&prompt=bogus", 90023, "invalid_request");
    check(
        "response_type=code&code_challenge_method=plain&code_challenge=".to_owned().as_str(),
        900144,
        "invalid_request",
    );
    check(
        &format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain"),
        50149,
        "invalid_request",
    );
    check(&format!("response_type=code&code_challenge={CHALLENGE}"), 50149, "invalid_request");
    check("response_type=code&code_challenge=short&code_challenge_method=S256", 501491, "invalid_request");
    check("response_type=code&state=a&state=b", 90014, "invalid_request");
    check("response_type=code&resource=https://manage.office.com", 901002, "invalid_request");
    check("response_type=code&max_age=-1", 9002313, "invalid_request");
    check("response_type=code&nonce=a%00b", 9002313, "invalid_request");
    check("", 900144, "invalid_request");
}

#[test]
fn malformed_scopes_go_on_a_page() {
    for scope in ["scope=api://x", "scope=", "x=1", "scope=address"] {
        let error = Params::parse(&format!("client_id=a&response_type=code&{scope}"))
            .validate(Version::V2)
            .unwrap_err();
        assert_eq!((error.shown, error.error.code()), (Shown::Page, 70011), "{scope}");
    }
    let v1 = Params::parse("client_id=a&response_type=code&scope=api://x").validate(Version::V1);
    assert!(v1.is_ok(), "v1 ignores scope");
}

#[test]
fn errors_are_redirected_with_the_requested_mode_when_valid() {
    assert_eq!(Params::parse("response_mode=form_post").response_mode(), ResponseMode::FormPost);
    assert_eq!(Params::parse("response_mode=fragment").response_mode(), ResponseMode::Fragment);
    assert_eq!(Params::parse("response_mode=bogus").response_mode(), ResponseMode::Query);
    assert_eq!(Params::parse("state=a%26b%23c").state(), Some("a&b#c"));
    assert_eq!(Params::parse("state=a&state=b").state(), None);
}

#[test]
fn prompt_values() {
    let prompt = |value: &str, version| {
        Params::parse(&format!("client_id=a&response_type=code&scope=openid&prompt={value}"))
            .validate(version)
            .map(|r| r.prompt)
    };
    assert_eq!(prompt("login", Version::V2), Ok(Some(Prompt::Login)));
    assert_eq!(prompt("create", Version::V2), Ok(Some(Prompt::Login)));
    assert_eq!(prompt("none", Version::V2), Ok(Some(Prompt::None)));
    assert_eq!(prompt("consent", Version::V1), Ok(Some(Prompt::Consent)));
    assert_eq!(prompt("select_account", Version::V2), Ok(Some(Prompt::SelectAccount)));
    assert_eq!(prompt("admin_consent", Version::V1), Ok(Some(Prompt::AdminConsent)));
    assert!(prompt("Login", Version::V2).is_err(), "values are case-sensitive");
}

#[test]
fn forms_carry_the_known_parameters_back() {
    let params = Params::parse(&msal_python());
    let encoded = params.encode();
    assert!(!encoded.contains("X-AnchorMailbox") && !encoded.contains("clidata"), "{encoded}");
    assert_eq!(Params::parse(&encoded), params);
    assert_eq!(Params::parse(&encoded).validate(Version::V2), params.validate(Version::V2));
}

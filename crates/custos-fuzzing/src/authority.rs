//! The `token_form` target: a token request body and its `Authorization` header
//! (`custos_authority::form::TokenRequest::parse`, with the HTTP Basic parser behind it).

use crate::split_line;
use custos_authority::form::{ClientCredential, TokenRequest};

/// The first line of `data` is the `Authorization` header value and the rest the form body (no
/// line: no header, all body). Asserts: no panic, and a parsed request, written back as a form
/// body (the client id and secret staying in the Basic header when they came from it), parses
/// to the same values.
///
/// # Panics
///
/// When the re-encoded request is refused or differs: that is the finding.
pub(crate) fn token_form(data: &[u8]) {
    let (header, body) = match split_line(data) {
        (header, Some(body)) => (Some(header), body),
        (body, None) => (None, body),
    };
    let Ok(request) = TokenRequest::parse(body, header) else { return };
    if request.used_basic {
        assert!(header.is_some_and(|h| h.len() >= 6 && h[..6].eq_ignore_ascii_case(b"basic ")));
    }
    let encoded = encode(&request);
    let again = match TokenRequest::parse(encoded.as_bytes(), header) {
        Ok(again) => again,
        Err(e) => panic!("{encoded:?} is refused ({e:?}) though it came from {data:?}"),
    };
    assert_eq!(values(&again), values(&request), "{data:?} re-encoded as {encoded:?}");
}

/// The request as a form body; what came from the Basic header is left to the header.
fn encode(request: &TokenRequest) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in values(request) {
        let from_header = request.used_basic && matches!(name, "client_id" | "client_secret");
        if let Some(value) = value.filter(|_| !from_header) {
            form.append_pair(name, &value);
        }
    }
    form.finish()
}

/// Every value of `request`, named as its form parameter.
fn values(request: &TokenRequest) -> Vec<(&'static str, Option<String>)> {
    let secret = |s: &Option<custos_core::Secret<String>>| s.as_ref().map(|s| s.expose().clone());
    let (client_secret, assertion, assertion_type) = match &request.credential {
        ClientCredential::None => (None, None, None),
        ClientCredential::Secret(s) => (Some(s.expose().clone()), None, None),
        ClientCredential::Assertion { assertion, assertion_type } => {
            (None, Some(assertion.expose().clone()), assertion_type.clone())
        }
    };
    vec![
        ("grant_type", request.grant_type.clone()),
        ("client_id", request.client_id.clone()),
        ("client_secret", client_secret),
        ("client_assertion", assertion),
        ("client_assertion_type", assertion_type),
        ("scope", request.scope.clone()),
        ("resource", request.resource.clone()),
        ("code", secret(&request.code)),
        ("redirect_uri", request.redirect_uri.clone()),
        ("code_verifier", secret(&request.code_verifier)),
        ("refresh_token", secret(&request.refresh_token)),
        ("username", request.username.clone()),
        ("password", secret(&request.password)),
        ("client_info", request.client_info.then(|| "1".to_owned())),
    ]
}

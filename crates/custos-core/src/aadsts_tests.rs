//! Tests of the AADSTS catalogue: codes, texts, statuses and the `error_uri` lookup.
use super::*;

#[test]
fn only_invalid_client_is_401() {
    assert_eq!(TokenError::NoCredential.http_status(), 401);
    assert_eq!(TokenError::InvalidSecret { app_id: "a".into() }.http_status(), 401);
    let unknown = TokenError::UnknownClient { client_id: "a".into(), tenant: "t".into() };
    assert_eq!(unknown.oauth_error().as_str(), "unauthorized_client");
    assert_eq!(unknown.http_status(), 400);
    assert_eq!(TokenError::TemporarilyUnavailable.http_status(), 503);
    assert_eq!(TokenError::BodyTooLarge(10).http_status(), 413);
    assert_eq!(TokenError::BodyTooLarge(10).code(), 900144);
    let assertion = TokenError::AssertionKeyNotFound { app_id: "a".into() };
    assert_eq!((assertion.code(), assertion.http_status()), (700027, 401));
    for e in [
        TokenError::AssertionBadSignature,
        TokenError::InvalidAssertion("r".into()),
        TokenError::AssertionIssuerMismatch,
        TokenError::AssertionSubjectMismatch,
        TokenError::AssertionAudience,
        TokenError::AssertionOutsideValidity("r".into()),
        TokenError::AssertionReplayed { app_id: "a".into() },
    ] {
        assert_eq!((e.oauth_error(), e.http_status()), (OAuthError::InvalidClient, 401), "{e:?}");
    }
    assert_eq!(
        TokenError::lookup(700027),
        Some(TokenError::AssertionKeyNotFound { app_id: "{appId}".into() })
    );
}

#[test]
fn throttling_is_429_temporarily_unavailable_90055() {
    let throttled = TokenError::Throttled { retry_after_secs: 60 };
    assert_eq!((throttled.code(), throttled.http_status()), (90055, 429));
    assert_eq!(throttled.oauth_error().as_str(), "temporarily_unavailable");
    assert_eq!(
        throttled.to_string(),
        "There are too many incoming requests. Please try again later, after the time the Retry-After header gives."
    );
    assert_eq!(TokenError::lookup(90055), Some(throttled.clone()));
    assert!(!throttled.is_failed_client_authentication());
    assert!(TokenError::InvalidSecret { app_id: "a".into() }.is_failed_client_authentication());
    assert!(
        TokenError::UnknownClient { client_id: "a".into(), tenant: "t".into() }
            .is_failed_client_authentication(),
        "an unknown client counts like a wrong secret"
    );
    assert!(TokenError::AssertionBadSignature.is_failed_client_authentication());
    assert!(
        !TokenError::FederatedMetadataUnavailable { issuer: "i".into() }.is_failed_client_authentication()
    );
    assert!(!TokenError::TemporarilyUnavailable.is_failed_client_authentication());
    assert!(!TokenError::ScopeNotDefault("s".into()).is_failed_client_authentication());
}

#[test]
fn the_catalogue_has_one_entry_per_code() {
    let catalogue = TokenError::catalogue();
    let mut codes: Vec<u32> = catalogue.iter().map(TokenError::code).collect();
    codes.sort_unstable();
    let before = codes.len();
    codes.dedup();
    assert_eq!(codes.len(), before);
    assert_eq!(TokenError::lookup(7000215), Some(TokenError::InvalidSecret { app_id: "{appId}".into() }));
    assert_eq!(TokenError::lookup(1), None);
}

#[test]
fn federation_errors_keep_entra_numbers_texts_and_statuses() {
    let none = TokenError::NoMatchingFederatedIdentity {
        issuer: "https://kubernetes.default.svc.cluster.local".into(),
        subject: "system:serviceaccount:default:workload-identity-sa".into(),
        audience: "api://AzureADTokenExchange".into(),
    };
    assert_eq!(
        (none.code(), none.http_status(), none.oauth_error()),
        (70021, 400, OAuthError::InvalidRequest)
    );
    assert_eq!(
        none.to_string(),
        "No matching federated identity record found for presented assertion. Assertion Issuer: \
         'https://kubernetes.default.svc.cluster.local'. Assertion Subject: \
         'system:serviceaccount:default:workload-identity-sa'. Assertion Audience: 'api://AzureADTokenExchange'."
    );
    let issuer = TokenError::FederatedIssuerNotFound { issuer: "https://i".into() };
    assert_eq!(
        issuer.to_string(),
        "No matching federated identity record found for presented assertion issuer 'https://i'. Please check \
         your federated identity credential Subject, Audience and Issuer against the presented assertion."
    );
    let subject = TokenError::FederatedSubjectNotFound { subject: "s".into() };
    assert_eq!(
        subject.to_string(),
        "No matching federated identity record found for presented assertion subject 's'. Check your \
         federated identity credential Subject, Audience and Issuer against the presented assertion."
    );
    let key = TokenError::FederatedKeyNotFound { key_id: "K1".into(), issuer: "https://i".into() };
    assert!(key.to_string().starts_with(
        "The certificate with identifier K1 used to sign the federated credential could not be found in the \
         metadata of identity provider https://i."
    ));
    let user = TokenError::FederatedUserToken { issuer: "https://i".into() };
    assert_eq!(
        user.to_string(),
        "The presented assertion is a user token issued by 'https://i'; only app-only tokens of that \
         issuer can be used as a federated credential."
    );
    for (error, code) in [
        (issuer, 700211),
        (TokenError::FederatedAudienceNotFound { audience: "a".into() }, 700212),
        (subject, 700213),
        (key, 7000272),
        (user, 700229),
        (TokenError::FederatedMetadataUnavailable { issuer: "https://i".into() }, 90061),
    ] {
        assert_eq!((error.code(), error.http_status()), (code, 401), "{error:?}");
        assert_eq!(error.oauth_error(), OAuthError::InvalidClient);
        assert_eq!(TokenError::lookup(code).map(|e| e.code()), Some(code));
    }
}

#[test]
fn messages_match_entra() {
    assert_eq!(
        TokenError::MissingParameter("grant_type").to_string(),
        "The request body must contain the following parameter: 'grant_type'."
    );
    assert_eq!(TokenError::MissingParameter("grant_type").code(), 900144);
}

#[test]
fn sign_in_errors_keep_entra_numbers_errors_and_texts() {
    let cases: [(SignInError, u32, &str, &str); 8] = [
        (
            SignInError::InvalidCredentials,
            50126,
            "invalid_grant",
            "Error validating credentials due to invalid username or password.",
        ),
        (SignInError::UserDisabled, 50057, "invalid_grant", "The user account is disabled."),
        (
            SignInError::AccountLocked,
            50053,
            "invalid_grant",
            "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
        ),
        (
            SignInError::LoginRequired,
            50058,
            "login_required",
            "A silent sign-in request was sent but no user is signed in.",
        ),
        (SignInError::ConsentDeclined, 65004, "access_denied", "User declined to consent to access the app."),
        (SignInError::AdminApprovalRequired, 90094, "access_denied", "The grant requires admin permission."),
        (
            SignInError::CodeVerifierMismatch,
            501481,
            "invalid_grant",
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ),
        (
            SignInError::NoReplyAddressRegistered,
            500113,
            "invalid_request",
            "No reply address is registered for the application.",
        ),
    ];
    for (error, code, oauth, text) in cases {
        let error = TokenError::from(error);
        assert_eq!((error.code(), error.oauth_error().as_str()), (code, oauth), "{error:?}");
        assert_eq!(error.to_string(), text);
        assert_eq!(TokenError::lookup(code), Some(error));
    }
    let unknown = TokenError::SignIn(SignInError::UnknownUser { tenant: "contoso.test".into() });
    assert_eq!(
        unknown.to_string(),
        "The user account {EmailHidden} does not exist in the contoso.test directory. To sign into this \
         application, the account must be added to the directory."
    );
    let mismatch = TokenError::SignIn(SignInError::RedirectUriMismatch {
        redirect_uri: "https://evil/cb".into(),
        app_id: "a".into(),
    });
    assert_eq!(mismatch.code(), 50011);
    assert!(mismatch.to_string().starts_with("The redirect URI 'https://evil/cb' specified in the request"));
    let scope = TokenError::SignIn(SignInError::UnknownScope {
        app_name: "App".into(),
        scope: "api://x/nope".into(),
        resource_app_id: "r".into(),
    });
    assert_eq!((scope.code(), scope.oauth_error().as_str()), (650053, "invalid_client"));
    assert_eq!(
        TokenError::SignIn(SignInError::UnsupportedPrompt).code(),
        90023,
        "shares 90023 with two client authentications"
    );
    assert_eq!(TokenError::lookup(90023), Some(TokenError::MultipleClientAuth));
}

#[test]
fn errors_stay_small_enough_to_return_by_value() {
    // clippy's result_large_err fires at 128 bytes; large payloads are boxed (ForeignUser).
    assert!(std::mem::size_of::<TokenError>() < 128, "{}", std::mem::size_of::<TokenError>());
}

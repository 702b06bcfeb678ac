//! Tests of redirect-URI matching: exact match, the loopback exception, open-redirect tricks.
use super::*;

fn web(uris: &[&str]) -> RedirectUris {
    RedirectUris { web: uris.iter().map(|u| (*u).to_owned()).collect(), ..RedirectUris::default() }
}

fn public(uris: &[&str]) -> RedirectUris {
    RedirectUris { public_client: uris.iter().map(|u| (*u).to_owned()).collect(), ..RedirectUris::default() }
}

#[test]
fn security_md_as_1_cases_are_refused() {
    let registered = web(&["https://a/cb"]);
    assert_eq!(match_uri(&registered, "https://a/cb"), Some(Platform::Web));
    for bad in [
        "https://a/CB",
        "https://A/cb",
        "https://a/cb/",
        "https://a/cb?x=1",
        "https://a/cb#f",
        "https://a/cb/../x",
        "https://a/cb%2f..",
        "https://a@evil/cb",
        "https://a/cb@evil",
        "//evil",
        "/\\evil",
        "https://a/cb\\..\\x",
        "http://a/cb",
        "https://a:443/cb",
        "https://a./cb",
        "https://a/cb ",
        " https://a/cb",
        "https://a/c%62",
        "HTTPS://a/cb",
        "https://a/cb\u{0}",
        "javascript:alert(1)",
        "",
    ] {
        assert_eq!(match_uri(&registered, bad), None, "{bad:?}");
        assert!(resolve(&registered, Some(bad), "app").is_err(), "{bad:?}");
    }
}

#[test]
fn idn_look_alikes_never_match() {
    let registered = web(&["https://contoso.example/cb"]);
    for bad in [
        "https://cont\u{43e}so.example/cb",
        "https://xn--contso-8vf.example/cb",
        "https://contoso.example\u{2044}cb",
        "https://contoso.example/c\u{200b}b",
        "https://contoso.example\u{ff0f}cb",
    ] {
        assert_eq!(match_uri(&registered, bad), None, "{bad:?}");
    }
    assert_eq!(
        resolve(&registered, Some("https://cont\u{43e}so.example/cb"), "a"),
        Err(SignInError::MalformedRedirectUri)
    );
}

/// Property: no single-character edit of a registered URI matches it (case flips, deletions,
/// insertions of URL-significant characters, doubling), except identity.
#[test]
fn no_single_edit_of_a_registered_uri_matches() {
    for uri in ["https://app.example/auth/callback?x=1", "msal1234://auth", "https://b.example"] {
        let registered = RedirectUris {
            web: vec![uri.to_owned()],
            spa: vec![uri.to_owned()],
            public_client: vec![uri.to_owned()],
        };
        let chars: Vec<char> = uri.chars().collect();
        let mut edits = Vec::new();
        for i in 0..chars.len() {
            let mut deleted = chars.clone();
            deleted.remove(i);
            edits.push(deleted.into_iter().collect::<String>());
            let c = chars[i];
            let flipped =
                if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            if flipped != c {
                let mut case = chars.clone();
                case[i] = flipped;
                edits.push(case.into_iter().collect());
            }
            for insert in ['/', '.', '@', '#', '?', '%', '\\', ':', 'a', ' '] {
                let mut inserted = chars.clone();
                inserted.insert(i, insert);
                edits.push(inserted.into_iter().collect());
            }
        }
        for suffix in ["/", "?", "#", "/.", "%2f..", "&", ".evil"] {
            edits.push(format!("{uri}{suffix}"));
        }
        for edit in edits.iter().filter(|e| *e != uri) {
            assert_eq!(match_uri(&registered, edit), None, "{uri} -> {edit:?}");
        }
    }
}

#[test]
fn loopback_ports_are_ignored_for_public_clients_only() {
    let registered = public(&["http://localhost/MyApp", "http://127.0.0.1"]);
    assert_eq!(match_uri(&registered, "http://localhost:1234/MyApp"), Some(Platform::PublicClient));
    assert_eq!(match_uri(&registered, "http://localhost/MyApp"), Some(Platform::PublicClient));
    assert_eq!(match_uri(&registered, "http://127.0.0.1:65535"), Some(Platform::PublicClient));
    for bad in [
        "http://localhost:1234/myapp",
        "http://localhost:1234/MyApp/",
        "http://localhost:1234/MyApp?x=1",
        "http://127.0.0.1:1234/MyApp",
        "http://localhost:1234",
        "http://localhost:0/MyApp",
        "http://localhost:65536/MyApp",
        "http://localhost:/MyApp",
        "http://localhost:12a/MyApp",
        "http://localhost:1234@evil/MyApp",
        "http://localhost.evil.example:1234/MyApp",
        "http://localhost@evil.example/MyApp",
        "https://localhost:1234/MyApp",
        "http://[::1]:1234/MyApp",
        "http://LOCALHOST:1234/MyApp",
        "http://127.0.0.1:8080/x",
    ] {
        assert_eq!(match_uri(&registered, bad), None, "{bad}");
    }
    let web_loopback = web(&["http://localhost/MyApp"]);
    assert_eq!(match_uri(&web_loopback, "http://localhost/MyApp"), Some(Platform::Web));
    assert_eq!(
        match_uri(&web_loopback, "http://localhost:1234/MyApp"),
        None,
        "web registrations match exactly"
    );
}

#[test]
fn msal_python_and_azure_identity_loopbacks_match_a_bare_localhost() {
    let registered = public(&["http://localhost"]);
    let matched = resolve(&registered, Some("http://localhost:8400"), "a").unwrap();
    assert_eq!(
        matched,
        Matched {
            uri: "http://localhost:8400".into(),
            requested: Some("http://localhost:8400".into()),
            platform: Platform::PublicClient
        }
    );
}

#[test]
fn exact_matches_win_and_report_their_platform() {
    let registered = RedirectUris {
        web: vec!["https://a/web".into()],
        spa: vec!["https://a/spa".into()],
        public_client: vec!["https://a/native".into(), "http://localhost:5000/spa".into()],
    };
    assert_eq!(match_uri(&registered, "https://a/spa"), Some(Platform::Spa));
    assert_eq!(match_uri(&registered, "https://a/native"), Some(Platform::PublicClient));
    assert_eq!(match_uri(&registered, "https://a/web"), Some(Platform::Web));
}

#[test]
fn omitted_and_unregistered_redirect_uris() {
    assert_eq!(
        resolve(&RedirectUris::default(), Some("https://a/cb"), "a"),
        Err(SignInError::NoReplyAddressRegistered)
    );
    assert_eq!(resolve(&RedirectUris::default(), None, "a"), Err(SignInError::NoReplyAddressRegistered));
    let one = web(&["https://a/cb"]);
    assert_eq!(
        resolve(&one, None, "a"),
        Ok(Matched { uri: "https://a/cb".into(), requested: None, platform: Platform::Web })
    );
    let two = RedirectUris { spa: vec!["https://a/spa".into()], ..one.clone() };
    assert_eq!(resolve(&two, None, "a"), Err(SignInError::NoReplyAddressProvided));
    assert_eq!(resolve(&one, Some("not a uri"), "a"), Err(SignInError::MalformedRedirectUri));
    assert_eq!(resolve(&one, Some("/cb"), "a"), Err(SignInError::MalformedRedirectUri));
    let mismatch = resolve(&one, Some("https://evil/cb"), "app-id").unwrap_err();
    assert_eq!(
        mismatch,
        SignInError::RedirectUriMismatch { redirect_uri: "https://evil/cb".into(), app_id: "app-id".into() }
    );
    assert_eq!(mismatch.code(), 50011);
}

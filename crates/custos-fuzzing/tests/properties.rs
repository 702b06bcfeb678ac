//! Property tests (proptest) of the invariants issue 16 names: a redirect URI matches iff it
//! equals a registered one byte for byte (RFC 8252's loopback port rule aside), and an accepted
//! client assertion's `alg` is always one its key allows. (The `$filter` print/parse round trip
//! is in `custos-directory`, next to its private AST: `filter/print_tests.rs`.)

use custos_core::consent::RedirectUris;
use custos_fuzzing::assertion::{AUDIENCE, CLIENT_ID, NOW, check_client_assertion};
use custos_fuzzing::signin::check_redirect_rule;
use custos_signin::redirect::match_uri;
use proptest::prelude::*;

/// URIs from a small alphabet so that generated ones often collide, differ by one byte, case or
/// port, or are loopback look-alikes.
fn uri() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(&["http", "https", "HTTP", "msal1"][..]);
    let host =
        prop::sample::select(&["localhost", "127.0.0.1", "a", "A", "localhost.a", "127.0.0.2", ""][..]);
    let port = prop::sample::select(&["", ":0", ":80", ":8400", ":65535", ":65536", ":x", ":", ":080"][..]);
    let tail =
        prop::sample::select(&["", "/", "/cb", "/CB", "/cb/", "/cb?x=1", "?x=1", "/cb#f", "/c b", "@a"][..]);
    (scheme, host, port, tail).prop_map(|(s, h, p, t)| format!("{s}://{h}{p}{t}"))
}

fn registrations() -> impl Strategy<Value = RedirectUris> {
    let list = || prop::collection::vec(uri(), 0..3);
    (list(), list(), list()).prop_map(|(web, spa, public_client)| RedirectUris { web, public_client, spa })
}

/// `scheme` of a URI that cannot be a loopback one under RFC 8252 (not plain `http`).
fn not_loopback(uri: &str) -> bool {
    !uri.starts_with("http://")
}

proptest! {
    #[test]
    fn a_redirect_uri_matches_iff_it_equals_a_registered_one_loopback_port_aside(
        uris in registrations(),
        requested in uri(),
        pick in any::<prop::sample::Index>(),
        use_registered in any::<bool>(),
    ) {
        let all: Vec<&String> = uris.web.iter().chain(&uris.spa).chain(&uris.public_client).collect();
        let requested = match (use_registered, all.is_empty()) {
            (true, false) => pick.get(&all).to_string(),
            _ => requested,
        };
        check_redirect_rule(&uris, &requested);
        if not_loopback(&requested) {
            let equal = all.iter().any(|u| **u == requested);
            let valid = !requested.contains('#') && !requested.contains(' ') && !requested.ends_with("://");
            prop_assert_eq!(match_uri(&uris, &requested).is_some(), equal && valid, "{}", requested);
        }
    }

    #[test]
    fn an_accepted_assertion_alg_is_always_one_its_key_allows(
        alg in prop::sample::select(&["RS256", "PS256", "ES256", "HS256", "none", "RS384", "rs256", "RS256 ", ""][..]),
        sign_with_pss in any::<bool>(),
        padded in any::<bool>(),
        hint in prop::sample::select(&[r#""x5t":"$rsa_x5t""#, r#""x5t#S256":"$rsa_x5t256""#, r#""x5t":"$ec_x5t""#, r#""kid":"$rsa_x5t""#][..]),
    ) {
        let mode = 0x80 | u8::from(sign_with_pss) | (u8::from(padded) << 1);
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT",{hint}}}"#);
        let claims = format!(
            r#"{{"aud":"{AUDIENCE}","iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","jti":"j","exp":{},"nbf":{}}}"#,
            NOW + 600,
            NOW - 10,
        );
        let mut input = vec![mode];
        input.extend_from_slice(format!("{header}\n{claims}").as_bytes());
        // The invariant itself is asserted inside; here, that exactly the right cases pass.
        let accepted = check_client_assertion(&input);
        let signed = if sign_with_pss { "PS256" } else { "RS256" };
        prop_assert_eq!(accepted, Some(alg == signed && !hint.contains("ec_x5t")), "{}", header);
    }
}

//! End-to-end test of `custos keys ...` as an operator runs it: `custos init`, `custos serve`,
//! then `keys list` and `keys rotate --activate-in 0s` as separate processes talking HTTPS to
//! that server, and a token signed by the new key while the old key stays published.

mod common;

use common::{admin, admin_json, admin_token, init_and_serve};
use custos_testkit::http::jwt_header;
use serde_json::Value;
use std::process::Output;

fn succeeded(args: &[&str], out: &Output) -> String {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.success(),
        "custos {args:?} failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn header_kid(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}

#[test]
fn an_operator_lists_and_rotates_the_signing_keys() {
    let (_dir, data, init, server) = init_and_serve(&[]);

    let keys = admin_json(&server, &data, &["keys", "list"]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["state"], "current");
    assert_eq!(keys[0]["retires"], Value::Null);
    let old_kid = keys[0]["kid"].as_str().unwrap().to_owned();

    let text = succeeded(&["keys", "list"], &admin(&server, &data, &["keys", "list"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("KID")
            && lines[0].ends_with("STATE    CREATED               ACTIVATES             RETIRES")
    );
    assert!(lines[1].starts_with(&format!("{old_kid}  current  ")), "{text}");

    let new = admin_json(&server, &data, &["keys", "rotate", "--activate-in", "0s"]);
    assert_eq!(new["state"], "current");
    let new_kid = new["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);

    let keys = admin_json(&server, &data, &["keys", "list"]);
    let states: Vec<(&str, &str)> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(old_kid.as_str(), "retired"), (new_kid.as_str(), "current")]);
    assert!(keys[0]["retires"].is_string(), "a retired key says until when it is published: {keys}");

    // The running server signs with the new key at once and still publishes the old one.
    let http = server.client();
    let token = admin_token(&http, &server.url(), &init);
    assert_eq!(header_kid(&token), new_kid);
    let tenant = init["tenantId"].as_str().unwrap();
    for path in ["/common/discovery/keys".to_owned(), format!("/{tenant}/discovery/v2.0/keys")] {
        let jwks: Value = http.get(format!("{}{path}", server.url())).send().unwrap().json().unwrap();
        let kids: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{path}: {kids:?}");
    }

    // A delay shorter than the publish-ahead time is refused by the server with its reason.
    let out = admin(&server, &data, &["keys", "rotate", "--activate-in", "1h"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("400") && stderr.contains("publish-ahead time"), "{stderr}");
}

//! The key-rotation drill of security.md §7 (issue 16 item 4): while several guards
//! (`custos_guard::Guard`, three instances) validate a stream of freshly issued tokens from four
//! threads at once, the signing key is rotated twice through the admin API, first with a delay
//! (`activateIn` = the publish-ahead time, here 3 s), then at once (`0s`, a drill). Not one
//! validation may fail, tokens signed before a rotation keep validating after it, and once a key
//! takes over the tokens carry its `kid`.
//!
//! The guards keep their own clocks (they are not the server's): between the delayed rotation and
//! its activation the guards' time passes by their key refresh age (10 min), as the real
//! publish-ahead day (24 h) exceeds it many times over. Before the `0s` rotation the guards' last
//! key fetch is older than their unknown-`kid` cooldown (30 s): a guard that fetched within its
//! cooldown refuses a key that starts signing at once until its next fetch, which is why scheduled
//! rotations publish ahead and `0s` is for drills.

mod common;

use common::init_and_serve;
use common::resource::{Tenant, bearer, guard, kid, runtime};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

const API: &str = "api://rotation-drill";
const WORKERS: usize = 4;
const GUARDS: usize = 3;
/// Validations each worker does at most (the drill normally stops far earlier).
const MAX_PER_WORKER: usize = 3_000;
/// Validations of tokens signed by a new key to see before the drill moves on.
const SEEN_PER_KEY: usize = 40;

/// One validation: the token's `kid`, and the refusal if there was one.
struct Validated {
    kid: String,
    refusal: Option<String>,
}

#[test]
fn guards_under_load_see_no_invalid_token_across_a_delayed_and_a_drill_rotation() {
    let (_dir, _data, init, server) = init_and_serve(&["--key-publish-ahead", "3s"]);
    let http = server.client();
    let home = Tenant::home(&http, &server.url(), &init);
    let api = home.api(API, 2);
    let daemon = home.daemon("rotation-drill daemon");
    home.assign(&daemon.1, &api);
    let scope = format!("{API}/.default");
    let first = home.token(&daemon, &scope);
    let original = kid(&first);

    let guards: Vec<_> = (0..GUARDS).map(|_| guard(&server, &home.id, &format!("{API};{}", api.0))).collect();
    let rt = runtime();
    for (guard, _) in &guards {
        rt.block_on(guard.warm_up()).expect("the guard fetches the keys");
    }
    let advance_guards = |by: time::Duration| guards.iter().for_each(|(_, clock)| clock.advance(by));
    let rotate = |activate_in: &str| -> String {
        let reply = http
            .post(format!("{}/admin/v1/signing-keys/rotate", server.url()))
            .bearer_auth(&home.admin)
            .json(&json!({"activateIn": activate_in}))
            .send()
            .unwrap();
        assert_eq!(reply.status().as_u16(), 201, "rotate {activate_in}");
        reply.json::<serde_json::Value>().unwrap()["kid"].as_str().unwrap().to_owned()
    };

    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Validated>();
    // Every token the workers saw validate, for the after-the-fact check of old-key tokens.
    let issued = std::sync::Mutex::new(Vec::new());
    let (delayed, drill) = std::thread::scope(|scope_| {
        for worker in 0..WORKERS {
            let (tx, stop, issued, guards, rt, home, daemon, scope) =
                (tx.clone(), &stop, &issued, &guards, &rt, &home, &daemon, &scope);
            scope_.spawn(move || {
                for n in 0..MAX_PER_WORKER {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let token = home.token(daemon, scope);
                    let (guard, _) = &guards[(worker + n) % GUARDS];
                    let refusal =
                        rt.block_on(guard.validate(&bearer(&token))).err().map(|e| format!("{e:?}"));
                    let kid = kid(&token);
                    issued.lock().unwrap().push(token);
                    if tx.send(Validated { kid, refusal }).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut refusals = Vec::new();
        // Waits for `count` validations of tokens signed by `kid` (any `kid` when `None`).
        let mut wait_for = |count: usize, kid: Option<&str>| {
            let mut seen = 0;
            while seen < count {
                let Ok(validated) = rx.recv() else {
                    panic!("the workers stopped before {count} validations of {kid:?}: {refusals:?}");
                };
                if let Some(refusal) = validated.refusal {
                    refusals.push((validated.kid.clone(), refusal));
                }
                seen += usize::from(kid.is_none_or(|k| k == validated.kid));
            }
        };
        wait_for(SEEN_PER_KEY, None);

        // A delayed rotation: published at once, signing 3 s later.
        let delayed = rotate("3s");
        advance_guards(time::Duration::minutes(10));
        wait_for(SEEN_PER_KEY, Some(&delayed));

        // A drill: signing at once.
        advance_guards(time::Duration::seconds(31));
        let drill = rotate("0s");
        wait_for(SEEN_PER_KEY, Some(&drill));
        stop.store(true, Ordering::SeqCst);
        while let Ok(validated) = rx.recv() {
            if let Some(refusal) = validated.refusal {
                refusals.push((validated.kid, refusal));
            }
        }
        assert!(refusals.is_empty(), "guards refused tokens during the rotations: {refusals:?}");
        (delayed, drill)
    });
    assert!(delayed != original && drill != delayed, "two new keys: {original}, {delayed}, {drill}");
    assert_eq!(kid(&home.token(&daemon, &scope)), drill, "the drill key signs now");

    // Every token issued during the drill, whichever key signed it, still validates everywhere.
    let issued = issued.into_inner().unwrap();
    let by_key = |k: &str| issued.iter().filter(|t| kid(t) == k).count();
    eprintln!(
        "validated {} tokens: {} by the first key, {} by the delayed one, {} by the drill key",
        issued.len(),
        by_key(&original),
        by_key(&delayed),
        by_key(&drill)
    );
    assert!(by_key(&original) > SEEN_PER_KEY, "the first key signed until the delayed one took over");
    rt.block_on(async {
        for (guard, _) in &guards {
            for token in issued.iter().chain([&first]) {
                if let Err(e) = guard.validate(&bearer(token)).await {
                    panic!("a token of key {} is refused after the rotations: {e:?}", kid(token));
                }
            }
        }
    });
}

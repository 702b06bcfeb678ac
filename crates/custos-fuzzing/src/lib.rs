//! The bodies of custos' fuzz targets, in one table ([`TARGETS`]) that both runners call:
//! the cargo-fuzz project in `fuzz/` (nightly, libFuzzer: `cargo +nightly fuzz run <name>`) and
//! the stable replay test (`tests/corpus.rs`), which feeds every file of `fuzz/corpus/<name>/`
//! to the same function, so `cargo test` replays every corpus and every past crash.
//!
//! A body takes arbitrary bytes and returns nothing: it must never panic except on a broken
//! invariant (each body's docs say which it checks). Parsers that are public are driven here
//! directly; the private ones (the Graph `$filter`, the Business Central OData) are reached
//! through each crate's `#[doc(hidden)] pub mod fuzzing`, the one narrow door to them.
//!
//! Not a dependency of the server: only `fuzz/` and this crate's tests use it.

pub mod assertion;
mod authority;
mod gateway;
mod jwks;
pub mod signin;

/// One fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` file and the
/// `fuzz/corpus/<name>/` directory) and its body.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// What one input is fed to.
    pub body: fn(&[u8]),
}

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    Target { name: "token_form", body: authority::token_form },
    Target { name: "client_assertion", body: assertion::client_assertion },
    Target { name: "jwks", body: jwks::jwks },
    Target { name: "graph_filter", body: custos_directory::fuzzing::graph_filter },
    Target { name: "bc_odata", body: custos_samples::business_central::fuzzing::bc_odata },
    Target { name: "gateway_path", body: gateway::gateway_path },
    Target { name: "redirect_uri", body: signin::redirect_uri },
    Target { name: "signin_form", body: signin::signin_form },
];

/// Feeds `data` to the target called `name`.
///
/// # Panics
///
/// When no target has that name, or when the body finds a broken invariant.
pub fn run(name: &str, data: &[u8]) {
    let target = TARGETS.iter().find(|t| t.name == name);
    let Some(target) = target else { panic!("no fuzz target named {name}") };
    (target.body)(data);
}

/// `data` split at its first `\n`: (before, after); no `\n` is (`data`, None).
fn split_line(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    }
}

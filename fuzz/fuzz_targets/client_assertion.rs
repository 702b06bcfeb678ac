#![no_main]
//! Fuzz target `client_assertion`: the body is `custos_fuzzing`'s, shared with the stable corpus replay.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custos_fuzzing::run("client_assertion", data));

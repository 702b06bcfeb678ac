#![no_main]
//! Fuzz target `jwks`: the body is `custos_fuzzing`'s, shared with the stable corpus replay.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custos_fuzzing::run("jwks", data));

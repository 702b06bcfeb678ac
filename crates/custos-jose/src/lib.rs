//! Cryptographic primitives of custos: JOSE (the cached-key RS256 signer, JWKS documents,
//! thumbprints, verification of custos-issued tokens), client-secret generation and hashing,
//! and sealing of private keys at rest. The only crate that touches aws-lc-rs and JOSE.
//! Depends on `custos-core` only.

pub mod secret;

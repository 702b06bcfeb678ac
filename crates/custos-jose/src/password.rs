//! User passwords: hashed with Argon2id (RFC 9106) into a PHC string (`$argon2id$v=19$m=…`),
//! which carries its own salt and parameters, so stronger parameters can be adopted later without
//! invalidating stored hashes. Verification of an unknown user's password runs against a fixed
//! dummy hash, so that "no such user" and "wrong password" take the same time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost in KiB (19 MiB: OWASP's Argon2id baseline).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Why a password could not be hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] crate::random::RandomError),
    /// Argon2 refused the input (a password longer than it accepts).
    #[error("the password cannot be hashed")]
    Hash,
}

fn argon2() -> Argon2<'static> {
    // The constants are valid Argon2 parameters; `Params::new` rejects only out-of-range values.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh 16-byte salt; the PHC string to store.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = crate::random::array()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| PasswordError::Hash)?;
    let hashed = argon2().hash_password(password.as_bytes(), &salt).map_err(|_| PasswordError::Hash)?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the stored PHC string (compared in constant time by argon2). A
/// malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of a password nobody knows, made with the current parameters: what
/// [`verify_dummy`] checks against.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$GtWWlK5docGiQEh3bYJZ3Q$UE/q2vBiGs9QFGl3dZ8iyaaJz/v1BmOMh3yrs47k/t4";

/// Spends the time of one verification without a stored hash (for unknown users); never
/// matches a password a user could send usefully.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("Passw0rd!").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("Passw0rd!", &stored));
        assert!(!verify("passw0rd!", &stored));
        assert!(!verify("Passw0rd!", "not a hash"));
        assert_ne!(hash("Passw0rd!").unwrap(), stored, "a fresh salt each time");
        verify_dummy("anything");
        assert!(verify("custos-dummy-password", DUMMY_HASH), "the dummy hash is well-formed");
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "and uses the current parameters");
    }
}

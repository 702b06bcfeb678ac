//! The authority's test harness: the seeded in-memory authority (`custos_authority::testing`),
//! the generic in-process HTTP helpers (`custos_testkit::http`), and the assertion of an Entra
//! error response as that authority answers it (its public URL and clock).

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of the fixture

pub use custos_authority::testing::*;
pub use custos_testkit::http::*;

/// Entra error responses of the fixture's authority.
pub trait AssertError {
    /// Asserts an Entra error response: status, `error`, `error_codes[0]`, the correlation
    /// echo, the description format and the no-cache headers.
    fn assert_error(&self, status: u16, error: &str, code: u32);
}

impl AssertError for Reply {
    fn assert_error(&self, status: u16, error: &str, code: u32) {
        self.assert_entra_error(status, error, code, PUBLIC_URL, TIMESTAMP);
    }
}

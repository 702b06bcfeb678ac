//! What the handlers share: the configuration ([`SigninConfig`]) and the built, immutable state
//! ([`SignIn`]): the directory cache, the injected clock, the CSRF key, cookie naming and the
//! lockout table, and the sign-in log.

use crate::cookie::Cookies;
use crate::csrf::CsrfKey;
use crate::lockout::Lockout;
use custos_core::origins::Origins;
use custos_core::{Clock, Secret};
use custos_jose::random::RandomError;
use custos_store::{Directory, SignInLog};
use std::sync::Arc;

/// How long a sign-in session lasts (single sign-on across applications).
pub const SESSION_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// How long an authorization code may be redeemed (`security.md` AS-7: at most 10 minutes).
pub const CODE_LIFETIME_SECS: i64 = 10 * 60;

/// Configuration of the sign-in endpoints.
#[derive(Debug, Clone)]
pub struct SigninConfig {
    /// Where the server answers: its public URL (`https://id.example`, for `error_uri` and
    /// cookie flags) and the v1 issuer origin (a user's identity provider in AADSTS50020).
    pub origins: Origins,
    /// The key anti-CSRF tokens are computed with (32 random bytes, kept by the caller).
    pub csrf_key: Secret<[u8; 32]>,
}

/// The state every sign-in handler reads.
#[derive(Debug)]
pub struct SignIn {
    pub(crate) public_url: String,
    pub(crate) origins: Origins,
    pub(crate) directory: Arc<Directory>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) csrf: CsrfKey,
    pub(crate) cookies: Cookies,
    pub(crate) lockout: Lockout,
    pub(crate) sign_ins: SignInLog,
}

impl SignIn {
    /// The state for `config`, reading and writing the directory through `directory`.
    pub fn new(
        config: &SigninConfig,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RandomError> {
        Ok(Self {
            public_url: config.origins.public().to_owned(),
            origins: config.origins.clone(),
            directory,
            clock,
            csrf: CsrfKey::new(&config.csrf_key),
            cookies: Cookies::for_public_url(config.origins.public()),
            lockout: Lockout::new()?,
            sign_ins: SignInLog::off(),
        })
    }

    /// Records an `interactiveUser` sign-in for every decision on the sign-in pages through
    /// `log` (off by default).
    #[must_use]
    pub fn with_sign_in_log(mut self, log: SignInLog) -> Self {
        self.sign_ins = log;
        self
    }
}

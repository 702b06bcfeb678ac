//! Why a client assertion is refused: one variant per rule, each with its AADSTS number and a
//! message in Entra's wording where Entra's text is known (`entra-wire.md` §8). Messages never
//! echo attacker-controlled text except a thumbprint, which is shown only as hex or when it
//! consists of base64url characters and is short.

use std::fmt;

pub use crate::compact::Malformation;

/// Why a client assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// Longer than [`super::MAX_ASSERTION_LEN`]; nothing was decoded.
    #[error("The client assertion is {len} bytes long; at most {max} bytes are accepted.")]
    TooLarge {
        /// Length received.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Not a well-formed compact JWS with JSON header and claims.
    #[error("JWT token is invalid or malformed: {0}.")]
    Malformed(Malformation),
    /// The header has a `crit` member; no extension is understood.
    #[error("The client assertion header lists critical extensions ('crit'), which are not supported.")]
    CriticalHeader,
    /// An explicit `typ` other than `JWT` or `client-authentication+jwt`.
    #[error("The client assertion 'typ' header must be absent, 'JWT' or 'client-authentication+jwt'.")]
    WrongType,
    /// `alg` is missing, not one of RS256/PS256/ES256, or does not fit the certificate's key.
    #[error(
        "The client assertion signing algorithm is not supported for the certificate: use PS256 or RS256 with RSA keys, ES256 with P-256 keys."
    )]
    UnsupportedAlgorithm,
    /// The header carries a key or a key URL (`jwk`, `jku`, `x5u`).
    #[error(
        "The client assertion header must not carry 'jwk', 'jku' or 'x5u'; keys are taken only from the application's registered certificates."
    )]
    EmbeddedKey,
    /// No registered certificate matches `x5t#S256`, `x5t` or `kid`.
    #[error(
        "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}']"
    )]
    KeyNotFound {
        /// The thumbprint the client named: upper-case hex when it decodes, else the hint if it
        /// is short base64url text, else empty.
        thumbprint: String,
    },
    /// The signature does not verify with the registered key.
    #[error(
        "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]"
    )]
    BadSignature,
    /// `iss` (= `sub`) is not the authenticating client.
    #[error("Client assertion application identifier doesn't match 'client_id' parameter.")]
    IssuerMismatch,
    /// `sub` differs from `iss`.
    #[error("Subject mismatches Issuer claim in the client assertion")]
    SubjectMismatch,
    /// `aud` is not exactly one accepted audience.
    #[error("Client assertion audience claim does not match Realm issuer.")]
    WrongAudience,
    /// A required claim (`iss`, `sub`, `aud`, `exp`) is absent.
    #[error("The client assertion is missing the required '{claim}' claim.")]
    MissingClaim {
        /// Claim name.
        claim: &'static str,
    },
    /// A claim has the wrong JSON type (`iss`, `sub` or `jti` not a string).
    #[error("The client assertion '{claim}' claim must be a string.")]
    InvalidClaim {
        /// Claim name.
        claim: &'static str,
    },
    /// `exp`, `nbf` or `iat` is not a non-negative finite JSON number below year 10000.
    #[error("The client assertion '{claim}' claim must be a JSON number of seconds since the epoch.")]
    InvalidTimeClaim {
        /// Claim name.
        claim: &'static str,
    },
    /// Expired, not yet valid, or issued in the future (beyond the clock skew).
    #[error(
        "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.",
        EntraTime(*.now),
        ValidFrom(*.nbf),
        EntraTime(*.exp)
    )]
    OutsideValidity {
        /// The server's time (Unix seconds).
        now: i64,
        /// Start of validity: `nbf`, else `iat`, if either is present.
        nbf: Option<i64>,
        /// `exp`.
        exp: i64,
    },
    /// `exp` lies further from the assertion's start than the configured maximum lifetime.
    #[error("The client assertion is valid for {lifetime} seconds; at most {max} seconds are accepted.")]
    LifetimeTooLong {
        /// `exp` minus the earliest of `iat`, `nbf` and now.
        lifetime: i64,
        /// Configured cap.
        max: i64,
    },
}

impl AssertionError {
    /// The AADSTS number Entra answers this failure with (all are `invalid_client`).
    pub fn aadsts_code(&self) -> u32 {
        match self {
            Self::TooLarge { .. }
            | Self::Malformed(_)
            | Self::CriticalHeader
            | Self::WrongType
            | Self::UnsupportedAlgorithm
            | Self::EmbeddedKey
            | Self::MissingClaim { .. }
            | Self::InvalidClaim { .. }
            | Self::InvalidTimeClaim { .. } => 50027,
            Self::KeyNotFound { .. } | Self::BadSignature => 700027,
            Self::IssuerMismatch => 700021,
            Self::SubjectMismatch => 50048,
            Self::WrongAudience => 700023,
            Self::OutsideValidity { .. } | Self::LifetimeTooLong { .. } => 700024,
        }
    }
}

/// Unix seconds in Entra's message format (`2024-05-01T10:00:00.0000000Z`).
struct EntraTime(i64);

impl fmt::Display for EntraTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.0000000Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

/// The optional start of validity.
struct ValidFrom(Option<i64>);

impl fmt::Display for ValidFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => EntraTime(t).fmt(f),
            None => f.write_str("(not specified)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_message_uses_entra_wording_and_time_format() {
        let e = AssertionError::OutsideValidity {
            now: 1_700_000_000,
            nbf: Some(1_699_999_000),
            exp: 1_699_999_600,
        };
        assert_eq!(
            e.to_string(),
            "Client assertion is not within its valid time range. Current time: 2023-11-14T22:13:20.0000000Z, \
             assertion valid from 2023-11-14T21:56:40.0000000Z, expiry time of assertion 2023-11-14T22:06:40.0000000Z."
        );
        assert_eq!(e.aadsts_code(), 700024);
        let e = AssertionError::OutsideValidity { now: 0, nbf: None, exp: 0 };
        assert!(e.to_string().contains("assertion valid from (not specified)"));
    }

    #[test]
    fn key_not_found_names_the_thumbprint_like_entra() {
        let e = AssertionError::KeyNotFound { thumbprint: "AB12".to_owned() };
        assert_eq!(
            e.to_string(),
            "Client assertion contains an invalid signature. [Reason - The key was not found., \
             Thumbprint of key used by client: 'AB12']"
        );
        assert_eq!(e.aadsts_code(), 700027);
    }
}

//! Endpoint secrets: the bearer secret that selects a managed identity on the server's
//! development endpoints.
//!
//! Format: `cmi` + the tenant id + the identity's object id (32 hex digits each) + 256 random
//! bits (64 hex digits), all lower case. The ids are not secret; they let the server find the
//! one identity to check against without an index. Lower-case hex survives everything a client
//! does to it: MSAL Node lower-cases the URL it finds the secret in, shells and HTTP headers
//! need no quoting.
//!
//! A secret is stored as a password credential of the identity's backing application, marked by
//! its display name ([`MARKER`]), holding `HMAC-SHA-256(K', secret)` where `K'` is derived from
//! the server's secret-hash key (`K' = HMAC(K, LABEL)`). Client secrets are hashed with `K`
//! itself, so an endpoint secret never verifies as a client secret at the token endpoint, and a
//! client secret never verifies here: the two hash domains are separated by key, not by
//! convention.

use custos_core::model::PasswordCredential;
use custos_core::{ObjectId, Secret, TenantId};
use custos_jose::secret::SecretHasher;
use time::OffsetDateTime;
use uuid::Uuid;

/// Display name of the password credential holding an endpoint secret.
pub(crate) const MARKER: &str = "custos managed-identity endpoint secret";
/// Derives the endpoint-secret hash key from the server's secret-hash key.
const LABEL: &str = "custos/managed-identity/endpoint-secret/v1";
const PREFIX: &str = "cmi";
/// Hex digits of the random part.
const RANDOM_HEX: usize = 64;
/// Length of a well-formed secret.
pub(crate) const SECRET_LEN: usize = PREFIX.len() + 32 + 32 + RANDOM_HEX;

/// A fresh endpoint secret for the identity `object_id` of `tenant`; `None` when the system
/// random number generator fails.
pub(crate) fn generate(tenant: TenantId, object_id: ObjectId) -> Option<Secret<String>> {
    let random = custos_jose::random::hex(RANDOM_HEX / 2).ok()?;
    Some(Secret::new(format!(
        "{PREFIX}{}{}{random}",
        tenant.as_uuid().simple(),
        object_id.as_uuid().simple()
    )))
}

/// The tenant and identity a presented secret names, when it is well formed (any case).
pub(crate) fn addressee(presented: &str) -> Option<(TenantId, ObjectId)> {
    if presented.len() != SECRET_LEN || !presented.is_ascii() {
        return None;
    }
    let (prefix, rest) = presented.split_at(PREFIX.len());
    if !prefix.eq_ignore_ascii_case(PREFIX) || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let tenant = Uuid::try_parse(&rest[..32]).ok()?;
    let object = Uuid::try_parse(&rest[32..64]).ok()?;
    Some((TenantId(tenant), ObjectId(object)))
}

/// The hasher of endpoint secrets (key `HMAC(K, LABEL)`).
fn endpoint_hasher(hasher: &SecretHasher) -> SecretHasher {
    SecretHasher::new(&hasher.hash(LABEL))
}

/// The credential storing `secret`, valid from `start` until `end`.
pub(crate) fn credential(
    hasher: &SecretHasher,
    secret: &Secret<String>,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> PasswordCredential {
    PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name: Some(MARKER.to_owned()),
        hint: secret.expose()[..PREFIX.len()].to_owned(),
        start,
        end,
        secret_hash: endpoint_hasher(hasher).hash(secret.expose()).into(),
    }
}

/// Whether a password credential holds an endpoint secret.
pub(crate) fn is_endpoint_secret(credential: &PasswordCredential) -> bool {
    credential.display_name.as_deref() == Some(MARKER)
}

/// Whether `presented` (lower-cased first: secrets are lower-case hex) matches an endpoint
/// secret among `credentials` valid at `now`. Every candidate is compared, each in constant
/// time.
pub(crate) fn verify(
    hasher: &SecretHasher,
    credentials: &[PasswordCredential],
    presented: &str,
    now: OffsetDateTime,
) -> bool {
    let hasher = endpoint_hasher(hasher);
    let presented = presented.to_ascii_lowercase();
    let mut valid = false;
    for credential in credentials.iter().filter(|c| is_endpoint_secret(c)) {
        let matches = hasher.verify(&presented, credential.secret_hash.expose());
        valid |= matches && credential.start <= now && now < credential.end;
    }
    valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn ids() -> (TenantId, ObjectId) {
        (TenantId::new_random(), ObjectId::new_random())
    }

    #[test]
    fn secrets_name_their_identity_and_are_lower_case_hex() {
        let (tenant, object) = ids();
        let secret = generate(tenant, object).unwrap();
        let text = secret.expose();
        assert_eq!(text.len(), SECRET_LEN);
        assert!(text.starts_with("cmi"));
        assert!(text[3..].bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{text}");
        assert_eq!(addressee(text), Some((tenant, object)));
        assert_eq!(addressee(&text.to_ascii_uppercase()), Some((tenant, object)));
        assert_ne!(text, generate(tenant, object).unwrap().expose());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn malformed_secrets_name_nobody() {
        let (tenant, object) = ids();
        let good = generate(tenant, object).unwrap().expose().clone();
        assert_eq!(addressee(""), None);
        assert_eq!(addressee(&good[1..]), None);
        assert_eq!(addressee(&format!("xmi{}", &good[3..])), None);
        assert_eq!(addressee(&format!("{}g", &good[..good.len() - 1])), None);
        assert_eq!(addressee(&format!("{}é", &good[..good.len() - 2])), None);
        assert_eq!(addressee(&"é".repeat(SECRET_LEN / 2)), None);
    }

    #[test]
    fn only_the_endpoint_hash_domain_verifies() {
        let hasher = SecretHasher::new(&[5; 32]);
        let (tenant, object) = ids();
        let secret = generate(tenant, object).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let stored = credential(&hasher, &secret, now, now + Duration::days(1));
        assert!(is_endpoint_secret(&stored));
        assert_eq!(stored.hint, "cmi");
        assert!(verify(&hasher, std::slice::from_ref(&stored), secret.expose(), now));
        assert!(verify(&hasher, std::slice::from_ref(&stored), &secret.expose().to_uppercase(), now));
        // Expired, or not yet valid.
        assert!(!verify(&hasher, std::slice::from_ref(&stored), secret.expose(), now + Duration::days(1)));
        assert!(!verify(&hasher, std::slice::from_ref(&stored), secret.expose(), now - Duration::SECOND));
        // The endpoint secret is not a client secret: the token endpoint's hash differs.
        assert!(!hasher.verify(secret.expose(), stored.secret_hash.expose()));
        // A client secret stored under the marker name still does not verify here.
        let client_secret =
            PasswordCredential { secret_hash: hasher.hash(secret.expose()).into(), ..stored.clone() };
        assert!(!verify(&hasher, &[client_secret], secret.expose(), now));
        // Only marked credentials are considered.
        let unmarked = PasswordCredential { display_name: None, ..stored };
        assert!(!verify(&hasher, &[unmarked], secret.expose(), now));
    }
}

//! Certificate credentials (`keyCredentials`) as clients send them, and the rules every write
//! of them follows. A PATCH or POST of an application carries the manifest shape of seed 004
//! (`customKeyIdentifier`, `keyId`, `type`, `usage`, `value` or `key` = base64 DER); `addKey`
//! carries one such object. Each is read strictly into a [`KeyCredentialInput`], then its
//! certificate is parsed and checked ([`ClientCertificate`]: X.509, RSA ≥ 2048 bits or EC
//! P-256) and it becomes a stored [`KeyCredential`]: `startDateTime`/`endDateTime` default to
//! the certificate's validity and may only narrow it, `customKeyIdentifier` defaults to the
//! SHA-1 thumbprint, `displayName` to the subject. An application holds at most
//! [`MAX_KEY_CREDENTIALS`], with distinct `keyId`s and distinct certificates.

use crate::body::{JsonObject, invalid_value};
use crate::error::GraphError;
use crate::shapes::date;
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use custos_core::model::{KEY_TYPE_X509, KEY_USAGE_VERIFY, KeyCredential};
use custos_jose::cert::ClientCertificate;
use custos_store::change::{ChangeRefused, KeyEntry, check_key_credentials};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// Most certificates one application may hold (the store enforces it on every write).
pub(crate) const MAX_KEY_CREDENTIALS: usize = custos_store::MAX_KEY_CREDENTIALS;
/// Longest base64 certificate accepted (12 KiB of DER).
const MAX_CERTIFICATE_TEXT: usize = 16 * 1024;
/// Longest `customKeyIdentifier`, in bytes.
const MAX_CUSTOM_KEY_IDENTIFIER: usize = 32;
/// Longest display name.
const MAX_DISPLAY_NAME: usize = 256;
const RESOURCE: &str = "KeyCredential";
/// Refusal of an entry that carries no certificate and names no certificate the application holds.
const CERTIFICATE_REQUIRED: &str =
    "Property 'key' is required: the base64 DER of the certificate (the manifest calls it 'value').";
const PROPERTIES: &[&str] = &[
    "customKeyIdentifier",
    "displayName",
    "endDateTime",
    "key",
    "keyId",
    "startDateTime",
    "type",
    "usage",
    "value",
];

/// Standard base64, padded or not (the manifest pads, hand-written values may not).
const BASE64_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A Graph date-time (RFC 3339).
#[derive(Debug, Deserialize)]
struct GraphDate(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

/// A key credential as a client sends it; `None` = not sent (or `null`).
#[derive(Debug, Default)]
pub(crate) struct KeyCredentialInput {
    key_id: Option<Uuid>,
    display_name: Option<String>,
    custom_key_identifier: Option<Vec<u8>>,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
    /// The certificate as sent in `key` or `value`: base64 DER (PEM is accepted too).
    certificate: Option<String>,
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::BadRequest(message.into())
}

/// Takes a nullable property: absent and `null` are both `None`.
fn take_nullable<T: serde::de::DeserializeOwned>(
    body: &mut JsonObject,
    name: &str,
) -> Result<Option<T>, GraphError> {
    Ok(body.take::<Option<T>>(name, RESOURCE)?.flatten())
}

/// Requires `name` to be `expected`, naming what is supported otherwise.
fn require_constant(body: &mut JsonObject, name: &str, expected: &str) -> Result<(), GraphError> {
    match take_nullable::<String>(body, name)? {
        Some(value) if value == expected => Ok(()),
        Some(value) => Err(bad(format!(
            "Key credential {name} '{value}' is not supported; only '{expected}' is accepted."
        ))),
        None => Err(bad(format!("Property '{name}' of a key credential is required ('{expected}')."))),
    }
}

impl KeyCredentialInput {
    /// Reads one key credential object. `type` must be `AsymmetricX509Cert` and `usage`
    /// `Verify`; the certificate may come in `key` or `value` (the manifest's name).
    pub(crate) fn parse(value: Value) -> Result<Self, GraphError> {
        let body =
            JsonObject::from_value(value).ok_or_else(|| invalid_value("keyCredentials", "Application"))?;
        let mut body = body.only(PROPERTIES)?;
        require_constant(&mut body, "type", KEY_TYPE_X509)?;
        require_constant(&mut body, "usage", KEY_USAGE_VERIFY)?;
        let key_id: Option<Uuid> = take_nullable(&mut body, "keyId")?;
        let display_name: Option<String> = take_nullable(&mut body, "displayName")?;
        if display_name.as_ref().is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME) {
            return Err(invalid_value("displayName", RESOURCE));
        }
        let custom_key_identifier = take_nullable::<String>(&mut body, "customKeyIdentifier")?
            .map(|text| {
                BASE64_ANY_PADDING
                    .decode(text.as_bytes())
                    .ok()
                    .filter(|b| (1..=MAX_CUSTOM_KEY_IDENTIFIER).contains(&b.len()))
                    .ok_or_else(|| {
                        bad(format!(
                            "Property 'customKeyIdentifier' must be standard base64 of 1 to {MAX_CUSTOM_KEY_IDENTIFIER} bytes."
                        ))
                    })
            })
            .transpose()?;
        let start = take_nullable::<GraphDate>(&mut body, "startDateTime")?.map(|d| d.0);
        let end = take_nullable::<GraphDate>(&mut body, "endDateTime")?.map(|d| d.0);
        let key: Option<String> = take_nullable(&mut body, "key")?;
        let value: Option<String> = take_nullable(&mut body, "value")?;
        let certificate = match (key, value) {
            (Some(key), Some(value)) if key != value => {
                return Err(bad("Specify the certificate in either 'key' or 'value', not both."));
            }
            (key, value) => key.or(value),
        };
        if certificate.as_ref().is_some_and(|c| c.len() > MAX_CERTIFICATE_TEXT) {
            return Err(bad(format!(
                "The key credential's certificate exceeds the maximum of {MAX_CERTIFICATE_TEXT} base64 characters."
            )));
        }
        Ok(Self { key_id, display_name, custom_key_identifier, start, end, certificate })
    }

    /// Parses and checks the certificate and builds the credential to store. A certificate is
    /// required; an expired one is refused.
    pub(crate) fn build(self, now: OffsetDateTime) -> Result<KeyCredential, GraphError> {
        let text = self.certificate.ok_or_else(|| bad(CERTIFICATE_REQUIRED))?;
        let certificate = ClientCertificate::from_any(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
        let (not_before, not_after) = (certificate.not_before(), certificate.not_after());
        if not_after <= now {
            return Err(bad(format!(
                "The certificate expired on {}; upload a certificate that is still valid.",
                date(not_after)
            )));
        }
        let start = self.start.unwrap_or(not_before);
        let end = self.end.unwrap_or(not_after);
        if start < not_before || end > not_after {
            return Err(bad(format!(
                "Key credential dates must lie within the certificate's validity ({} to {}).",
                date(not_before),
                date(not_after)
            )));
        }
        if end <= start {
            return Err(bad("Key credential endDateTime must be later than startDateTime."));
        }
        let display_name = self
            .display_name
            .unwrap_or_else(|| certificate.subject().chars().take(MAX_DISPLAY_NAME).collect());
        Ok(KeyCredential {
            key_id: self.key_id.unwrap_or_else(Uuid::new_v4),
            display_name: Some(display_name).filter(|n| !n.is_empty()),
            custom_key_identifier: self
                .custom_key_identifier
                .unwrap_or_else(|| certificate.thumbprint_sha1().to_vec()),
            usage: KEY_USAGE_VERIFY.to_owned(),
            key_type: KEY_TYPE_X509.to_owned(),
            start,
            end,
            certificate_der: certificate.der().to_vec(),
        })
    }
}

/// Upper-case hex SHA-1 thumbprint of a DER certificate, as Azure shows thumbprints.
pub(crate) fn thumbprint_hex(certificate_der: &[u8]) -> String {
    custos_jose::hash::upper_hex(&custos_jose::hash::sha1(certificate_der))
}

/// Checks the rules a complete list of credentials follows: at most [`MAX_KEY_CREDENTIALS`],
/// distinct `keyId`s, distinct certificates.
pub(crate) fn check_collection(credentials: &[KeyCredential]) -> Result<(), GraphError> {
    check_key_credentials(credentials).map_err(|refused| refusal(&refused))
}

/// The Graph error for a certificate change the store refused. An unknown `keyId` is named by
/// the caller (it depends on the action), so here it gets the `removeKey` wording.
pub(crate) fn refusal(refused: &ChangeRefused) -> GraphError {
    match refused {
        ChangeRefused::TooMany { limit } => {
            bad(format!("An application can hold at most {limit} key credentials."))
        }
        ChangeRefused::DuplicateKeyId(key_id) => {
            bad(format!("Another key credential with keyId '{key_id}' already exists on the application."))
        }
        ChangeRefused::DuplicateCertificate { certificate_der } => bad(format!(
            "The certificate with thumbprint {} is already registered on the application.",
            thumbprint_hex(certificate_der)
        )),
        ChangeRefused::UnknownKeyId(key_id) => {
            bad(format!("No key credential with keyId '{key_id}' exists on the application."))
        }
        // Refusals of federated identity credential changes, never of certificate changes.
        ChangeRefused::UnknownFederatedCredential(_)
        | ChangeRefused::DuplicateFederatedName(_)
        | ChangeRefused::DuplicateIssuerSubject { .. } => crate::federated_credentials::refusal(refused, ""),
    }
}

/// What a PATCH of `keyCredentials` leaves: the list as it reads against the application as
/// read (`credentials`), and the change that writes it atomically (`entries`).
#[derive(Debug)]
pub(crate) struct KeyReplacement {
    pub(crate) credentials: Vec<KeyCredential>,
    pub(crate) entries: Vec<KeyEntry>,
}

impl KeyReplacement {
    /// The error for a refusal of [`Self::entries`] by the store: a kept entry whose certificate
    /// was removed in the meantime reads as an entry without a certificate, as it would have
    /// had the removal come first.
    pub(crate) fn refusal(&self, refused: &ChangeRefused) -> GraphError {
        let gone = match refused {
            ChangeRefused::UnknownKeyId(key_id) => {
                self.entries.iter().position(|e| matches!(e, KeyEntry::Keep(k) if k == key_id))
            }
            _ => None,
        };
        match gone {
            Some(index) => bad(format!("keyCredentials[{index}]: {CERTIFICATE_REQUIRED}")),
            None => refusal(refused),
        }
    }
}

/// The credentials a PATCH of `keyCredentials` leaves: the sent list replaces the old one. An
/// entry without a certificate must name the `keyId` of a credential the application already
/// holds, which is kept unchanged (so a GET body, whose `key` is `null`, can be sent back); the
/// store looks it up again when it writes, so a certificate removed meanwhile is not restored.
pub(crate) fn replace_all(
    inputs: Vec<KeyCredentialInput>,
    existing: &[KeyCredential],
    now: OffsetDateTime,
) -> Result<KeyReplacement, GraphError> {
    if inputs.len() > MAX_KEY_CREDENTIALS {
        return Err(bad(format!("An application can hold at most {MAX_KEY_CREDENTIALS} key credentials.")));
    }
    let mut credentials = Vec::with_capacity(inputs.len());
    let mut entries = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.into_iter().enumerate() {
        let kept = match (&input.certificate, input.key_id) {
            (None, Some(key_id)) => existing.iter().find(|k| k.key_id == key_id).cloned(),
            _ => None,
        };
        let (credential, entry) = match kept {
            Some(kept) => {
                let key_id = kept.key_id;
                (kept, KeyEntry::Keep(key_id))
            }
            None => {
                let built = input.build(now).map_err(|e| match e {
                    GraphError::BadRequest(message) => bad(format!("keyCredentials[{index}]: {message}")),
                    other => other,
                })?;
                (built.clone(), KeyEntry::New(built))
            }
        };
        credentials.push(credential);
        entries.push(entry);
    }
    check_collection(&credentials)?;
    Ok(KeyReplacement { credentials, entries })
}

/// Reads the `keyCredentials` property of an application body (`null` = none).
pub(crate) fn parse_list(value: Option<Vec<Value>>) -> Result<Vec<KeyCredentialInput>, GraphError> {
    value.unwrap_or_default().into_iter().map(KeyCredentialInput::parse).collect()
}

#[cfg(test)]
#[path = "key_credentials_tests.rs"]
mod tests;

//! Atomic credential changes of one application ([`crate::Store::modify_application`]): what
//! may change ([`ApplicationChange`]), the rules every backend enforces on the row it has
//! locked (at most [`MAX_PASSWORD_CREDENTIALS`] secrets and [`MAX_KEY_CREDENTIALS`]
//! certificates, distinct `keyId`s, distinct certificates; the rules of federated identity
//! credentials are in [`check_federated_credentials`]), and why a change is refused
//! ([`ChangeRefused`]). The one SQL implementation applies a change with
//! `ApplicationChange::apply`, so the rules are written once; the Graph wording of each refusal
//! belongs to the caller.

mod federated;

pub use federated::{FederatedUpdate, MAX_FEDERATED_IDENTITY_CREDENTIALS, check_federated_credentials};

use custos_core::model::{Application, FederatedIdentityCredential, KeyCredential, PasswordCredential};
use std::collections::HashSet;
use uuid::Uuid;

/// Most client secrets one application may hold.
pub const MAX_PASSWORD_CREDENTIALS: usize = 100;
/// Most certificates one application may hold.
pub const MAX_KEY_CREDENTIALS: usize = 50;

/// One change to an application's credentials, applied atomically by
/// [`crate::Store::modify_application`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationChange {
    /// Adds a client secret (refused past [`MAX_PASSWORD_CREDENTIALS`] or on a used `keyId`).
    AddPassword(PasswordCredential),
    /// Removes the client secret with this `keyId` ([`ChangeRefused::UnknownKeyId`] when absent).
    RemovePassword(Uuid),
    /// Adds a certificate (refused past [`MAX_KEY_CREDENTIALS`], on a used `keyId` or on a
    /// certificate the application already holds).
    AddKey(KeyCredential),
    /// Removes the certificate with this `keyId` ([`ChangeRefused::UnknownKeyId`] when absent).
    RemoveKey(Uuid),
    /// Replaces every certificate by this list, in order (a PATCH of `keyCredentials`).
    ReplaceKeys(Vec<KeyEntry>),
    /// Adds a federated identity credential (refused past
    /// [`MAX_FEDERATED_IDENTITY_CREDENTIALS`], on a used id or name, or on an issuer and subject
    /// another one already trusts).
    AddFederated(FederatedIdentityCredential),
    /// Changes the properties [`FederatedUpdate`] names of the federated identity credential
    /// with this id, as it is when the change is applied (so a concurrent change of another
    /// property is kept); [`ChangeRefused::UnknownFederatedCredential`] when it is gone.
    UpdateFederated(Uuid, FederatedUpdate),
    /// Removes the federated identity credential with this id
    /// ([`ChangeRefused::UnknownFederatedCredential`] when absent).
    RemoveFederated(Uuid),
}

/// One entry of [`ApplicationChange::ReplaceKeys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEntry {
    /// Keeps the certificate the application holds under this `keyId`, as it is when the change
    /// is applied; [`ChangeRefused::UnknownKeyId`] when it is gone by then (so a concurrent
    /// removal is never undone).
    Keep(Uuid),
    /// A certificate given in full.
    New(KeyCredential),
}

/// Why a change was refused; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    /// No credential of the changed kind has this `keyId`.
    #[error("no credential with keyId {0} exists on the application")]
    UnknownKeyId(Uuid),
    /// The change would exceed the limit of the changed kind of credential.
    #[error("an application can hold at most {limit} credentials of this kind")]
    TooMany {
        /// The limit ([`MAX_PASSWORD_CREDENTIALS`] or [`MAX_KEY_CREDENTIALS`]).
        limit: usize,
    },
    /// Two credentials of the same kind would share this `keyId` (for federated identity
    /// credentials: this `id`).
    #[error("keyId {0} is already used on the application")]
    DuplicateKeyId(Uuid),
    /// Two certificates would be the same; this is its DER (public data).
    #[error("the certificate is already registered on the application")]
    DuplicateCertificate {
        /// The repeated certificate.
        certificate_der: Vec<u8>,
    },
    /// No federated identity credential has this id.
    #[error("no federated identity credential with id {0} exists on the application")]
    UnknownFederatedCredential(Uuid),
    /// Another federated identity credential has this name (names compare ASCII
    /// case-insensitively).
    #[error("a federated identity credential named '{0}' already exists on the application")]
    DuplicateFederatedName(String),
    /// Another federated identity credential already trusts this issuer and subject.
    #[error("a federated identity credential with this issuer and subject already exists on the application")]
    DuplicateIssuerSubject {
        /// The issuer.
        issuer: String,
        /// The subject.
        subject: String,
    },
}

impl ApplicationChange {
    /// Applies the change to `app` (the current, locked state). On refusal `app` is unchanged.
    pub(crate) fn apply(self, app: &mut Application) -> Result<(), ChangeRefused> {
        match self {
            Self::AddPassword(credential) => {
                if app.password_credentials.len() >= MAX_PASSWORD_CREDENTIALS {
                    return Err(ChangeRefused::TooMany { limit: MAX_PASSWORD_CREDENTIALS });
                }
                if app.password_credentials.iter().any(|p| p.key_id == credential.key_id) {
                    return Err(ChangeRefused::DuplicateKeyId(credential.key_id));
                }
                app.password_credentials.push(credential);
            }
            Self::RemovePassword(key_id) => {
                let before = app.password_credentials.len();
                app.password_credentials.retain(|p| p.key_id != key_id);
                if app.password_credentials.len() == before {
                    return Err(ChangeRefused::UnknownKeyId(key_id));
                }
            }
            Self::AddKey(credential) => {
                let mut keys = app.key_credentials.clone();
                keys.push(credential);
                check_key_credentials(&keys)?;
                app.key_credentials = keys;
            }
            Self::RemoveKey(key_id) => {
                let before = app.key_credentials.len();
                app.key_credentials.retain(|k| k.key_id != key_id);
                if app.key_credentials.len() == before {
                    return Err(ChangeRefused::UnknownKeyId(key_id));
                }
            }
            Self::ReplaceKeys(entries) => {
                let keys = resolve_key_entries(entries, &app.key_credentials)?;
                check_key_credentials(&keys)?;
                app.key_credentials = keys;
            }
            Self::AddFederated(credential) => federated::add(app, credential)?,
            Self::UpdateFederated(id, update) => federated::update(app, id, update)?,
            Self::RemoveFederated(id) => federated::remove(app, id)?,
        }
        Ok(())
    }
}

/// The certificates `entries` stand for, [`KeyEntry::Keep`] looked up in `current`.
pub fn resolve_key_entries(
    entries: Vec<KeyEntry>,
    current: &[KeyCredential],
) -> Result<Vec<KeyCredential>, ChangeRefused> {
    entries
        .into_iter()
        .map(|entry| match entry {
            KeyEntry::New(credential) => Ok(credential),
            KeyEntry::Keep(key_id) => current
                .iter()
                .find(|k| k.key_id == key_id)
                .cloned()
                .ok_or(ChangeRefused::UnknownKeyId(key_id)),
        })
        .collect()
}

/// The rules a complete list of certificates follows: at most [`MAX_KEY_CREDENTIALS`], distinct
/// `keyId`s, distinct certificates. The first violation in list order is reported.
pub fn check_key_credentials(credentials: &[KeyCredential]) -> Result<(), ChangeRefused> {
    if credentials.len() > MAX_KEY_CREDENTIALS {
        return Err(ChangeRefused::TooMany { limit: MAX_KEY_CREDENTIALS });
    }
    let mut key_ids = HashSet::new();
    let mut certificates = HashSet::new();
    for credential in credentials {
        if !key_ids.insert(credential.key_id) {
            return Err(ChangeRefused::DuplicateKeyId(credential.key_id));
        }
        if !certificates.insert(credential.certificate_der.as_slice()) {
            return Err(ChangeRefused::DuplicateCertificate {
                certificate_der: credential.certificate_der.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::model::{KEY_TYPE_X509, KEY_USAGE_VERIFY};
    use custos_core::{AppId, ObjectId, TenantId};
    use time::macros::datetime;

    fn key(seed: u8) -> KeyCredential {
        KeyCredential {
            key_id: Uuid::new_v4(),
            display_name: None,
            custom_key_identifier: vec![seed; 20],
            usage: KEY_USAGE_VERIFY.to_owned(),
            key_type: KEY_TYPE_X509.to_owned(),
            start: datetime!(2025-01-01 0:00 UTC),
            end: datetime!(2026-01-01 0:00 UTC),
            certificate_der: vec![0x30, seed],
        }
    }

    fn secret() -> PasswordCredential {
        PasswordCredential {
            key_id: Uuid::new_v4(),
            display_name: None,
            hint: "abc".to_owned(),
            start: datetime!(2025-01-01 0:00 UTC),
            end: datetime!(2026-01-01 0:00 UTC),
            secret_hash: vec![1; 32].into(),
        }
    }

    /// An application with `secrets` client secrets and `keys` certificates (the change modules' tests
    /// share it).
    pub(super) fn app(secrets: usize, keys: u8) -> Application {
        Application {
            id: ObjectId::new_random(),
            tenant_id: TenantId::new_random(),
            app_id: AppId::new_random(),
            display_name: "app".to_owned(),
            description: None,
            identifier_uris: Vec::new(),
            app_roles: Vec::new(),
            requested_access_token_version: None,
            sign_in_audience: "AzureADMyOrg".to_owned(),
            password_credentials: (0..secrets).map(|_| secret()).collect(),
            key_credentials: (0..keys).map(key).collect(),
            federated_identity_credentials: Vec::new(),
            oauth2_permission_scopes: Vec::new(),
            required_resource_access: Vec::new(),
            redirect_uris: custos_core::consent::RedirectUris::default(),
            properties: Default::default(),
            access_token_signing_algorithm: Default::default(),
            created: datetime!(2025-01-01 0:00 UTC),
        }
    }

    #[test]
    fn secrets_are_added_up_to_the_limit_and_removed_by_key_id() {
        let mut a = app(MAX_PASSWORD_CREDENTIALS - 1, 0);
        let last = secret();
        ApplicationChange::AddPassword(last.clone()).apply(&mut a).unwrap();
        assert_eq!(a.password_credentials.last(), Some(&last));
        let before = a.clone();
        assert_eq!(
            ApplicationChange::AddPassword(secret()).apply(&mut a),
            Err(ChangeRefused::TooMany { limit: 100 })
        );
        assert_eq!(a, before);
        ApplicationChange::RemovePassword(last.key_id).apply(&mut a).unwrap();
        assert_eq!(a.password_credentials.len(), MAX_PASSWORD_CREDENTIALS - 1);
        assert_eq!(
            ApplicationChange::RemovePassword(last.key_id).apply(&mut a),
            Err(ChangeRefused::UnknownKeyId(last.key_id))
        );
        let used = a.password_credentials[0].clone();
        assert_eq!(
            ApplicationChange::AddPassword(used.clone()).apply(&mut a),
            Err(ChangeRefused::DuplicateKeyId(used.key_id))
        );
    }

    #[test]
    fn keys_follow_the_collection_rules() {
        let mut a = app(1, 49);
        let fiftieth = key(200);
        ApplicationChange::AddKey(fiftieth.clone()).apply(&mut a).unwrap();
        assert_eq!(a.key_credentials.len(), 50);
        assert_eq!(a.key_credentials.last(), Some(&fiftieth));
        assert_eq!(
            ApplicationChange::AddKey(key(201)).apply(&mut a),
            Err(ChangeRefused::TooMany { limit: 50 })
        );

        let mut a = app(0, 2);
        let mut same_id = key(9);
        same_id.key_id = a.key_credentials[1].key_id;
        assert_eq!(
            ApplicationChange::AddKey(same_id.clone()).apply(&mut a),
            Err(ChangeRefused::DuplicateKeyId(same_id.key_id))
        );
        assert_eq!(
            ApplicationChange::AddKey(key(1)).apply(&mut a),
            Err(ChangeRefused::DuplicateCertificate { certificate_der: vec![0x30, 1] })
        );
        let gone = a.key_credentials[0].key_id;
        ApplicationChange::RemoveKey(gone).apply(&mut a).unwrap();
        assert_eq!(ApplicationChange::RemoveKey(gone).apply(&mut a), Err(ChangeRefused::UnknownKeyId(gone)));
    }

    #[test]
    fn replace_keeps_only_keys_still_held() {
        let mut a = app(1, 2);
        let kept = a.key_credentials[1].clone();
        let new = key(7);
        ApplicationChange::ReplaceKeys(vec![KeyEntry::New(new.clone()), KeyEntry::Keep(kept.key_id)])
            .apply(&mut a)
            .unwrap();
        assert_eq!(a.key_credentials, vec![new, kept]);
        assert_eq!(a.password_credentials.len(), 1, "secrets are untouched");

        let missing = Uuid::new_v4();
        let before = a.clone();
        assert_eq!(
            ApplicationChange::ReplaceKeys(vec![KeyEntry::Keep(missing)]).apply(&mut a),
            Err(ChangeRefused::UnknownKeyId(missing))
        );
        assert_eq!(a, before);
        ApplicationChange::ReplaceKeys(Vec::new()).apply(&mut a).unwrap();
        assert!(a.key_credentials.is_empty());
    }
}

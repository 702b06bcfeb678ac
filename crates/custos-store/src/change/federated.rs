//! The rules of federated identity credentials that hold for an application's whole list, and
//! so are enforced on the locked row: at most [`MAX_FEDERATED_IDENTITY_CREDENTIALS`], distinct
//! ids, distinct names (ASCII case-insensitively, as Graph addresses a credential by name), and
//! distinct issuer + subject pairs (exactly, as tokens are matched). The rules of each field
//! (lengths, characters, URLs) belong to the directory API, which checks them before a change is
//! made.

use super::ChangeRefused;
use custos_core::model::{Application, FederatedIdentityCredential};
use std::collections::HashSet;
use uuid::Uuid;

/// Most federated identity credentials one application (or managed identity) may hold.
pub const MAX_FEDERATED_IDENTITY_CREDENTIALS: usize = 20;

/// The properties an update of a federated identity credential sets; `None` = unchanged. The
/// `name` is immutable and the `id` is the address, so neither is here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederatedUpdate {
    /// A new `issuer`.
    pub issuer: Option<String>,
    /// A new `subject`.
    pub subject: Option<String>,
    /// New `audiences`.
    pub audiences: Option<Vec<String>>,
    /// A new `description` (`Some(None)` clears it).
    pub description: Option<Option<String>>,
}

impl FederatedUpdate {
    /// Applies the update to one credential.
    fn apply_to(self, credential: &mut FederatedIdentityCredential) {
        if let Some(issuer) = self.issuer {
            credential.issuer = issuer;
        }
        if let Some(subject) = self.subject {
            credential.subject = subject;
        }
        if let Some(audiences) = self.audiences {
            credential.audiences = audiences;
        }
        if let Some(description) = self.description {
            credential.description = description;
        }
    }
}

/// Checks the rules a complete list follows; the first violation in list order is reported
/// (the limit before anything else).
pub fn check_federated_credentials(credentials: &[FederatedIdentityCredential]) -> Result<(), ChangeRefused> {
    if credentials.len() > MAX_FEDERATED_IDENTITY_CREDENTIALS {
        return Err(ChangeRefused::TooMany { limit: MAX_FEDERATED_IDENTITY_CREDENTIALS });
    }
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    let mut pairs = HashSet::new();
    for credential in credentials {
        if !ids.insert(credential.id) {
            return Err(ChangeRefused::DuplicateKeyId(credential.id));
        }
        if !names.insert(credential.name.to_ascii_lowercase()) {
            return Err(ChangeRefused::DuplicateFederatedName(credential.name.clone()));
        }
        if !pairs.insert((credential.issuer.as_str(), credential.subject.as_str())) {
            return Err(ChangeRefused::DuplicateIssuerSubject {
                issuer: credential.issuer.clone(),
                subject: credential.subject.clone(),
            });
        }
    }
    Ok(())
}

/// Sets the list when it follows the rules; leaves `app` unchanged otherwise.
fn replace(
    app: &mut Application,
    credentials: Vec<FederatedIdentityCredential>,
) -> Result<(), ChangeRefused> {
    check_federated_credentials(&credentials)?;
    app.federated_identity_credentials = credentials;
    Ok(())
}

pub(super) fn add(
    app: &mut Application,
    credential: FederatedIdentityCredential,
) -> Result<(), ChangeRefused> {
    let mut credentials = app.federated_identity_credentials.clone();
    credentials.push(credential);
    replace(app, credentials)
}

pub(super) fn update(app: &mut Application, id: Uuid, update: FederatedUpdate) -> Result<(), ChangeRefused> {
    let mut credentials = app.federated_identity_credentials.clone();
    let credential =
        credentials.iter_mut().find(|c| c.id == id).ok_or(ChangeRefused::UnknownFederatedCredential(id))?;
    update.apply_to(credential);
    replace(app, credentials)
}

pub(super) fn remove(app: &mut Application, id: Uuid) -> Result<(), ChangeRefused> {
    let before = app.federated_identity_credentials.len();
    app.federated_identity_credentials.retain(|c| c.id != id);
    if app.federated_identity_credentials.len() == before {
        return Err(ChangeRefused::UnknownFederatedCredential(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApplicationChange;
    use custos_core::model::FEDERATION_DEFAULT_AUDIENCE;

    fn fic(n: usize) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: Uuid::new_v4(),
            name: format!("fic-{n}"),
            issuer: "https://issuer.example".to_owned(),
            subject: format!("system:serviceaccount:ns:sa-{n}"),
            audiences: vec![FEDERATION_DEFAULT_AUDIENCE.to_owned()],
            description: None,
        }
    }

    fn app(count: usize) -> Application {
        Application {
            federated_identity_credentials: (0..count).map(fic).collect(),
            ..crate::change::tests::app(0, 0)
        }
    }

    #[test]
    fn additions_stop_at_the_limit_and_on_duplicates() {
        let mut a = app(MAX_FEDERATED_IDENTITY_CREDENTIALS - 1);
        let last = fic(100);
        ApplicationChange::AddFederated(last.clone()).apply(&mut a).unwrap();
        assert_eq!(a.federated_identity_credentials.last(), Some(&last));
        let before = a.clone();
        assert_eq!(
            ApplicationChange::AddFederated(fic(101)).apply(&mut a),
            Err(ChangeRefused::TooMany { limit: 20 })
        );
        assert_eq!(a, before);

        let mut a = app(2);
        let mut same_name = fic(7);
        same_name.name = "FIC-1".to_owned();
        assert_eq!(
            ApplicationChange::AddFederated(same_name).apply(&mut a),
            Err(ChangeRefused::DuplicateFederatedName("FIC-1".to_owned()))
        );
        let mut same_pair = fic(1);
        same_pair.name = "other".to_owned();
        assert_eq!(
            ApplicationChange::AddFederated(same_pair.clone()).apply(&mut a),
            Err(ChangeRefused::DuplicateIssuerSubject {
                issuer: same_pair.issuer.clone(),
                subject: same_pair.subject.clone()
            })
        );
        // Subjects compare case-sensitively, as tokens are matched.
        same_pair.subject = same_pair.subject.to_uppercase();
        ApplicationChange::AddFederated(same_pair).apply(&mut a).unwrap();
        let mut same_id = fic(9);
        same_id.id = a.federated_identity_credentials[0].id;
        assert_eq!(
            ApplicationChange::AddFederated(same_id.clone()).apply(&mut a),
            Err(ChangeRefused::DuplicateKeyId(same_id.id))
        );
    }

    #[test]
    fn updates_change_only_the_named_properties_of_the_current_credential() {
        let mut a = app(2);
        let target = a.federated_identity_credentials[0].clone();
        let update = FederatedUpdate { subject: Some("new".to_owned()), ..FederatedUpdate::default() };
        ApplicationChange::UpdateFederated(target.id, update).apply(&mut a).unwrap();
        let updated = &a.federated_identity_credentials[0];
        assert_eq!(
            (updated.subject.as_str(), &updated.issuer, &updated.name),
            ("new", &target.issuer, &target.name)
        );

        let description =
            FederatedUpdate { description: Some(Some("d".to_owned())), ..FederatedUpdate::default() };
        ApplicationChange::UpdateFederated(target.id, description).apply(&mut a).unwrap();
        assert_eq!(a.federated_identity_credentials[0].subject, "new", "an earlier update is kept");

        let other = a.federated_identity_credentials[1].clone();
        let clash = FederatedUpdate { subject: Some(other.subject.clone()), ..FederatedUpdate::default() };
        let before = a.clone();
        assert_eq!(
            ApplicationChange::UpdateFederated(target.id, clash).apply(&mut a),
            Err(ChangeRefused::DuplicateIssuerSubject { issuer: other.issuer, subject: other.subject })
        );
        assert_eq!(a, before);
        let missing = Uuid::new_v4();
        assert_eq!(
            ApplicationChange::UpdateFederated(missing, FederatedUpdate::default()).apply(&mut a),
            Err(ChangeRefused::UnknownFederatedCredential(missing))
        );
    }

    #[test]
    fn removals_need_an_existing_id() {
        let mut a = app(2);
        let gone = a.federated_identity_credentials[0].id;
        ApplicationChange::RemoveFederated(gone).apply(&mut a).unwrap();
        assert_eq!(a.federated_identity_credentials.len(), 1);
        assert_eq!(
            ApplicationChange::RemoveFederated(gone).apply(&mut a),
            Err(ChangeRefused::UnknownFederatedCredential(gone))
        );
    }
}

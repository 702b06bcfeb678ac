//! The card's fields as types (table 9012 "AAD Application": Client ID, Description, State) and the
//! errors its rules produce, with BC's messages.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// BC's length of the Description field (Text[50]).
pub(crate) const DESCRIPTION_MAX_LEN: usize = 50;

/// The card's key: the Entra application (client) id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ClientId(Uuid);

impl From<Uuid> for ClientId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl FromStr for ClientId {
    type Err = AppError;

    /// A GUID, with or without braces (BC shows `{...}`); stored lower case.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let trimmed = raw.trim();
        let inner = trimmed.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(trimmed);
        if inner.len() != 36 {
            return Err(AppError::InvalidClientId(raw.to_owned()));
        }
        Uuid::parse_str(inner).map(Self).map_err(|_| AppError::InvalidClientId(raw.to_owned()))
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The mandatory Description (1 to 50 characters after trimming); it also names the app's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Description(String);

impl Description {
    /// Checks BC's rules: a value is required and at most [`DESCRIPTION_MAX_LEN`] characters.
    pub(crate) fn parse(raw: &str) -> Result<Self, AppError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(AppError::DescriptionRequired);
        }
        let len = value.chars().count();
        if len > DESCRIPTION_MAX_LEN {
            return Err(AppError::DescriptionTooLong(len));
        }
        if value.chars().any(char::is_control) {
            return Err(AppError::DescriptionControlCharacters);
        }
        Ok(Self(value.to_owned()))
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The card's State; new apps start [`AppState::Disabled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AppState {
    /// Tokens of this client are accepted.
    Enabled,
    /// Tokens of this client are refused (401), and the card may be edited.
    Disabled,
}

impl AppState {
    /// `Enabled` or `Disabled`, as stored and shown.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
        }
    }

    /// Parses the stored value.
    pub(crate) fn from_stored(value: &str) -> Option<Self> {
        match value {
            "Enabled" => Some(Self::Enabled),
            "Disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

impl fmt::Display for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One card with its user and the permission sets assigned to that user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    /// Client ID.
    pub(crate) client_id: String,
    /// Description.
    pub(crate) description: String,
    /// `Enabled` or `Disabled`.
    pub(crate) state: String,
    /// The app's user (License Type Application).
    pub(crate) user_security_id: String,
    /// The user's name (the Description, as BC derives it).
    pub(crate) user_name: String,
    /// Role ids of the assigned permission sets, sorted; a company-scoped assignment shows as `ROLE (company)`.
    pub(crate) permission_sets: Vec<String>,
}

/// Why the card refused a change. Messages are BC's where BC has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AppError {
    /// The Client ID is not a GUID.
    #[error("'{0}' is not a valid Client ID: enter the Application (client) ID, a GUID.")]
    InvalidClientId(String),
    /// No Description.
    #[error("Description must have a value in Microsoft Entra Application. It cannot be zero or empty.")]
    DescriptionRequired,
    /// Description longer than 50 characters.
    #[error("The length of the string is {0}, but it must be less than or equal to 50 characters.")]
    DescriptionTooLong(usize),
    /// Description with newlines or other control characters.
    #[error("The Description cannot contain control characters.")]
    DescriptionControlCharacters,
    /// A card with this Client ID exists.
    #[error(
        "The Microsoft Entra Application already exists. Identification fields and values: Client ID='{0}'"
    )]
    AlreadyExists(ClientId),
    /// No card with this Client ID.
    #[error(
        "The Microsoft Entra Application does not exist. Identification fields and values: Client ID='{0}'"
    )]
    NotFound(ClientId),
    /// The card was edited while Enabled.
    #[error("You must set the State field to Disabled before you can make changes to this app.")]
    MustBeDisabled,
    /// `SUPER` assigned to an application.
    #[error("Applications can't be assigned the SUPER permission set.")]
    SuperNotAllowed,
    /// Not a permission set of the catalogue.
    #[error(
        "The field Role ID of table Access Control contains a value ({0}) that cannot be found in the related table (Aggregate Permission Set)."
    )]
    UnknownPermissionSet(String),
    /// The set is already assigned (same company).
    #[error(
        "The record in table Access Control already exists. Identification fields and values: Role ID='{0}'"
    )]
    AlreadyGranted(String),
    /// Revoking a set that is not assigned.
    #[error("The permission set {0} is not assigned to this app.")]
    NotGranted(String),
    /// The `CLIENT_ID=PERMSET[,PERMSET]` value of `--register-app` is malformed.
    #[error("--register-app expects CLIENT_ID=PERMSET[,PERMSET], got '{0}'")]
    RegisterSyntax(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A role id as BC stores Code fields: trimmed and upper case.
pub(crate) fn normalise_role_id(raw: &str) -> String {
    raw.trim().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_guids_with_or_without_braces() {
        let id: ClientId = "{6A7B8C9D-0000-4000-8000-000000000001}".parse().unwrap();
        assert_eq!(id.to_string(), "6a7b8c9d-0000-4000-8000-000000000001");
        for bad in ["", "abc", "6a7b8c9d000040008000000000000001", "{6a7b8c9d-0000-4000-8000-00000000000}"] {
            assert!(matches!(bad.parse::<ClientId>(), Err(AppError::InvalidClientId(_))), "{bad}");
        }
    }

    #[test]
    fn descriptions_are_mandatory_and_at_most_fifty_characters() {
        assert!(matches!(Description::parse("  "), Err(AppError::DescriptionRequired)));
        assert_eq!(Description::parse(&"é".repeat(50)).unwrap().as_str().chars().count(), 50);
        let err = Description::parse(&"x".repeat(51)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The length of the string is 51, but it must be less than or equal to 50 characters."
        );
        assert!(matches!(Description::parse("a\nb"), Err(AppError::DescriptionControlCharacters)));
        assert_eq!(Description::parse(" Contoso integration ").unwrap().as_str(), "Contoso integration");
    }

    #[test]
    fn states_round_trip() {
        for state in [AppState::Enabled, AppState::Disabled] {
            assert_eq!(AppState::from_stored(state.as_str()), Some(state));
        }
        assert_eq!(AppState::from_stored("enabled"), None);
    }
}

//! The JSON shapes of the sample API and the checks on what callers send.
//!
//! Microsoft Community Training documents few JSON schemas (resource-apis.md §4.3). Two shapes are
//! taken from the Swagger document of a live instance: the course catalogue ([`CourseCategory`],
//! [`Course`], PascalCase as captured) and [`Organization`] (`{id, name, description, tenantId}`).
//! **Every other shape here is custos' own** (marked so on each type): [`Profile`], [`User`],
//! [`UserInput`], [`OrganizationInput`], [`LearningPath`]. Inputs deny unknown fields.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiError, FieldErrors};

/// Longest organization or course name (characters).
pub const MAX_NAME: usize = 100;
/// Longest first or last name (characters).
pub const MAX_PERSON_NAME: usize = 64;
/// Longest description (characters).
pub const MAX_DESCRIPTION: usize = 500;
/// Longest contact: an e-mail address (RFC 5321 path limit) or a phone number.
pub const MAX_CONTACT: usize = 254;
/// Longest `searchTerm`.
pub const MAX_SEARCH_TERM: usize = 100;

/// The caller as the API sees it. *custos' own shape*: MCT's `GET /api/v2/Profile` answers a
/// signed-in user's profile, whose JSON is not documented; the sample answers the identity the guard
/// validated, a service's or a user's. The user's members are absent for services.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// `oid`: the calling service principal, managed identity or user.
    pub object_id: Uuid,
    /// `appid`/`azp`: the calling application (for a user, the application they signed in to).
    pub application_id: Uuid,
    /// `tid`.
    pub tenant_id: Uuid,
    /// App roles the token carries.
    pub roles: Vec<String>,
    /// `Service` (app token) or `User` (delegated token).
    pub caller_type: &'static str,
    /// A user's `upn` or `preferred_username`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// A user's display name (`name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A user token's delegated scopes (`scp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// The signed-in user's role in the portal. *custos' own shape*.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRole {
    /// `Global Administrator` or `Learner`.
    pub role: &'static str,
}

/// How a learner is reached (MCT signs learners in by e-mail or phone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ContactType {
    /// An e-mail address.
    Email,
    /// A phone number: `+` and digits.
    Phone,
}

impl ContactType {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "Email",
            Self::Phone => "Phone",
        }
    }

    /// Parses the stored form.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "Email" => Some(Self::Email),
            "Phone" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// A learner. *custos' own shape*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The learner's id.
    pub user_id: Uuid,
    /// Given name.
    pub first_name: String,
    /// Family name (may be empty).
    pub last_name: String,
    /// E-mail address or phone number; unique (case-insensitive).
    pub contact: String,
    /// What `contact` is.
    pub contact_type: ContactType,
    /// The learner's organization, if any.
    pub organization_id: Option<Uuid>,
}

/// `POST /api/v1/users`: adds a learner, or updates the one with the same contact. *custos' own shape*.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserInput {
    /// Given name, 1–64 characters.
    pub first_name: String,
    /// Family name, up to 64 characters.
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail address or phone number, up to 254 characters.
    pub contact: String,
    /// `Email` (default) or `Phone`.
    #[serde(default)]
    pub contact_type: Option<ContactType>,
}

/// An organization, as in MCT's Swagger document (`{id, name, description, tenantId}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The organization's id.
    pub id: Uuid,
    /// Unique name (case-insensitive).
    pub name: String,
    /// Free text (may be empty).
    pub description: String,
    /// The tenant of the service that created it.
    pub tenant_id: Uuid,
}

/// `POST /api/v1/organization` and `PUT /api/v1/organization/{orgId}`. *custos' own shape* (the
/// writable members of [`Organization`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationInput {
    /// 1–100 characters.
    pub name: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// A course category of `GET /api/v1/Courses`, as in MCT's Swagger document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CourseCategory {
    /// Category id.
    pub category_id: i64,
    /// Category name.
    pub category_name: String,
    /// The category's courses.
    pub courses: Vec<Course>,
}

/// A course in a [`CourseCategory`], as in MCT's Swagger document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Course {
    /// Course id.
    pub product_id: i64,
    /// Title.
    pub course_name: String,
    /// Summary.
    pub course_description: String,
    /// Language tag of the content.
    pub content_language: String,
    /// Image URL (empty when none).
    pub course_image: String,
    /// Whether the caller is enrolled (always false for a service caller).
    pub is_registered: bool,
    /// The caller's progress in percent (always 0 for a service caller).
    pub completion_percentage: f64,
}

/// A learning path: an ordered list of courses. *custos' own shape*.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LearningPath {
    /// Learning path id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Summary.
    pub description: String,
    /// The courses in order (`ProductId`s of `GET /api/v1/Courses`).
    pub course_ids: Vec<i64>,
}

/// Collects field errors in ASP.NET Core's wording.
#[derive(Debug, Default)]
pub struct Checks(FieldErrors);

impl Checks {
    fn push(&mut self, field: &str, message: String) {
        self.0.entry(field.to_owned()).or_default().push(message);
    }

    /// `value`, trimmed, must have between `min` and `max` characters and no control characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let length = value.trim().chars().count();
        if min > 0 && length == 0 {
            self.push(field, format!("The {field} field is required."));
        } else if length > max || length < min {
            self.push(
                field,
                format!("The field {field} must be a string with a minimum length of {min} and a maximum length of {max}."),
            );
        } else if value.chars().any(char::is_control) {
            self.push(field, format!("The field {field} must not contain control characters."));
        }
    }

    /// Records a failed rule for `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.push(field, message.into());
    }

    /// `Ok` when no check failed, else the 400.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Validation(self.0)) }
    }
}

/// A checked [`UserInput`] with trimmed values and defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Trimmed given name.
    pub first_name: String,
    /// Trimmed family name.
    pub last_name: String,
    /// Trimmed contact.
    pub contact: String,
    /// `Email` unless given.
    pub contact_type: ContactType,
}

impl UserInput {
    /// Applies the length and contact rules.
    pub fn check(self) -> Result<NewUser, ApiError> {
        let mut checks = Checks::default();
        let last_name = self.last_name.unwrap_or_default();
        let contact_type = self.contact_type.unwrap_or(ContactType::Email);
        checks.text("firstName", &self.first_name, 1, MAX_PERSON_NAME);
        checks.text("lastName", &last_name, 0, MAX_PERSON_NAME);
        checks.text("contact", &self.contact, 1, MAX_CONTACT);
        let contact = self.contact.trim();
        let well_formed = match contact_type {
            ContactType::Email => contact.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !contact.contains(char::is_whitespace)
            }),
            ContactType::Phone => {
                let digits = contact.strip_prefix('+').unwrap_or(contact);
                (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            }
        };
        if !contact.is_empty() && contact.chars().count() <= MAX_CONTACT && !well_formed {
            checks.fail(
                "contact",
                format!("The contact field is not a valid {} contact.", contact_type.as_str()),
            );
        }
        checks.finish()?;
        Ok(NewUser {
            first_name: self.first_name.trim().to_owned(),
            last_name: last_name.trim().to_owned(),
            contact: contact.to_owned(),
            contact_type,
        })
    }
}

/// A checked [`OrganizationInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationFields {
    /// Trimmed name.
    pub name: String,
    /// Trimmed description (empty when not given).
    pub description: String,
}

impl OrganizationInput {
    /// Applies the length rules.
    pub fn check(self) -> Result<OrganizationFields, ApiError> {
        let mut checks = Checks::default();
        let description = self.description.unwrap_or_default();
        checks.text("name", &self.name, 1, MAX_NAME);
        checks.text("description", &description, 0, MAX_DESCRIPTION);
        checks.finish()?;
        Ok(OrganizationFields {
            name: self.name.trim().to_owned(),
            description: description.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(result: Result<impl std::fmt::Debug, ApiError>) -> FieldErrors {
        match result {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn user(first: &str, contact: &str, kind: Option<ContactType>) -> UserInput {
        UserInput { first_name: first.into(), last_name: None, contact: contact.into(), contact_type: kind }
    }

    #[test]
    fn user_rules() {
        let ok = user(" Ada ", "ada@example.org", None).check().unwrap();
        assert_eq!((ok.first_name.as_str(), ok.contact_type), ("Ada", ContactType::Email));
        assert!(user("Ada", "+15550100", Some(ContactType::Phone)).check().is_ok());
        assert_eq!(
            errors(user("", "a@b.c", None).check())["firstName"],
            ["The firstName field is required."]
        );
        assert_eq!(
            errors(user(&"x".repeat(65), "a@b.c", None).check())["firstName"],
            ["The field firstName must be a string with a minimum length of 1 and a maximum length of 64."]
        );
        assert_eq!(
            errors(user("Ada", "nope", None).check())["contact"],
            ["The contact field is not a valid Email contact."]
        );
        assert_eq!(
            errors(user("Ada", "12ab", Some(ContactType::Phone)).check())["contact"],
            ["The contact field is not a valid Phone contact."]
        );
        assert_eq!(
            errors(user("A\u{7}da", "a@b.c", None).check())["firstName"],
            ["The field firstName must not contain control characters."]
        );
    }

    #[test]
    fn organization_rules() {
        let input = |name: &str, description: Option<&str>| OrganizationInput {
            name: name.into(),
            description: description.map(str::to_owned),
        };
        assert_eq!(input(" Contoso ", None).check().unwrap().name, "Contoso");
        assert_eq!(errors(input("   ", None).check())["name"], ["The name field is required."]);
        let long = errors(input("ok", Some(&"d".repeat(501))).check());
        assert_eq!(
            long["description"],
            [
                "The field description must be a string with a minimum length of 0 and a maximum length of 500."
            ]
        );
    }
}

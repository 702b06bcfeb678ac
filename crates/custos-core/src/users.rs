//! Users of a tenant and their directory roles (Graph `user`, `unifiedRoleAssignment`), with
//! Entra's rules for user principal names and passwords. The password hash is not part of
//! [`User`]: it is written and read through its own store calls, so no listing, cache or log of
//! users can carry it.

use crate::ids::{ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

/// A user account (Graph `user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Object id (Graph `id`, the `oid` of the user's tokens).
    pub id: ObjectId,
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// `userPrincipalName`, e.g. `alice@contoso.custos.local`; unique per tenant, compared
    /// case-insensitively; its domain is the tenant's.
    pub user_principal_name: String,
    /// `displayName`.
    pub display_name: String,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `surname`.
    pub surname: Option<String>,
    /// `mailNickname` (by default the UPN's local part).
    pub mail_nickname: String,
    /// `mail`.
    pub mail: Option<String>,
    /// `accountEnabled`: a disabled user cannot sign in (AADSTS50057) and its refresh tokens stop
    /// working.
    pub account_enabled: bool,
    /// Refresh tokens and sessions issued before this instant are void (set by a password reset
    /// and by Graph `revokeSignInSessions`).
    #[serde(with = "time::serde::rfc3339")]
    pub tokens_valid_from: OffsetDateTime,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// Role template id of Global Administrator.
pub const GLOBAL_ADMINISTRATOR: Uuid = uuid!("62e90394-69f5-4237-9190-012177145e10");
/// Role template id of Privileged Role Administrator.
pub const PRIVILEGED_ROLE_ADMINISTRATOR: Uuid = uuid!("e8611ab8-c189-46e8-94e1-60213ab1f814");
/// Role template id of Cloud Application Administrator.
pub const CLOUD_APPLICATION_ADMINISTRATOR: Uuid = uuid!("158c047a-c907-4556-b7ef-446551a6b5f7");
/// Role template id of Application Administrator.
pub const APPLICATION_ADMINISTRATOR: Uuid = uuid!("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3");
/// Role template id every member user holds implicitly (always in `wids`).
pub const DEFAULT_USER_ROLE: Uuid = uuid!("b79fbf4d-3ef9-4689-8143-76b194e85509");

/// The directory roles custos knows: (template id, display name). Assignments may name only
/// these.
pub const DIRECTORY_ROLES: &[(Uuid, &str)] = &[
    (GLOBAL_ADMINISTRATOR, "Global Administrator"),
    (PRIVILEGED_ROLE_ADMINISTRATOR, "Privileged Role Administrator"),
    (CLOUD_APPLICATION_ADMINISTRATOR, "Cloud Application Administrator"),
    (APPLICATION_ADMINISTRATOR, "Application Administrator"),
];

/// A directory role held by a user (Graph `unifiedRoleAssignment`, tenant-wide scope `/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRoleAssignment {
    /// Graph's opaque id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The role's template id (one of [`DIRECTORY_ROLES`]).
    pub role_definition_id: Uuid,
    /// The user holding the role.
    pub principal_id: ObjectId,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// Whether a holder of these role template ids may grant tenant-wide (admin) consent; with
/// `graph_app_roles`, whether they may also grant the directory API's application permissions,
/// which Cloud and Application Administrators may not (`entra-user-flows.md` §2.2).
pub fn may_grant_admin_consent(roles: &[Uuid], graph_app_roles: bool) -> bool {
    roles.iter().any(|role| {
        *role == GLOBAL_ADMINISTRATOR
            || *role == PRIVILEGED_ROLE_ADMINISTRATOR
            || (!graph_app_roles
                && (*role == CLOUD_APPLICATION_ADMINISTRATOR || *role == APPLICATION_ADMINISTRATOR))
    })
}

/// Why a user principal name or password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserRuleError {
    /// The UPN breaks Entra's syntax rules.
    #[error("the user principal name is not valid: {0}")]
    InvalidUpn(&'static str),
    /// The password breaks the complexity policy (Graph's exact wording).
    #[error(
        "The specified password does not comply with password complexity requirements. Please provide a different password."
    )]
    WeakPassword,
}

/// Checks a user principal name against Entra's rules: one `@`; before it 1–64 characters of
/// `A–Z a–z 0–9 ' . - _ ! # ^ ~`, not starting or ending with `.`; after it a domain of 1–48
/// characters (so at most 113 in all). Returns the (local part, domain).
pub fn check_user_principal_name(upn: &str) -> Result<(&str, &str), UserRuleError> {
    let (local, domain) = upn.split_once('@').ok_or(UserRuleError::InvalidUpn("it must contain '@'"))?;
    if domain.contains('@') {
        return Err(UserRuleError::InvalidUpn("it must contain exactly one '@'"));
    }
    if local.is_empty() || local.len() > 64 {
        return Err(UserRuleError::InvalidUpn("the part before '@' must have 1 to 64 characters"));
    }
    if !local.bytes().all(|b| b.is_ascii_alphanumeric() || b"'.-_!#^~".contains(&b)) {
        return Err(UserRuleError::InvalidUpn(
            "the part before '@' may contain only letters, digits and ' . - _ ! # ^ ~",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(UserRuleError::InvalidUpn("the part before '@' must not start or end with '.'"));
    }
    if domain.is_empty() || domain.len() > 48 {
        return Err(UserRuleError::InvalidUpn("the domain must have 1 to 48 characters"));
    }
    if !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') {
        return Err(UserRuleError::InvalidUpn("the domain may contain only letters, digits, '.' and '-'"));
    }
    Ok((local, domain))
}

/// Symbols Entra accepts in passwords, besides space.
const PASSWORD_SYMBOLS: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";

/// Checks Entra's password policy for cloud users: 8–256 characters, only ASCII letters, digits
/// and the allowed symbols, and at least three of lower case, upper case, digits and symbols.
pub fn check_password_complexity(password: &str) -> Result<(), UserRuleError> {
    let length = password.chars().count();
    if !(8..=256).contains(&length) {
        return Err(UserRuleError::WeakPassword);
    }
    let (mut lower, mut upper, mut digit, mut symbol) = (false, false, false, false);
    for c in password.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if PASSWORD_SYMBOLS.contains(c) => symbol = true,
            _ => return Err(UserRuleError::WeakPassword),
        }
    }
    if [lower, upper, digit, symbol].iter().filter(|&&class| class).count() < 3 {
        return Err(UserRuleError::WeakPassword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_principal_names_follow_entra_s_rules() {
        assert_eq!(
            check_user_principal_name("alice@contoso.custos.local"),
            Ok(("alice", "contoso.custos.local"))
        );
        assert!(check_user_principal_name("o'neil.j_x!#^~-1@c.test").is_ok());
        for bad in [
            "alice",
            "@contoso.test",
            "alice@",
            "a@b@c",
            "alice.@contoso.test",
            ".alice@contoso.test",
            "al ice@contoso.test",
            "alïce@contoso.test",
            "alice@conto$o.test",
            "alice\0@contoso.test",
        ] {
            assert!(check_user_principal_name(bad).is_err(), "{bad}");
        }
        let long_local = format!("{}@c.test", "a".repeat(65));
        assert!(check_user_principal_name(&long_local).is_err());
        let long_domain = format!("a@{}", "d".repeat(49));
        assert!(check_user_principal_name(&long_domain).is_err());
        let longest = format!("{}@{}", "a".repeat(64), "d".repeat(48));
        assert!(check_user_principal_name(&longest).is_ok(), "113 characters in all");
    }

    #[test]
    fn passwords_need_eight_characters_and_three_classes() {
        for good in ["Passw0rd", "passw0rd!", "PASSWORD1!", "pass word1", &format!("Aa1{}", "x".repeat(253))]
        {
            assert_eq!(check_password_complexity(good), Ok(()), "{good}");
        }
        for bad in
            ["Pass0rd", "password", "password1", "PASSWORD!", "Passwörd1", "Pass\tw0rd", &"Aa1".repeat(86)]
        {
            assert_eq!(check_password_complexity(bad), Err(UserRuleError::WeakPassword), "{bad}");
        }
    }

    #[test]
    fn only_privileged_roles_may_grant_graph_app_roles() {
        assert!(may_grant_admin_consent(&[GLOBAL_ADMINISTRATOR], true));
        assert!(may_grant_admin_consent(&[PRIVILEGED_ROLE_ADMINISTRATOR], true));
        assert!(may_grant_admin_consent(&[APPLICATION_ADMINISTRATOR], false));
        assert!(!may_grant_admin_consent(&[APPLICATION_ADMINISTRATOR], true));
        assert!(!may_grant_admin_consent(&[CLOUD_APPLICATION_ADMINISTRATOR], true));
        assert!(!may_grant_admin_consent(&[DEFAULT_USER_ROLE], false));
        assert!(!may_grant_admin_consent(&[], false));
    }
}

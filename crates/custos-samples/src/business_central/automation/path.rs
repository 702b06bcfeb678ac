//! The resource paths of the Automation API below `.../api/microsoft/automation/v2.0/` (resource-apis.md
//! §2), parsed into a typed [`Resource`]. Keys are GUIDs in parentheses, as BC writes them
//! (`companies(6a0e...)`); quotes around a key are accepted. Entity-set names are case-sensitive.

use uuid::Uuid;

use crate::business_central::error::BcError;
use crate::business_central::odata;

/// What a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// `companies`.
    Companies,
    /// `companies({id})`.
    Company(Uuid),
    /// `companies({id})/automationCompanies`.
    AutomationCompanies(Uuid),
    /// `companies({id})/automationCompanies({id})`.
    AutomationCompany(Uuid, Uuid),
    /// `companies({id})/users`.
    Users(Uuid),
    /// `companies({id})/users({userSecurityId})`.
    User(Uuid, Uuid),
    /// `companies({id})/users({userSecurityId})/userPermissions`.
    UserPermissions(Uuid, Uuid),
    /// `companies({id})/users({userSecurityId})/userPermissions({id})`.
    UserPermission(Uuid, Uuid, Uuid),
    /// `companies({id})/permissionSets`.
    PermissionSets(Uuid),
}

impl Resource {
    /// The company of the path, if any.
    pub(crate) fn company(self) -> Option<Uuid> {
        match self {
            Self::Companies => None,
            Self::Company(c)
            | Self::AutomationCompanies(c)
            | Self::AutomationCompany(c, _)
            | Self::Users(c)
            | Self::User(c, _)
            | Self::UserPermissions(c, _)
            | Self::UserPermission(c, _, _)
            | Self::PermissionSets(c) => Some(c),
        }
    }

    /// The company whose data the request reads or changes, against which company-limited
    /// permission sets are checked: the addressed company for `automationCompanies({id})` (the
    /// path's own company only names the entry point), otherwise the company of the path.
    pub(crate) fn affected_company(self) -> Option<Uuid> {
        match self {
            Self::AutomationCompany(_, target) => Some(target),
            other => other.company(),
        }
    }

    /// The user the path addresses (`users({id})` and its `userPermissions`), if any.
    pub(crate) fn user(self) -> Option<Uuid> {
        match self {
            Self::User(_, u) | Self::UserPermissions(_, u) | Self::UserPermission(_, u, _) => Some(u),
            _ => None,
        }
    }

    /// The last entity set of the path, for error messages.
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Self::Companies | Self::Company(_) => "companies",
            Self::AutomationCompanies(_) | Self::AutomationCompany(..) => "automationCompanies",
            Self::Users(_) | Self::User(..) => "users",
            Self::UserPermissions(..) | Self::UserPermission(..) => "userPermissions",
            Self::PermissionSets(_) => "permissionSets",
        }
    }

    /// Whether the path addresses one record (OData `Entity`) rather than a set.
    pub(crate) fn is_single(self) -> bool {
        matches!(
            self,
            Self::Company(_) | Self::AutomationCompany(..) | Self::User(..) | Self::UserPermission(..)
        )
    }

    /// The `@odata.context` fragment after `$metadata#`.
    pub(crate) fn context(self) -> String {
        let entity = if self.is_single() { "/$entity" } else { "" };
        let path = match self {
            Self::Companies | Self::Company(_) => "companies".to_owned(),
            Self::AutomationCompanies(c) | Self::AutomationCompany(c, _) => {
                format!("companies({c})/automationCompanies")
            }
            Self::Users(c) | Self::User(c, _) => format!("companies({c})/users"),
            Self::UserPermissions(c, u) | Self::UserPermission(c, u, _) => {
                format!("companies({c})/users({u})/userPermissions")
            }
            Self::PermissionSets(c) => format!("companies({c})/permissionSets"),
        };
        format!("{path}{entity}")
    }
}

/// One `name` or `name(key)` segment.
fn split(segment: &str) -> Result<(&str, Option<Uuid>), BcError> {
    let (name, key) = odata::segment::split(segment).map_err(|_| bad_key(segment))?;
    let Some(key) = key else { return Ok((name, None)) };
    let key = key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')).unwrap_or(key);
    let id = Uuid::try_parse(key).map_err(|_| bad_key(segment))?;
    Ok((name, Some(id)))
}

fn bad_key(segment: &str) -> BcError {
    BcError::QuerySyntax(format!(
        "Bad Request - Error in query syntax: the key of segment '{segment}' is not a GUID."
    ))
}

/// Parses the part of the path after `automation/v2.0/`; one trailing slash is allowed.
pub(crate) fn parse(rest: &str) -> Result<Resource, BcError> {
    let trimmed = rest.strip_suffix('/').unwrap_or(rest);
    let not_found = || BcError::NoResource(rest.to_owned());
    let segments = trimmed.split('/').map(split).collect::<Result<Vec<_>, _>>()?;
    let resource = match segments.as_slice() {
        [("companies", None)] => Resource::Companies,
        [("companies", Some(c))] => Resource::Company(*c),
        [("companies", Some(c)), ("automationCompanies", None)] => Resource::AutomationCompanies(*c),
        [("companies", Some(c)), ("automationCompanies", Some(a))] => Resource::AutomationCompany(*c, *a),
        [("companies", Some(c)), ("users", None)] => Resource::Users(*c),
        [("companies", Some(c)), ("users", Some(u))] => Resource::User(*c, *u),
        [("companies", Some(c)), ("users", Some(u)), ("userPermissions", None)] => {
            Resource::UserPermissions(*c, *u)
        }
        [("companies", Some(c)), ("users", Some(u)), ("userPermissions", Some(p))] => {
            Resource::UserPermission(*c, *u, *p)
        }
        [("companies", Some(c)), ("permissionSets", None)] => Resource::PermissionSets(*c),
        _ => return Err(not_found()),
    };
    Ok(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "6f7a1c8e-0000-4000-8000-000000000001";
    const U: &str = "2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a01";

    #[test]
    fn every_route_parses() {
        let c = Uuid::parse_str(C).unwrap();
        let u = Uuid::parse_str(U).unwrap();
        assert_eq!(parse("companies").unwrap(), Resource::Companies);
        assert_eq!(parse("companies/").unwrap(), Resource::Companies);
        assert_eq!(parse(&format!("companies({C})")).unwrap(), Resource::Company(c));
        assert_eq!(parse(&format!("companies('{C}')/users")).unwrap(), Resource::Users(c));
        assert_eq!(parse(&format!("companies({C})/users({U})")).unwrap(), Resource::User(c, u));
        assert_eq!(
            parse(&format!("companies({C})/users({U})/userPermissions({U})")).unwrap(),
            Resource::UserPermission(c, u, u)
        );
        assert_eq!(parse(&format!("companies({C})/permissionSets")).unwrap(), Resource::PermissionSets(c));
        assert_eq!(
            parse(&format!("companies({C})/automationCompanies({C})")).unwrap().context(),
            format!("companies({C})/automationCompanies/$entity")
        );
    }

    #[test]
    fn unknown_paths_and_bad_keys_are_refused() {
        assert_eq!(parse("Companies").unwrap_err().code(), "BadRequest_NotFound");
        assert_eq!(parse(&format!("companies({C})/customers")).unwrap_err().code(), "BadRequest_NotFound");
        assert_eq!(parse("companies/users").unwrap_err().code(), "BadRequest_NotFound");
        assert_eq!(parse("companies(42)").unwrap_err().code(), "BadRequest_NotFound");
        assert_eq!(parse(&format!("companies({C}")).unwrap_err().code(), "BadRequest_NotFound");
        assert!(matches!(parse("companies(x)"), Err(BcError::QuerySyntax(_))));
    }
}

//! The resource path below `/api/v2.0/`, parsed by hand because OData puts keys inside a segment
//! (`companies(<id>)/customers(<id>)`), which axum's router cannot capture. Entity-set names are
//! case-sensitive as in BC; one trailing slash is allowed (`.../customers/?$filter=...`, as seed
//! 001's REST Client file sends).

use crate::business_central::entities::{self, EntityDef};
use crate::business_central::error::BcError;
use crate::business_central::odata::segment::{self, Unclosed};
use uuid::Uuid;

/// What a path below `/api/v2.0/` addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `$metadata`.
    Metadata,
    /// `companies`.
    Companies,
    /// `companies(<id>)`.
    Company(Uuid),
    /// `companies(<id>)/<set>`.
    Collection(Uuid, &'static EntityDef),
    /// `companies(<id>)/<set>(<id>)`.
    Entity(Uuid, &'static EntityDef, Uuid),
}

/// Why a path is not a resource: no such resource (404), or a malformed key (400).
fn no_resource(uri: &str) -> BcError {
    BcError::NoResource(uri.to_owned())
}

/// Parses `rest` (decoded, without the leading `/api/v2.0/`); `uri` is quoted in errors.
pub(crate) fn parse_target(rest: &str, uri: &str) -> Result<Target, BcError> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["$metadata"] => Ok(Target::Metadata),
        ["companies"] => Ok(Target::Companies),
        [company] => Ok(Target::Company(keyed(company, "companies", uri)?.ok_or_else(|| no_resource(uri))?)),
        [company, set] => {
            let company = keyed(company, "companies", uri)?.ok_or_else(|| no_resource(uri))?;
            let (name, key) = split_key(set);
            let def = entities::company_set(name).ok_or_else(|| no_resource(uri))?;
            match key {
                None => Ok(Target::Collection(company, def)),
                Some(key) => Ok(Target::Entity(company, def, parse_key(key)?)),
            }
        }
        _ => Err(no_resource(uri)),
    }
}

/// `name(<key>)` → the key when the name is `expected`; `None` when the segment is something else.
fn keyed(segment: &str, expected: &str, uri: &str) -> Result<Option<Uuid>, BcError> {
    match split_key(segment) {
        (name, Some(key)) if name == expected => parse_key(key).map(Some),
        (name, None) if name == expected => Err(no_resource(uri)),
        _ => Ok(None),
    }
}

/// `customers(abc)` → (`customers`, Some(`abc`)); `customers` → (`customers`, None).
/// An unclosed key (`customers(abc`) is a key that is no GUID.
fn split_key(segment: &str) -> (&str, Option<&str>) {
    segment::split(segment).unwrap_or_else(|Unclosed(name)| (name, Some("")))
}

/// A GUID key, bare or as `id=<guid>`; anything else is BC's query-syntax error.
fn parse_key(key: &str) -> Result<Uuid, BcError> {
    let key = key.strip_prefix("id=").unwrap_or(key);
    Uuid::try_parse(key).map_err(|_| BcError::QuerySyntax("Bad Request - Error in query syntax.".to_owned()))
}

/// An entity set addressed by a request, for permission checks (BC-2's authorization layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiEntity {
    /// `companies` or one company.
    Companies,
    /// `customers`.
    Customers,
    /// `items`.
    Items,
    /// `vendors`.
    Vendors,
}

/// Which entity set the API v2.0 request path `path` (raw, as in the request line) addresses;
/// `None` for `$metadata`, paths outside API v2.0 and paths that are no resource.
/// Like the dispatcher, the prefix is matched on the raw path and only the rest is decoded.
pub(crate) fn addressed_entity(path: &str) -> Option<ApiEntity> {
    let rest = percent_encoding::percent_decode_str(api_rest(path)?).decode_utf8().ok()?;
    let def = match parse_target(&rest, path).ok()? {
        Target::Metadata => return None,
        Target::Companies | Target::Company(_) => return Some(ApiEntity::Companies),
        Target::Collection(_, def) | Target::Entity(_, def, _) => def,
    };
    Some(match def.set {
        "customers" => ApiEntity::Customers,
        "items" => ApiEntity::Items,
        _ => ApiEntity::Vendors,
    })
}

/// The part of a `/v2.0/[tenant/]environment/api/v2.0/...` path after `/api/v2.0/`.
pub(crate) fn api_rest(path: &str) -> Option<&str> {
    let after_root = path.strip_prefix("/v2.0/")?;
    for prefix_len in 1..=2 {
        let mut parts = after_root.splitn(prefix_len + 3, '/');
        let prefix_ok = parts.by_ref().take(prefix_len).filter(|s| !s.is_empty()).count() == prefix_len;
        if prefix_ok && parts.next() == Some("api") && parts.next() == Some("v2.0") {
            return Some(parts.next().unwrap_or(""));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_central::entities::CUSTOMERS;

    const ID: &str = "5d115c9c-44e3-ea11-bb43-000d3a2feca1";

    #[test]
    fn targets() {
        let id = Uuid::try_parse(ID).unwrap();
        assert_eq!(parse_target("companies", "u").unwrap(), Target::Companies);
        assert_eq!(parse_target("companies/", "u").unwrap(), Target::Companies);
        assert_eq!(parse_target("$metadata", "u").unwrap(), Target::Metadata);
        assert_eq!(parse_target(&format!("companies({ID})"), "u").unwrap(), Target::Company(id));
        assert_eq!(
            parse_target(&format!("companies({ID})/customers/"), "u").unwrap(),
            Target::Collection(id, &CUSTOMERS)
        );
        assert_eq!(
            parse_target(&format!("companies({ID})/customers({ID})"), "u").unwrap(),
            Target::Entity(id, &CUSTOMERS, id)
        );
    }

    #[test]
    fn unknown_and_malformed_paths() {
        let code = |rest: &str| parse_target(rest, "u").unwrap_err().code();
        assert_eq!(code("Companies"), "BadRequest_NotFound");
        assert_eq!(code(&format!("companies({ID})/Customers")), "BadRequest_NotFound");
        assert_eq!(code(&format!("companies({ID})/employees")), "BadRequest_NotFound");
        assert_eq!(code(&format!("companies({ID})/customers({ID})/picture")), "BadRequest_NotFound");
        assert_eq!(code("companies(not-a-guid)"), "BadRequest_NotFound");
        assert_eq!(code(&format!("companies({ID}")), "BadRequest_NotFound");
        assert_eq!(code(""), "BadRequest_NotFound");
    }

    #[test]
    fn addressed_entities_for_authorization() {
        let base = "/v2.0/production/api/v2.0";
        assert_eq!(addressed_entity(&format!("{base}/companies")), Some(ApiEntity::Companies));
        assert_eq!(addressed_entity(&format!("{base}/companies({ID})/items")), Some(ApiEntity::Items));
        assert_eq!(
            addressed_entity(&format!("/v2.0/tenant/sandbox/api/v2.0/companies%28{ID}%29/vendors%28{ID}%29")),
            Some(ApiEntity::Vendors)
        );
        assert_eq!(
            addressed_entity(&format!("{base}/companies({ID})/customers/")),
            Some(ApiEntity::Customers)
        );
        assert_eq!(addressed_entity(&format!("{base}/$metadata")), None);
        assert_eq!(addressed_entity(&format!("{base}/companies({ID})/nope")), None);
        assert_eq!(addressed_entity("/v2.0/production/api/microsoft/automation/v2.0/companies"), None);
    }
}

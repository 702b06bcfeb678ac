//! `--required-resource` of `custos app create|update`: the permissions an application needs on
//! a resource API (Graph `requiredResourceAccess`), written by value, e.g.
//! `https://manage.office.com=ActivityFeed.Read:Role,ActivityFeed.Read:Scope`. The resource is
//! named by identifier URI or appId; each value is looked up among the resource's app roles
//! (`:Role`) or delegated permissions (`:Scope`, the default) to find its id.

use super::api::Api;
use super::error::AdminError;
use super::resolve::Collection;
use crate::output::field;
use serde_json::{Value, json};

/// `RESOURCE=VALUE[:Role|:Scope],...` parsed: the resource and (value, type) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequiredResource {
    resource: String,
    permissions: Vec<(String, &'static str)>,
}

/// Parses one `--required-resource` value.
pub(crate) fn parse_required_resource(spec: &str) -> Result<RequiredResource, String> {
    let (resource, list) = spec
        .split_once('=')
        .filter(|(r, l)| !r.is_empty() && !l.is_empty())
        .ok_or_else(|| format!("'{spec}' is not RESOURCE=VALUE[:Role|:Scope][,...]"))?;
    let mut permissions = Vec::new();
    for item in list.split(',') {
        let (value, kind) = match item.rsplit_once(':') {
            Some((value, "Role")) => (value, "Role"),
            Some((value, "Scope")) => (value, "Scope"),
            Some((_, other)) if !other.contains('/') => {
                return Err(format!("'{other}' is not a permission type: use Role or Scope"));
            }
            _ => (item, "Scope"),
        };
        if value.is_empty() {
            return Err(format!("'{spec}' names an empty permission"));
        }
        permissions.push((value.to_owned(), kind));
    }
    Ok(RequiredResource { resource: resource.to_owned(), permissions })
}

/// The resource's service principal, by appId or by one of its names (identifier URIs).
async fn resource_principal(api: &Api, resource: &str) -> Result<Value, AdminError> {
    let principals = api.list(Collection::ServicePrincipals.path(), &[]).await?;
    principals
        .into_iter()
        .find(|sp| {
            field(sp, "appId").eq_ignore_ascii_case(resource)
                || sp["servicePrincipalNames"]
                    .as_array()
                    .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(resource)))
        })
        .ok_or_else(|| {
            AdminError::Usage(format!(
                "no resource API '{resource}' in this tenant\nhint: give its identifier URI or appId; `custos sp list` shows them"
            ))
        })
}

/// The `requiredResourceAccess` entries for `specs`, ids looked up on each resource.
pub(crate) async fn required_resource_access(
    api: &Api,
    specs: &[RequiredResource],
) -> Result<Vec<Value>, AdminError> {
    let mut entries = Vec::new();
    for spec in specs {
        let sp = resource_principal(api, &spec.resource).await?;
        let mut access = Vec::new();
        for (value, kind) in &spec.permissions {
            let list = if *kind == "Role" { "appRoles" } else { "oauth2PermissionScopes" };
            let id = sp[list]
                .as_array()
                .and_then(|items| items.iter().find(|p| p["value"].as_str() == Some(value)))
                .map(|p| p["id"].clone())
                .ok_or_else(|| {
                    AdminError::Usage(format!("'{}' has no {kind} '{value}'", field(&sp, "displayName")))
                })?;
            access.push(json!({"id": id, "type": kind}));
        }
        entries.push(json!({"resourceAppId": sp["appId"], "resourceAccess": access}));
    }
    Ok(entries)
}

/// `existing` with the entries of `added` replacing those for the same resource.
pub(crate) fn merge(existing: &Value, added: Vec<Value>) -> Value {
    let mut merged: Vec<Value> = existing
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| !added.iter().any(|a| a["resourceAppId"] == e["resourceAppId"]))
        .cloned()
        .collect();
    merged.extend(added);
    Value::Array(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_a_resource_and_typed_values() {
        let spec = parse_required_resource(
            "https://manage.office.com=ActivityFeed.Read:Role,ActivityFeed.Read:Scope,ServiceHealth.Read",
        )
        .unwrap();
        assert_eq!(spec.resource, "https://manage.office.com");
        assert_eq!(
            spec.permissions,
            [
                ("ActivityFeed.Read".to_owned(), "Role"),
                ("ActivityFeed.Read".to_owned(), "Scope"),
                ("ServiceHealth.Read".to_owned(), "Scope")
            ]
        );
        assert!(parse_required_resource("api://x").is_err());
        assert!(parse_required_resource("=a").is_err());
        assert!(parse_required_resource("api://x=a:Delegated").is_err());
        assert!(parse_required_resource("api://x=:Role").is_err());
    }

    #[test]
    fn merging_replaces_the_same_resource_only() {
        let existing = json!([{"resourceAppId": "a", "resourceAccess": [1]}, {"resourceAppId": "b", "resourceAccess": [2]}]);
        let merged = merge(&existing, vec![json!({"resourceAppId": "b", "resourceAccess": [3]})]);
        assert_eq!(
            merged,
            json!([{"resourceAppId": "a", "resourceAccess": [1]}, {"resourceAppId": "b", "resourceAccess": [3]}])
        );
    }
}

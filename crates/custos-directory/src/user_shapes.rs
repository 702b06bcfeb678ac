//! Graph JSON shapes of users, directory role assignments and delegated permission grants
//! (`entra-user-flows.md` §8), with each entity type's property list for `$select`/`$filter`.
//! A user's password (or its hash) is never part of any shape.

use crate::filter::{Kind, Ops, Property};
use crate::odata::{EntityType, PLAIN, Queries, project};
use crate::shapes::date;
use crate::shapes::{ADVANCED_TEXT, DIRECTORY_TEXT};
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::users::{DirectoryRoleAssignment, User};
use serde_json::{Value, json};

pub(crate) static USER: EntityType = EntityType {
    name: "user",
    resource: "User",
    properties: &[
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "accountEnabled",
        "createdDateTime",
        "mailNickname",
        "userType",
    ],
    filterable: &[
        Property::text("id").advanced(Ops::NE),
        Property::new("userPrincipalName", Kind::Text(DIRECTORY_TEXT))
            .advanced(Ops::NE.and(Ops::ORDER).and(Ops::ENDS_WITH)),
        Property::new("displayName", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("mail", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT.and(Ops::ENDS_WITH)),
        Property::new("givenName", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("surname", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("mailNickname", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("accountEnabled", Kind::Bool(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("userType", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("createdDateTime", Kind::Time(Ops::NONE)).advanced(Ops::COMPARE.and(Ops::IN)),
    ],
    queries: &USER_QUERIES,
};

/// Users sort by `displayName` and `userPrincipalName` by default (without `$filter`).
static USER_QUERIES: Queries = Queries {
    orderable: &["displayName", "userPrincipalName"],
    order_by_default: true,
    searchable: &["displayName", "userPrincipalName", "mail", "givenName", "surname", "mailNickname"],
    expands_owners: false,
};

/// What a user read returns without `$select` (Graph's default set, §8.1).
const USER_DEFAULT_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// A user with every selectable property.
pub(crate) fn user(u: &User) -> Value {
    json!({
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": u.given_name,
        "id": u.id,
        "jobTitle": null,
        "mail": u.mail,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": u.surname,
        "userPrincipalName": u.user_principal_name,
        "accountEnabled": u.account_enabled,
        "createdDateTime": date(u.created),
        "mailNickname": u.mail_nickname,
        "userType": "Member",
    })
}

/// A rendered user reduced to Graph's default properties.
pub(crate) fn user_defaults(rendered: Value) -> Value {
    let defaults: Vec<String> = USER_DEFAULT_PROPERTIES.iter().map(|p| (*p).to_owned()).collect();
    project(rendered, Some(&defaults))
}

pub(crate) static ROLE_ASSIGNMENT: EntityType = EntityType {
    name: "unifiedRoleAssignment",
    resource: "UnifiedRoleAssignment",
    properties: &["id", "roleDefinitionId", "principalId", "directoryScopeId"],
    filterable: &[Property::text("roleDefinitionId"), Property::text("principalId")],
    queries: &PLAIN,
};

/// A directory role assignment (tenant-wide scope `/`).
pub(crate) fn role_assignment(a: &DirectoryRoleAssignment) -> Value {
    json!({
        "id": a.id,
        "roleDefinitionId": a.role_definition_id,
        "principalId": a.principal_id,
        "directoryScopeId": "/",
    })
}

pub(crate) static PERMISSION_GRANT: EntityType = EntityType {
    name: "oAuth2PermissionGrant",
    resource: "OAuth2PermissionGrant",
    properties: &["id", "clientId", "consentType", "principalId", "resourceId", "scope"],
    filterable: &[
        Property::text("clientId"),
        Property::text("consentType"),
        Property::text("principalId"),
        Property::text("resourceId"),
    ],
    queries: &PLAIN,
};

/// A delegated permission grant.
pub(crate) fn permission_grant(g: &OAuth2PermissionGrant) -> Value {
    json!({
        "id": g.id,
        "clientId": g.client_id,
        "consentType": g.consent_type.as_str(),
        "principalId": g.principal_id,
        "resourceId": g.resource_id,
        "scope": g.scope,
    })
}

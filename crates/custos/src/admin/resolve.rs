//! Turning what a person types (an appId, an object id or an exact display name) into one
//! application or service principal.
//!
//! GUIDs are tried as appId first, then as object id; anything else (and a GUID that matched
//! neither) is compared with display names exactly. Several objects with the same name are an
//! error listing their appIds, never a guess. The lookups are a trait so the rules are tested
//! against an in-memory directory.

use super::api::Api;
use super::error::AdminError;
use crate::output::field;
use custos_core::{AppId, ObjectId};
use serde_json::Value;

/// The two Graph collections the CLI resolves names in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    Applications,
    ServicePrincipals,
}

impl Collection {
    /// `/v1.0/applications` or `/v1.0/servicePrincipals`.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Applications => "/v1.0/applications",
            Self::ServicePrincipals => "/v1.0/servicePrincipals",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Applications => "application",
            Self::ServicePrincipals => "service principal",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Self::Applications => "app",
            Self::ServicePrincipals => "sp",
        }
    }
}

/// The lookups resolution needs. Each returns `None`/empty when nothing matches.
pub(crate) trait Lookup {
    async fn by_app_id(&self, collection: Collection, app_id: AppId) -> Result<Option<Value>, AdminError>;
    async fn by_object_id(&self, collection: Collection, id: ObjectId) -> Result<Option<Value>, AdminError>;
    /// Candidates whose display name may equal `name` (a superset is fine).
    async fn by_display_name(&self, collection: Collection, name: &str) -> Result<Vec<Value>, AdminError>;
}

impl Lookup for Api {
    async fn by_app_id(&self, collection: Collection, app_id: AppId) -> Result<Option<Value>, AdminError> {
        self.get_optional(&format!("{}(appId='{app_id}')", collection.path())).await
    }

    async fn by_object_id(&self, collection: Collection, id: ObjectId) -> Result<Option<Value>, AdminError> {
        self.get_optional(&format!("{}/{id}", collection.path())).await
    }

    async fn by_display_name(&self, collection: Collection, name: &str) -> Result<Vec<Value>, AdminError> {
        let filter = format!("displayName eq '{}'", name.replace('\'', "''"));
        self.list(collection.path(), &[("$filter", filter.as_str())]).await
    }
}

/// The one object of `collection` that `input` names.
pub(crate) async fn resolve(
    dir: &impl Lookup,
    collection: Collection,
    input: &str,
) -> Result<Value, AdminError> {
    let input = input.trim();
    if let Ok(app_id) = input.parse::<AppId>() {
        if let Some(found) = dir.by_app_id(collection, app_id).await? {
            return Ok(found);
        }
        if let Some(found) = dir.by_object_id(collection, ObjectId(app_id.as_uuid())).await? {
            return Ok(found);
        }
    }
    let mut matches: Vec<Value> = dir
        .by_display_name(collection, input)
        .await?
        .into_iter()
        .filter(|v| v.get("displayName").and_then(Value::as_str) == Some(input))
        .collect();
    match matches.len() {
        0 => Err(AdminError::NotFound {
            kind: collection.kind(),
            command: collection.command(),
            input: input.to_owned(),
        }),
        1 => Ok(matches.remove(0)),
        _ => Err(AdminError::Ambiguous {
            kind: collection.kind(),
            input: input.to_owned(),
            candidates: matches.iter().map(|v| field(v, "appId")).collect(),
        }),
    }
}

/// The service principal of the application `input` names (by the SP's own appId, object id or
/// name, or through the application). An application without one is an error that says to run
/// `custos sp create`.
pub(crate) async fn service_principal_of(dir: &impl Lookup, input: &str) -> Result<Value, AdminError> {
    match resolve(dir, Collection::ServicePrincipals, input).await {
        Err(AdminError::NotFound { .. }) => {}
        other => return other,
    }
    let app = match resolve(dir, Collection::Applications, input).await {
        Err(AdminError::NotFound { .. }) => {
            return Err(AdminError::NotFound {
                kind: "application",
                command: "app",
                input: input.trim().to_owned(),
            });
        }
        other => other?,
    };
    let app_id = field(&app, "appId");
    if let Ok(id) = app_id.parse::<AppId>()
        && let Some(sp) = dir.by_app_id(Collection::ServicePrincipals, id).await?
    {
        return Ok(sp);
    }
    Err(AdminError::NoServicePrincipal { name: field(&app, "displayName"), app_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An in-memory directory.
    #[derive(Default)]
    struct FakeDirectory {
        apps: Vec<Value>,
        sps: Vec<Value>,
    }

    impl FakeDirectory {
        fn items(&self, collection: Collection) -> &[Value] {
            match collection {
                Collection::Applications => &self.apps,
                Collection::ServicePrincipals => &self.sps,
            }
        }

        fn find(&self, collection: Collection, key: &str, id: impl std::fmt::Display) -> Option<Value> {
            self.items(collection).iter().find(|v| v[key] == id.to_string()).cloned()
        }
    }

    impl Lookup for FakeDirectory {
        async fn by_app_id(
            &self,
            collection: Collection,
            app_id: AppId,
        ) -> Result<Option<Value>, AdminError> {
            Ok(self.find(collection, "appId", app_id))
        }
        async fn by_object_id(
            &self,
            collection: Collection,
            id: ObjectId,
        ) -> Result<Option<Value>, AdminError> {
            Ok(self.find(collection, "id", id))
        }
        async fn by_display_name(
            &self,
            collection: Collection,
            _name: &str,
        ) -> Result<Vec<Value>, AdminError> {
            // Like a server that ignores $filter: resolution must still compare names itself.
            Ok(self.items(collection).to_vec())
        }
    }

    const APP_ID: &str = "aaaaaaaa-0000-0000-0000-000000000001";
    const APP_OBJ: &str = "bbbbbbbb-0000-0000-0000-000000000001";
    const SP_OBJ: &str = "cccccccc-0000-0000-0000-000000000001";

    fn directory() -> FakeDirectory {
        FakeDirectory {
            apps: vec![
                json!({"id": APP_OBJ, "appId": APP_ID, "displayName": "Payroll API"}),
                json!({"id": "bbbbbbbb-0000-0000-0000-000000000002", "appId": "aaaaaaaa-0000-0000-0000-000000000002", "displayName": "Twin"}),
                json!({"id": "bbbbbbbb-0000-0000-0000-000000000003", "appId": "aaaaaaaa-0000-0000-0000-000000000003", "displayName": "Twin"}),
                json!({"id": "bbbbbbbb-0000-0000-0000-000000000004", "appId": "aaaaaaaa-0000-0000-0000-000000000004", "displayName": "No SP"}),
            ],
            sps: vec![json!({"id": SP_OBJ, "appId": APP_ID, "displayName": "Payroll API"})],
        }
    }

    async fn resolve_app(input: &str) -> Result<Value, AdminError> {
        resolve(&directory(), Collection::Applications, input).await
    }

    #[tokio::test]
    async fn apps_resolve_by_app_id_object_id_and_exact_name() {
        for input in [APP_ID, APP_OBJ, "Payroll API", " Payroll API ", &APP_ID.to_uppercase()] {
            let app = resolve_app(input).await.unwrap();
            assert_eq!(app["id"], APP_OBJ, "input {input:?}");
        }
    }

    #[tokio::test]
    async fn names_match_exactly() {
        let err = resolve_app("payroll api").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "no application matches 'payroll api'\nhint: give its appId, object id or exact display name; `custos app list` shows them"
        );
        assert!(matches!(resolve_app("Payroll").await, Err(AdminError::NotFound { .. })));
    }

    #[tokio::test]
    async fn unknown_guids_are_not_found() {
        let err = resolve_app("dddddddd-0000-0000-0000-000000000000").await.unwrap_err();
        assert!(matches!(err, AdminError::NotFound { kind: "application", .. }), "{err:?}");
    }

    #[tokio::test]
    async fn shared_names_are_ambiguous_and_list_the_app_ids() {
        let err = resolve_app("Twin").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 applications are named 'Twin': aaaaaaaa-0000-0000-0000-000000000002, aaaaaaaa-0000-0000-0000-000000000003\n\
             hint: give the appId or object id instead"
        );
    }

    #[tokio::test]
    async fn service_principals_resolve_directly_or_through_their_application() {
        let dir = directory();
        for input in [APP_ID, SP_OBJ, APP_OBJ, "Payroll API"] {
            let sp = service_principal_of(&dir, input).await.unwrap();
            assert_eq!(sp["id"], SP_OBJ, "input {input:?}");
        }
    }

    #[tokio::test]
    async fn an_application_without_service_principal_says_to_create_one() {
        let err = service_principal_of(&directory(), "No SP").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "application 'No SP' (aaaaaaaa-0000-0000-0000-000000000004) has no service principal in this tenant\n\
             hint: run `custos sp create aaaaaaaa-0000-0000-0000-000000000004` first"
        );
        let err = service_principal_of(&directory(), "Nobody").await.unwrap_err();
        assert!(matches!(err, AdminError::NotFound { kind: "application", .. }), "{err:?}");
    }
}

//! Federated identity credentials (Graph `federatedIdentityCredential`) of an application or a
//! managed identity: reading and checking the request bodies (Entra's rules: `name` 3–120
//! URL-friendly characters starting with a letter or digit and immutable; `issuer` a URL of at
//! most 600 characters without surrounding whitespace; `subject` at most 600 characters without
//! wildcards; exactly one audience of at most 600 characters, `api://AzureADTokenExchange` by
//! default), their JSON shape, the Graph errors for what the store refuses, and the five
//! operations (list, show, create, update, delete) on one owner. The routes that find the owner
//! are in [`crate::federated_routes`].
//!
//! The rules of the whole list (at most 20, names and issuer + subject pairs unique) are enforced
//! by the store on the locked row ([`custos_store::change`]), so concurrent requests cannot
//! break them; a credential is addressed by its `id` or, as Graph allows, by its `name`.

use crate::DirectoryState;
use crate::audit;
use crate::auth::Caller;
use crate::body::{JsonBody, JsonObject};
use crate::error::GraphError;
use axum::Json;
use custos_core::audit::Activity;
use custos_core::model::{Application, FEDERATION_DEFAULT_AUDIENCE, FederatedIdentityCredential};
use custos_store::{ApplicationChange, ChangeRefused, FederatedUpdate, StoreError};
use http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const RESOURCE: &str = "FederatedIdentityCredential";
const MIN_NAME: usize = 3;
const MAX_NAME: usize = 120;
/// Longest `issuer`, `subject`, audience and `description`.
const MAX_VALUE: usize = 600;
/// The properties a request body may set.
const PROPERTIES: &[&str] = &["name", "issuer", "subject", "audiences", "description"];

/// The owner of the credentials a request addresses: an application (Graph) or the application
/// behind a managed identity (admin API).
#[derive(Debug)]
pub(crate) struct Owner {
    /// The owning application as read.
    pub(crate) app: Application,
    /// The collection's `@odata.context` (Graph), or `None` (admin API, which has no metadata).
    pub(crate) context: Option<String>,
    /// How the owner was named in the URL, for 404s.
    pub(crate) key: String,
    /// Who is asking (named by the audit record of a change).
    pub(crate) caller: Caller,
}

/// A 400 naming the property and what is wrong with it.
fn invalid(property: &str, problem: &str) -> GraphError {
    GraphError::BadRequest(format!(
        "Invalid value specified for property '{property}' of resource '{RESOURCE}': {problem}"
    ))
}

fn required(property: &str) -> GraphError {
    invalid(property, "a value is required.")
}

/// Checks a `name`: 3–120 characters, letters, digits, `-` and `_`, the first a letter or digit.
fn check_name(name: &str) -> Result<(), GraphError> {
    let length = name.chars().count();
    if !(MIN_NAME..=MAX_NAME).contains(&length) {
        return Err(invalid("name", "the name must be between 3 and 120 characters long."));
    }
    let url_friendly = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !url_friendly || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            "name",
            "the name must start with a letter or digit and contain only letters, digits, '-' and '_'.",
        ));
    }
    Ok(())
}

/// Checks an `issuer`: at most 600 characters, no surrounding whitespace, an `https://` or
/// `http://` URL with a host and no whitespace or control characters.
fn check_issuer(issuer: &str) -> Result<(), GraphError> {
    if issuer.trim() != issuer {
        return Err(invalid("issuer", "the issuer must not begin or end with whitespace."));
    }
    if issuer.chars().count() > MAX_VALUE {
        return Err(invalid("issuer", "the issuer must be at most 600 characters long."));
    }
    let lower = issuer.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let clean = !issuer.chars().any(|c| c.is_whitespace() || c.is_control());
    if !clean || host.is_none_or(str::is_empty) {
        return Err(invalid("issuer", "the issuer must be an absolute https:// or http:// URL."));
    }
    Ok(())
}

/// Checks a `subject`: 1–600 characters, no wildcard.
fn check_subject(subject: &str) -> Result<(), GraphError> {
    if subject.is_empty() {
        return Err(invalid("subject", "the subject must not be empty."));
    }
    if subject.chars().count() > MAX_VALUE {
        return Err(invalid("subject", "the subject must be at most 600 characters long."));
    }
    if subject.contains('*') {
        return Err(invalid("subject", "wildcard characters ('*') are not supported in the subject."));
    }
    Ok(())
}

/// Checks `audiences`: exactly one value of 1–600 characters.
fn check_audiences(audiences: &[String]) -> Result<(), GraphError> {
    match audiences {
        [one] if !one.trim().is_empty() && one.chars().count() <= MAX_VALUE => Ok(()),
        [_] => Err(invalid("audiences", "the audience must be 1 to 600 characters long.")),
        _ => Err(invalid("audiences", "exactly one audience must be specified.")),
    }
}

fn check_description(description: Option<&str>) -> Result<(), GraphError> {
    match description {
        Some(d) if d.chars().count() > MAX_VALUE => {
            Err(invalid("description", "the description must be at most 600 characters long."))
        }
        _ => Ok(()),
    }
}

/// The properties a body sends, each checked; `None` = not sent (`description: Some(None)` =
/// `null`).
#[derive(Debug, Default)]
struct Input {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audiences: Option<Vec<String>>,
    description: Option<Option<String>>,
}

impl Input {
    fn parse(body: JsonBody) -> Result<Self, GraphError> {
        let mut body: JsonObject = body.required()?.only(PROPERTIES)?;
        let input = Self {
            name: body.take("name", RESOURCE)?,
            issuer: body.take("issuer", RESOURCE)?,
            subject: body.take("subject", RESOURCE)?,
            audiences: body.take("audiences", RESOURCE)?,
            description: body.take("description", RESOURCE)?,
        };
        if let Some(name) = &input.name {
            check_name(name)?;
        }
        if let Some(issuer) = &input.issuer {
            check_issuer(issuer)?;
        }
        if let Some(subject) = &input.subject {
            check_subject(subject)?;
        }
        if let Some(audiences) = &input.audiences {
            check_audiences(audiences)?;
        }
        check_description(input.description.as_ref().and_then(Option::as_deref))?;
        Ok(input)
    }

    /// A new credential; `name`, `issuer` and `subject` are required.
    fn into_new(self) -> Result<FederatedIdentityCredential, GraphError> {
        Ok(FederatedIdentityCredential {
            id: Uuid::new_v4(),
            name: self.name.ok_or_else(|| required("name"))?,
            issuer: self.issuer.ok_or_else(|| required("issuer"))?,
            subject: self.subject.ok_or_else(|| required("subject"))?,
            audiences: self.audiences.unwrap_or_else(|| vec![FEDERATION_DEFAULT_AUDIENCE.to_owned()]),
            description: self.description.flatten(),
        })
    }

    /// The update of `current`; a `name` other than its own is refused (names are immutable).
    fn into_update(self, current: &FederatedIdentityCredential) -> Result<FederatedUpdate, GraphError> {
        if self.name.as_ref().is_some_and(|name| *name != current.name) {
            return Err(invalid("name", "the name of a federated identity credential cannot be changed."));
        }
        Ok(FederatedUpdate {
            issuer: self.issuer,
            subject: self.subject,
            audiences: self.audiences,
            description: self.description,
        })
    }
}

/// Graph's JSON for a credential.
fn shape(c: &FederatedIdentityCredential) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "issuer": c.issuer,
        "subject": c.subject,
        "description": c.description,
        "audiences": c.audiences,
    })
}

/// The Graph error for a change the store refused.
pub(crate) fn refusal(refused: &ChangeRefused, owner_key: &str) -> GraphError {
    match refused {
        ChangeRefused::TooMany { limit } => GraphError::BadRequest(format!(
            "An application can hold at most {limit} federated identity credentials."
        )),
        ChangeRefused::DuplicateFederatedName(name) => GraphError::DuplicateKey(format!(
            "A federated identity credential with the name '{name}' already exists on the application."
        )),
        ChangeRefused::DuplicateIssuerSubject { issuer, subject } => GraphError::DuplicateKey(format!(
            "The combination of issuer and subject must be unique for the application. Issuer '{issuer}' \
             and subject '{subject}' already exist."
        )),
        ChangeRefused::UnknownFederatedCredential(id) => GraphError::NotFound(id.to_string()),
        ChangeRefused::UnknownKeyId(_)
        | ChangeRefused::DuplicateKeyId(_)
        | ChangeRefused::DuplicateCertificate { .. } => {
            tracing::warn!(owner = owner_key, refusal = %refused, "unexpected federated credential refusal");
            GraphError::Unavailable
        }
    }
}

impl Owner {
    /// The credential `key` names: its id, or else its name (ASCII case-insensitively); 404.
    fn find(&self, key: &str) -> Result<&FederatedIdentityCredential, GraphError> {
        let credentials = &self.app.federated_identity_credentials;
        let by_id = key.parse::<Uuid>().ok().and_then(|id| credentials.iter().find(|c| c.id == id));
        by_id
            .or_else(|| credentials.iter().find(|c| c.name.eq_ignore_ascii_case(key)))
            .ok_or_else(|| GraphError::NotFound(key.to_owned()))
    }

    fn log(&self, id: Uuid, what: &str) {
        let (tenant, app_id) = (self.app.tenant_id, self.app.app_id);
        tracing::info!(%tenant, %app_id, %id, "federated identity credential {what}");
    }

    fn entity(&self, credential: &FederatedIdentityCredential) -> Value {
        let mut body = shape(credential);
        if let Some(context) = &self.context {
            body["@odata.context"] = Value::String(format!("{context}/$entity"));
        }
        body
    }

    /// Applies `change` atomically, mapping refusals to Graph errors; `key` is how the request
    /// named the credential (the 404 when it is gone by then).
    async fn modify(
        &self,
        state: &DirectoryState,
        change: ApplicationChange,
        key: &str,
    ) -> Result<Application, GraphError> {
        let (tenant, id) = (self.app.tenant_id, self.app.id);
        let record = audit::credentials(state, &self.caller, &self.app, Activity::UpdateApplication).await;
        state.store.modify_application(tenant, id, change, &[record]).await.map_err(|e| match e {
            StoreError::NotFound => GraphError::NotFound(self.key.clone()),
            StoreError::Refused(ChangeRefused::UnknownFederatedCredential(_)) => {
                GraphError::NotFound(key.to_owned())
            }
            StoreError::Refused(refused) => refusal(&refused, &self.key),
            other => GraphError::storage(other),
        })
    }

    /// `GET .../federatedIdentityCredentials`: `{"@odata.context"?, "value": [...]}`, oldest first.
    pub(crate) fn list(&self, query: Option<&str>) -> Result<Json<Value>, GraphError> {
        refuse_query(query)?;
        let value: Vec<Value> = self.app.federated_identity_credentials.iter().map(shape).collect();
        let mut body = json!({ "value": value });
        if let Some(context) = &self.context {
            body["@odata.context"] = Value::String(context.clone());
        }
        Ok(Json(body))
    }

    /// `GET .../federatedIdentityCredentials/{id-or-name}`
    pub(crate) fn show(&self, key: &str, query: Option<&str>) -> Result<Json<Value>, GraphError> {
        refuse_query(query)?;
        Ok(Json(self.entity(self.find(key)?)))
    }

    /// `POST .../federatedIdentityCredentials`: 201 and the new credential.
    pub(crate) async fn create(
        &self,
        state: &DirectoryState,
        body: JsonBody,
    ) -> Result<(StatusCode, Json<Value>), GraphError> {
        let credential = Input::parse(body)?.into_new()?;
        let name = credential.name.clone();
        self.modify(state, ApplicationChange::AddFederated(credential.clone()), &name).await?;
        self.log(credential.id, "added");
        Ok((StatusCode::CREATED, Json(self.entity(&credential))))
    }

    /// `PATCH .../federatedIdentityCredentials/{id-or-name}`: 204. Only the properties sent
    /// change, applied to the credential as stored.
    pub(crate) async fn update(
        &self,
        state: &DirectoryState,
        key: &str,
        body: JsonBody,
    ) -> Result<StatusCode, GraphError> {
        let current = self.find(key)?;
        let update = Input::parse(body)?.into_update(current)?;
        self.modify(state, ApplicationChange::UpdateFederated(current.id, update), key).await?;
        self.log(current.id, "updated");
        Ok(StatusCode::NO_CONTENT)
    }

    /// `DELETE .../federatedIdentityCredentials/{id-or-name}`: 204.
    pub(crate) async fn delete(&self, state: &DirectoryState, key: &str) -> Result<StatusCode, GraphError> {
        let current = self.find(key)?;
        self.modify(state, ApplicationChange::RemoveFederated(current.id), key).await?;
        self.log(current.id, "removed");
        Ok(StatusCode::NO_CONTENT)
    }
}

/// Query options are not supported on these routes; refused rather than ignored.
fn refuse_query(query: Option<&str>) -> Result<(), GraphError> {
    match query.filter(|q| !q.is_empty()) {
        None => Ok(()),
        Some(q) => {
            let option = q.split(['=', '&']).next().unwrap_or(q);
            Err(GraphError::UnsupportedQuery(format!(
                "Query option '{option}' is not supported on federatedIdentityCredentials."
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_entra_rules() {
        for ok in ["abc", "a-b_c", "0github", &"x".repeat(120)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", &"x".repeat(121), "-abc", "_abc", "a b c", "a.bc", "a/bc", "ünï"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn issuers_are_urls() {
        for ok in
            ["https://token.actions.githubusercontent.com", "http://localhost:8080/tenant/v2.0", "HTTPS://X"]
        {
            assert!(check_issuer(ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "issuer", "https://", "https:///path", "ftp://x", "https://a b", " https://x", "https://x\n"]
        {
            assert!(check_issuer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unsupported_query_options_are_named() {
        assert_eq!(refuse_query(None), Ok(()));
        assert_eq!(refuse_query(Some("")), Ok(()));
        assert_eq!(
            refuse_query(Some("$filter=name eq 'x'")),
            Err(GraphError::UnsupportedQuery(
                "Query option '$filter' is not supported on federatedIdentityCredentials.".into()
            ))
        );
    }
}

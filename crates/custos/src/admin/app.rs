//! `custos app ...`: application registrations through Graph `/v1.0/applications`.

use super::api::Api;
use super::app_access::{RequiredResource, merge, parse_required_resource, required_resource_access};
use super::error::AdminError;
use super::resolve::{Collection, resolve};
use crate::output::{Report, Table, details, field};
use serde_json::{Value, json};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum AppCommand {
    /// Register an application (a client, a resource API, or both).
    Create(CreateArgs),
    /// List the applications of the tenant.
    List,
    /// Show one application with its app roles and secrets.
    Show {
        /// appId, object id or exact display name.
        app: String,
    },
    /// Delete an application (and with it its service principal and secrets).
    Delete {
        /// appId, object id or exact display name.
        app: String,
    },
    /// Change an application's name, identifier URIs, token version, access-token signing
    /// algorithm, app roles, sign-in audience, redirect URIs or required resource access.
    Update(UpdateArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// Display name.
    name: String,
    /// Application ID URI, e.g. api://payroll (repeatable).
    #[arg(long = "identifier-uri", value_name = "URI")]
    identifier_uris: Vec<String>,
    /// An app role for applications, by the value that goes into the `roles` claim (repeatable).
    #[arg(long = "role", value_name = "VALUE")]
    roles: Vec<String>,
    /// Access-token version clients get for this application as a resource.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    token_version: Option<u8>,
    /// Free-text description.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    #[command(flatten)]
    sign_in: SignInArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct UpdateArgs {
    /// appId, object id or exact display name.
    app: String,
    /// New display name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Application ID URI (repeatable); replaces the current list.
    #[arg(long = "identifier-uri", value_name = "URI")]
    identifier_uris: Vec<String>,
    /// Access-token version clients get for this application as a resource.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    token_version: Option<u8>,
    /// Adds an app role for applications with this value (repeatable).
    #[arg(long = "add-role", value_name = "VALUE")]
    add_roles: Vec<String>,
    /// How access tokens for this application as a resource are signed: RS256 (Entra's, the
    /// default) or ES256 (custos extension, opt-in; validators must accept EC P-256 keys).
    #[arg(long, value_name = "RS256|ES256", value_parser = ["RS256", "ES256"])]
    access_token_signing_algorithm: Option<String>,
    #[command(flatten)]
    sign_in: SignInArgs,
}

/// The sign-in properties both `create` and `update` set (on update each given list replaces
/// that platform's list, and a `--required-resource` that resource's entry).
#[derive(Debug, Default, clap::Args)]
pub(crate) struct SignInArgs {
    /// `signInAudience`: AzureADMyOrg (this tenant only) or AzureADMultipleOrgs (other tenants may consent).
    #[arg(long, value_name = "AUDIENCE", value_parser = ["AzureADMyOrg", "AzureADMultipleOrgs"])]
    sign_in_audience: Option<String>,
    /// A redirect URI of a confidential web client (repeatable).
    #[arg(long = "web-redirect-uri", value_name = "URI")]
    web_redirect_uris: Vec<String>,
    /// A redirect URI of a desktop or mobile public client, e.g. http://localhost (repeatable).
    #[arg(long = "public-client-redirect-uri", value_name = "URI")]
    public_client_redirect_uris: Vec<String>,
    /// A redirect URI of a single-page application (repeatable).
    #[arg(long = "spa-redirect-uri", value_name = "URI")]
    spa_redirect_uris: Vec<String>,
    /// Permissions needed on a resource API: RESOURCE=VALUE[:Role|:Scope][,...], RESOURCE an
    /// identifier URI or appId, `:Scope` (delegated) the default (repeatable).
    #[arg(long = "required-resource", value_name = "SPEC", value_parser = parse_required_resource)]
    required_resources: Vec<RequiredResource>,
}

pub(crate) async fn run(api: &Api, command: AppCommand) -> Result<Report, AdminError> {
    match command {
        AppCommand::Create(args) => {
            let access = required_resource_access(api, &args.sign_in.required_resources).await?;
            let app = api.post(Collection::Applications.path(), &create_body(&args, access)).await?;
            Ok(Report::new(app.clone(), show_text(&app)))
        }
        AppCommand::List => {
            let apps = api.list(Collection::Applications.path(), &[]).await?;
            Ok(Report::new(Value::Array(apps.clone()), list_text(&apps)))
        }
        AppCommand::Show { app } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            Ok(Report::new(app.clone(), show_text(&app)))
        }
        AppCommand::Delete { app } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            api.delete(&object_path(&app)).await?;
            let text =
                format!("deleted application {} ({})\n", field(&app, "displayName"), field(&app, "appId"));
            Ok(Report::new(json!({"id": app["id"], "appId": app["appId"], "deleted": true}), text))
        }
        AppCommand::Update(args) => {
            let app = resolve(api, Collection::Applications, &args.app).await?;
            let access = required_resource_access(api, &args.sign_in.required_resources).await?;
            api.patch(&object_path(&app), &update_body(&app, &args, access)?).await?;
            let updated = api.get(&object_path(&app)).await?;
            Ok(Report::new(updated.clone(), show_text(&updated)))
        }
    }
}

/// `/v1.0/applications/{object id}` of a resolved application.
pub(crate) fn object_path(app: &Value) -> String {
    format!("{}/{}", Collection::Applications.path(), field(app, "id"))
}

/// `api.requestedAccessTokenVersion` for a `--token-version`: 2 → 2, 1 → null (Entra's default).
fn token_version_value(version: u8) -> Value {
    if version == 2 { json!(2) } else { Value::Null }
}

/// An app role that applications can be granted, identified by `value`.
fn new_role(value: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "allowedMemberTypes": ["Application"],
        "value": value,
        "displayName": value,
        "description": format!("Applications holding {value}"),
        "isEnabled": true,
    })
}

/// Sets `signInAudience`, the non-empty redirect URI lists and `requiredResourceAccess`.
fn sign_in_properties(body: &mut Value, args: &SignInArgs, access: Option<Value>) {
    if let Some(audience) = &args.sign_in_audience {
        body["signInAudience"] = json!(audience);
    }
    let uris = [&args.web_redirect_uris, &args.public_client_redirect_uris, &args.spa_redirect_uris];
    for (platform, list) in ["web", "publicClient", "spa"].into_iter().zip(uris) {
        if !list.is_empty() {
            body[platform] = json!({"redirectUris": list});
        }
    }
    if let Some(access) = access {
        body["requiredResourceAccess"] = access;
    }
}

fn create_body(args: &CreateArgs, access: Vec<Value>) -> Value {
    let mut body = json!({
        "displayName": args.name,
        "identifierUris": args.identifier_uris,
        "appRoles": args.roles.iter().map(|r| new_role(r)).collect::<Vec<_>>(),
    });
    if let Some(description) = &args.description {
        body["description"] = json!(description);
    }
    if let Some(version) = args.token_version {
        body["api"] = json!({"requestedAccessTokenVersion": token_version_value(version)});
    }
    let access = (!access.is_empty()).then_some(Value::Array(access));
    sign_in_properties(&mut body, &args.sign_in, access);
    body
}

fn update_body(app: &Value, args: &UpdateArgs, access: Vec<Value>) -> Result<Value, AdminError> {
    let mut body = json!({});
    if let Some(name) = &args.name {
        body["displayName"] = json!(name);
    }
    if !args.identifier_uris.is_empty() {
        body["identifierUris"] = json!(args.identifier_uris);
    }
    if let Some(version) = args.token_version {
        body["api"] = json!({"requestedAccessTokenVersion": token_version_value(version)});
    }
    if let Some(algorithm) = &args.access_token_signing_algorithm {
        body["custos"] = json!({"accessTokenSigningAlgorithm": algorithm});
    }
    if !args.add_roles.is_empty() {
        // Graph replaces the whole collection, so the existing roles go along unchanged.
        let mut roles = app.get("appRoles").and_then(Value::as_array).cloned().unwrap_or_default();
        for value in &args.add_roles {
            if roles.iter().any(|r| r.get("value").and_then(Value::as_str) == Some(value)) {
                return Err(AdminError::Usage(format!(
                    "application '{}' already has an app role '{value}'",
                    field(app, "displayName")
                )));
            }
            roles.push(new_role(value));
        }
        body["appRoles"] = Value::Array(roles);
    }
    let access = (!access.is_empty()).then(|| merge(&app["requiredResourceAccess"], access));
    sign_in_properties(&mut body, &args.sign_in, access);
    if body.as_object().is_some_and(serde_json::Map::is_empty) {
        return Err(AdminError::Usage(
            "nothing to update: give --name, --identifier-uri, --token-version, --access-token-signing-algorithm, --add-role, --sign-in-audience, a --*-redirect-uri or --required-resource".to_owned(),
        ));
    }
    Ok(body)
}

/// "RS256" or "ES256": how access tokens for the application are signed (the custos extension
/// `custos.accessTokenSigningAlgorithm`, absent = RS256).
fn signing_algorithm(app: &Value) -> String {
    app.pointer("/custos/accessTokenSigningAlgorithm").and_then(Value::as_str).unwrap_or("RS256").to_owned()
}

/// "1" or "2": the access-token version an application gets as a resource.
fn token_version(app: &Value) -> &'static str {
    match app.pointer("/api/requestedAccessTokenVersion").and_then(Value::as_u64) {
        Some(2) => "2",
        _ => "1",
    }
}

fn list_text(apps: &[Value]) -> String {
    let mut table = Table::new(&["APP ID", "OBJECT ID", "NAME", "TOKEN", "IDENTIFIER URIS"]);
    for app in apps {
        table.row([
            field(app, "appId"),
            field(app, "id"),
            field(app, "displayName"),
            format!("v{}", token_version(app)),
            field(app, "identifierUris"),
        ]);
    }
    table.render_or("no applications")
}

fn show_text(app: &Value) -> String {
    let mut out = details(&[
        ("name", field(app, "displayName")),
        ("app id", field(app, "appId")),
        ("object id", field(app, "id")),
        ("description", field(app, "description")),
        ("identifier URIs", field(app, "identifierUris")),
        ("token version", token_version(app).to_owned()),
        ("token signing", signing_algorithm(app)),
        ("sign-in audience", field(app, "signInAudience")),
        ("web redirects", field(&app["web"], "redirectUris")),
        ("public redirects", field(&app["publicClient"], "redirectUris")),
        ("SPA redirects", field(&app["spa"], "redirectUris")),
        ("created", field(app, "createdDateTime")),
    ]);
    let mut roles = Table::new(&["ROLE", "ID", "ENABLED", "MEMBER TYPES"]);
    for role in app.get("appRoles").and_then(Value::as_array).into_iter().flatten() {
        roles.row([
            field(role, "value"),
            field(role, "id"),
            field(role, "isEnabled"),
            field(role, "allowedMemberTypes"),
        ]);
    }
    out.push_str("\napp roles:\n");
    out.push_str(&roles.render_or("(none)"));
    out.push_str("\nsecrets:\n");
    out.push_str(&super::secret::secrets_table(app).render_or("(none)"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create_args() -> CreateArgs {
        CreateArgs {
            name: "Payroll API".to_owned(),
            identifier_uris: vec!["api://payroll".to_owned()],
            roles: vec!["Payroll.Read".to_owned()],
            token_version: Some(2),
            description: Some("pays people".to_owned()),
            sign_in: SignInArgs::default(),
        }
    }

    #[test]
    fn create_sends_the_graph_application_shape() {
        let body = create_body(&create_args(), vec![]);
        assert_eq!(body["displayName"], "Payroll API");
        assert_eq!(body["identifierUris"], json!(["api://payroll"]));
        assert_eq!(body["description"], "pays people");
        assert_eq!(body["api"], json!({"requestedAccessTokenVersion": 2}));
        let role = &body["appRoles"][0];
        assert_eq!(role["value"], "Payroll.Read");
        assert_eq!(role["allowedMemberTypes"], json!(["Application"]));
        assert_eq!(role["isEnabled"], true);
        assert!(uuid::Uuid::parse_str(role["id"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn token_version_one_is_sent_as_null_and_absent_when_not_asked() {
        let mut args = create_args();
        args.token_version = Some(1);
        assert_eq!(create_body(&args, vec![])["api"], json!({"requestedAccessTokenVersion": null}));
        args.token_version = None;
        args.description = None;
        let body = create_body(&args, vec![]);
        assert!(body.get("api").is_none() && body.get("description").is_none(), "{body}");
    }

    fn update_args() -> UpdateArgs {
        UpdateArgs {
            app: "x".to_owned(),
            name: None,
            identifier_uris: vec![],
            token_version: None,
            add_roles: vec![],
            access_token_signing_algorithm: None,
            sign_in: SignInArgs::default(),
        }
    }

    #[test]
    fn update_keeps_existing_roles_when_adding_one() {
        let app = json!({"displayName": "A", "appRoles": [{"id": "1", "value": "Old"}]});
        let args = UpdateArgs { add_roles: vec!["New".to_owned()], ..update_args() };
        let body = update_body(&app, &args, vec![]).unwrap();
        let values: Vec<&str> =
            body["appRoles"].as_array().unwrap().iter().map(|r| r["value"].as_str().unwrap()).collect();
        assert_eq!(values, ["Old", "New"]);
        assert_eq!(
            body["appRoles"][0],
            json!({"id": "1", "value": "Old"}),
            "existing roles are sent unchanged"
        );
        assert!(body.get("displayName").is_none());
    }

    #[test]
    fn update_refuses_duplicate_roles_and_empty_updates() {
        let app = json!({"displayName": "A", "appRoles": [{"id": "1", "value": "Old"}]});
        let args = UpdateArgs { add_roles: vec!["Old".to_owned()], ..update_args() };
        assert_eq!(
            update_body(&app, &args, vec![]).unwrap_err().to_string(),
            "application 'A' already has an app role 'Old'"
        );
        assert_eq!(
            update_body(&app, &update_args(), vec![]).unwrap_err().to_string(),
            "nothing to update: give --name, --identifier-uri, --token-version, --access-token-signing-algorithm, --add-role, --sign-in-audience, a --*-redirect-uri or --required-resource"
        );
        let args = UpdateArgs { name: Some("B".to_owned()), token_version: Some(1), ..update_args() };
        assert_eq!(
            update_body(&app, &args, vec![]).unwrap(),
            json!({"displayName": "B", "api": {"requestedAccessTokenVersion": null}})
        );
    }

    #[test]
    fn signing_algorithm_is_sent_as_the_custos_extension_and_shown() {
        let app = json!({"displayName": "A"});
        let args = UpdateArgs { access_token_signing_algorithm: Some("ES256".to_owned()), ..update_args() };
        assert_eq!(
            update_body(&app, &args, vec![]).unwrap(),
            json!({"custos": {"accessTokenSigningAlgorithm": "ES256"}})
        );
        assert_eq!(signing_algorithm(&app), "RS256");
        let es = json!({"displayName": "A", "custos": {"accessTokenSigningAlgorithm": "ES256"}});
        assert_eq!(signing_algorithm(&es), "ES256");
        assert!(show_text(&es).contains("ES256"));
    }

    #[test]
    fn sign_in_flags_become_graph_properties() {
        let sign_in = SignInArgs {
            sign_in_audience: Some("AzureADMultipleOrgs".to_owned()),
            web_redirect_uris: vec!["https://app.example/cb".to_owned()],
            spa_redirect_uris: vec!["http://localhost:3000".to_owned()],
            ..SignInArgs::default()
        };
        let args = CreateArgs { sign_in, ..create_args() };
        let access = vec![json!({"resourceAppId": "r", "resourceAccess": [{"id": "i", "type": "Role"}]})];
        let body = create_body(&args, access.clone());
        assert_eq!(body["signInAudience"], "AzureADMultipleOrgs");
        assert_eq!(body["web"], json!({"redirectUris": ["https://app.example/cb"]}));
        assert_eq!(body["spa"], json!({"redirectUris": ["http://localhost:3000"]}));
        assert!(body.get("publicClient").is_none());
        assert_eq!(body["requiredResourceAccess"], json!(access));
        let app = json!({"displayName": "A", "requiredResourceAccess": [{"resourceAppId": "other", "resourceAccess": []}]});
        let update = update_body(&app, &update_args(), access).unwrap();
        assert_eq!(update["requiredResourceAccess"].as_array().unwrap().len(), 2, "{update}");
    }

    #[test]
    fn lists_show_one_line_per_application() {
        let apps = [
            json!({"appId": "a1", "id": "o1", "displayName": "Payroll", "identifierUris": ["api://p"], "api": {"requestedAccessTokenVersion": 2}}),
            json!({"appId": "a2", "id": "o2", "displayName": "Daemon", "identifierUris": [], "api": {"requestedAccessTokenVersion": null}}),
        ];
        assert_eq!(
            list_text(&apps),
            "APP ID  OBJECT ID  NAME     TOKEN  IDENTIFIER URIS\n\
             a1      o1         Payroll  v2     api://p\n\
             a2      o2         Daemon   v1\n"
        );
        assert_eq!(list_text(&[]), "no applications\n");
    }

    #[test]
    fn show_lists_roles_and_secrets() {
        let app = json!({
            "appId": "a1", "id": "o1", "displayName": "Payroll", "identifierUris": ["api://p"],
            "appRoles": [{"value": "Payroll.Read", "id": "r1", "isEnabled": true, "allowedMemberTypes": ["Application"]}],
            "passwordCredentials": [],
        });
        let text = show_text(&app);
        assert!(text.starts_with("name              Payroll\napp id            a1\n"), "{text}");
        assert!(text.contains("app roles:\nROLE          ID  ENABLED  MEMBER TYPES\nPayroll.Read  r1  true     Application\n"), "{text}");
        assert!(text.ends_with("secrets:\n(none)\n"), "{text}");
    }
}

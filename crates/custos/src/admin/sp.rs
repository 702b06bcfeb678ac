//! `custos sp ...`: service principals, an application's identity in the tenant, through Graph
//! `/v1.0/servicePrincipals`.

use super::api::Api;
use super::error::AdminError;
use super::resolve::{Collection, resolve};
use crate::output::{Report, Table, details, field};
use serde_json::{Value, json};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SpCommand {
    /// Create the service principal of an application (needed before it gets tokens or roles).
    Create {
        /// The application: appId, object id or exact display name.
        app: String,
    },
    /// List the service principals of the tenant.
    List,
    /// Show one service principal with the app roles it offers.
    Show {
        /// appId, object id or exact display name.
        sp: String,
    },
    /// Enable or disable a service principal, or require role assignments for tokens to it.
    Update {
        /// appId, object id or exact display name.
        sp: String,
        /// Disabled service principals get no tokens.
        #[arg(long, value_name = "true|false")]
        enabled: Option<bool>,
        /// When true, clients need an app role assignment to get a token for this resource.
        #[arg(long, value_name = "true|false")]
        assignment_required: Option<bool>,
    },
}

pub(crate) async fn run(api: &Api, command: SpCommand) -> Result<Report, AdminError> {
    match command {
        SpCommand::Create { app } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            let sp = api.post(Collection::ServicePrincipals.path(), &json!({"appId": app["appId"]})).await?;
            Ok(Report::new(sp.clone(), show_text(&sp)))
        }
        SpCommand::List => {
            let sps = api.list(Collection::ServicePrincipals.path(), &[]).await?;
            Ok(Report::new(Value::Array(sps.clone()), list_text(&sps)))
        }
        SpCommand::Show { sp } => {
            let sp = resolve(api, Collection::ServicePrincipals, &sp).await?;
            Ok(Report::new(sp.clone(), show_text(&sp)))
        }
        SpCommand::Update { sp, enabled, assignment_required } => {
            let body = update_body(enabled, assignment_required)?;
            let sp = resolve(api, Collection::ServicePrincipals, &sp).await?;
            let path = format!("{}/{}", Collection::ServicePrincipals.path(), field(&sp, "id"));
            api.patch(&path, &body).await?;
            let updated = api.get(&path).await?;
            Ok(Report::new(updated.clone(), show_text(&updated)))
        }
    }
}

fn update_body(enabled: Option<bool>, assignment_required: Option<bool>) -> Result<Value, AdminError> {
    let mut body = serde_json::Map::new();
    if let Some(enabled) = enabled {
        body.insert("accountEnabled".to_owned(), json!(enabled));
    }
    if let Some(required) = assignment_required {
        body.insert("appRoleAssignmentRequired".to_owned(), json!(required));
    }
    if body.is_empty() {
        return Err(AdminError::Usage(
            "nothing to update: give --enabled or --assignment-required".to_owned(),
        ));
    }
    Ok(Value::Object(body))
}

fn list_text(sps: &[Value]) -> String {
    let mut table = Table::new(&["OBJECT ID", "APP ID", "NAME", "TYPE", "ENABLED", "ASSIGNMENT REQUIRED"]);
    for sp in sps {
        table.row([
            field(sp, "id"),
            field(sp, "appId"),
            field(sp, "displayName"),
            field(sp, "servicePrincipalType"),
            field(sp, "accountEnabled"),
            field(sp, "appRoleAssignmentRequired"),
        ]);
    }
    table.render_or("no service principals")
}

fn show_text(sp: &Value) -> String {
    let mut out = details(&[
        ("name", field(sp, "displayName")),
        ("object id", field(sp, "id")),
        ("app id", field(sp, "appId")),
        ("type", field(sp, "servicePrincipalType")),
        ("enabled", field(sp, "accountEnabled")),
        ("assignment required", field(sp, "appRoleAssignmentRequired")),
        ("names", field(sp, "servicePrincipalNames")),
    ]);
    let mut roles = Table::new(&["ROLE", "ID", "ENABLED"]);
    for role in sp.get("appRoles").and_then(Value::as_array).into_iter().flatten() {
        roles.row([field(role, "value"), field(role, "id"), field(role, "isEnabled")]);
    }
    out.push_str("\napp roles:\n");
    out.push_str(&roles.render_or("(none)"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_send_only_what_was_given() {
        assert_eq!(update_body(Some(false), None).unwrap(), json!({"accountEnabled": false}));
        assert_eq!(
            update_body(Some(true), Some(true)).unwrap(),
            json!({"accountEnabled": true, "appRoleAssignmentRequired": true})
        );
        assert_eq!(
            update_body(None, None).unwrap_err().to_string(),
            "nothing to update: give --enabled or --assignment-required"
        );
    }

    #[test]
    fn lists_show_state_flags() {
        let sps = [json!({
            "id": "o1", "appId": "a1", "displayName": "Daemon", "servicePrincipalType": "Application",
            "accountEnabled": true, "appRoleAssignmentRequired": false
        })];
        assert_eq!(
            list_text(&sps),
            "OBJECT ID  APP ID  NAME    TYPE         ENABLED  ASSIGNMENT REQUIRED\n\
             o1         a1      Daemon  Application  true     false\n"
        );
    }

    #[test]
    fn show_lists_offered_roles() {
        let sp = json!({"id": "o1", "appId": "a1", "displayName": "API", "appRoles": [{"value": "R", "id": "r1", "isEnabled": true}]});
        assert!(show_text(&sp).ends_with("app roles:\nROLE  ID  ENABLED\nR     r1  true\n"));
    }
}

//! `custos consent ...`: an administrator's consent for scripts. `grant` asks custos' admin API
//! (`POST /admin/v1/tenants/{tenant}/consent`) to write what accepting an application's
//! `requiredResourceAccess` writes in a tenant (its service principal, `AllPrincipals` delegated
//! grants, app role assignments); `list` and `revoke` use Graph's `oauth2PermissionGrants` and
//! `servicePrincipals/{id}/appRoleAssignments` in the connection's tenant.

use super::api::Api;
use super::error::AdminError;
use super::resolve::{Collection, resolve, service_principal_of};
use super::settings::urlencode;
use crate::output::{Report, Table, field};
use serde_json::{Value, json};

const GRANTS: &str = "/v1.0/oauth2PermissionGrants";

#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConsentCommand {
    /// Consent, as an administrator, to everything an application's requiredResourceAccess asks.
    Grant {
        /// The client: appId (also of another tenant's multi-tenant application), object id or
        /// exact display name.
        app: String,
        /// The consenting tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// List the delegated grants and app role assignments an application holds in this tenant.
    List {
        /// The client: appId, object id or exact display name.
        app: String,
    },
    /// Remove every delegated grant and app role assignment an application holds in this tenant.
    Revoke {
        /// The client: appId, object id or exact display name.
        app: String,
    },
}

pub(crate) async fn run(
    api: &Api,
    connection_tenant: &str,
    command: ConsentCommand,
) -> Result<Report, AdminError> {
    match command {
        ConsentCommand::Grant { app, target } => {
            let app_id = match app.trim().parse::<uuid::Uuid>() {
                Ok(id) => id.to_string(),
                Err(_) => field(&resolve(api, Collection::Applications, &app).await?, "appId"),
            };
            let tenant = target.unwrap_or_else(|| connection_tenant.to_owned());
            let path = format!("/admin/v1/tenants/{}/consent", urlencode(&tenant));
            let outcome = api.post(&path, &json!({"appId": app_id})).await?;
            let text = format!(
                "consented for {} in tenant {}: service principal {}{}\n{}",
                field(&outcome, "appId"),
                field(&outcome, "tenantId"),
                field(&outcome, "servicePrincipalId"),
                if outcome["createdServicePrincipal"] == true { " (created)" } else { "" },
                consents_text(&outcome["oauth2PermissionGrants"], &outcome["appRoleAssignments"]),
            );
            Ok(Report::new(outcome, text))
        }
        ConsentCommand::List { app } => {
            let (grants, assignments) = held(api, &app).await?;
            let json = json!({"oauth2PermissionGrants": grants, "appRoleAssignments": assignments});
            let text = consents_text(&json["oauth2PermissionGrants"], &json["appRoleAssignments"]);
            Ok(Report::new(json, text))
        }
        ConsentCommand::Revoke { app } => {
            let (grants, assignments) = held(api, &app).await?;
            for grant in &grants {
                api.delete(&format!("{GRANTS}/{}", field(grant, "id"))).await?;
            }
            for assignment in &assignments {
                let path = format!(
                    "{}/{}/appRoleAssignments/{}",
                    Collection::ServicePrincipals.path(),
                    field(assignment, "principalId"),
                    field(assignment, "id")
                );
                api.delete(&path).await?;
            }
            let text = format!(
                "revoked {} delegated grant(s) and {} app role assignment(s)\n",
                grants.len(),
                assignments.len()
            );
            Ok(Report::new(
                json!({"revokedGrants": grants.len(), "revokedAssignments": assignments.len()}),
                text,
            ))
        }
    }
}

/// The delegated grants and app role assignments the application's service principal holds.
async fn held(api: &Api, app: &str) -> Result<(Vec<Value>, Vec<Value>), AdminError> {
    let sp = service_principal_of(api, app).await?;
    let id = field(&sp, "id");
    let filter = format!("clientId eq '{id}'");
    let grants = api.list(GRANTS, &[("$filter", &filter)]).await?;
    let path = format!("{}/{id}/appRoleAssignments", Collection::ServicePrincipals.path());
    let assignments = api.list(&path, &[]).await?;
    Ok((grants, assignments))
}

fn consents_text(grants: &Value, assignments: &Value) -> String {
    let mut table = Table::new(&["KIND", "RESOURCE", "PERMISSIONS", "ID"]);
    for grant in grants.as_array().into_iter().flatten() {
        let kind = format!("delegated ({})", field(grant, "consentType"));
        table.row([kind, field(grant, "resourceId"), field(grant, "scope"), field(grant, "id")]);
    }
    for assignment in assignments.as_array().into_iter().flatten() {
        let resource = match field(assignment, "resourceDisplayName") {
            name if name.is_empty() => field(assignment, "resourceId"),
            name => name,
        };
        table.row(["app role".to_owned(), resource, field(assignment, "appRoleId"), field(assignment, "id")]);
    }
    table.render_or("no consent")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consents_are_one_line_per_grant_and_role() {
        let grants =
            json!([{"consentType": "AllPrincipals", "resourceId": "r1", "scope": "User.Read", "id": "g1"}]);
        let roles =
            json!([{"resourceDisplayName": "Office 365 Management APIs", "appRoleId": "a1", "id": "x1"}]);
        assert_eq!(
            consents_text(&grants, &roles),
            "KIND                       RESOURCE                    PERMISSIONS  ID\n\
             delegated (AllPrincipals)  r1                          User.Read    g1\n\
             app role                   Office 365 Management APIs  a1           x1\n"
        );
        assert_eq!(consents_text(&json!([]), &json!([])), "no consent\n");
    }
}

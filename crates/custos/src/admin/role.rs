//! `custos role ...`: app role assignments, i.e. which client applications hold which roles of
//! a resource API (Graph `appRoleAssignedTo` / `appRoleAssignments`).

use super::api::Api;
use super::error::AdminError;
use super::resolve::{Collection, service_principal_of};
use crate::output::{Report, Table, field};
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum RoleCommand {
    /// Grant a client application an app role of a resource application.
    Assign {
        /// The client: appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        client: String,
        /// The resource API: appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        resource: String,
        /// The role's value, as it appears in the `roles` claim.
        #[arg(long, value_name = "VALUE")]
        role: String,
    },
    /// List the assignments on a resource, or those held by a client.
    List {
        /// Assignments of this resource's roles.
        #[arg(long, value_name = "APP", conflicts_with = "client", required_unless_present = "client")]
        resource: Option<String>,
        /// Assignments this client holds.
        #[arg(long, value_name = "APP")]
        client: Option<String>,
    },
    /// Remove an assignment from a resource.
    Remove {
        /// The resource API: appId, object id or exact display name.
        #[arg(long, value_name = "APP")]
        resource: String,
        /// The assignment id shown by `custos role list`.
        assignment_id: String,
    },
}

pub(crate) async fn run(api: &Api, command: RoleCommand) -> Result<Report, AdminError> {
    match command {
        RoleCommand::Assign { client, resource, role } => {
            let client_sp = service_principal_of(api, &client).await?;
            let resource_sp = service_principal_of(api, &resource).await?;
            let role_id = role_id(&resource_sp, &role)?;
            let body = json!({"principalId": client_sp["id"], "resourceId": resource_sp["id"], "appRoleId": role_id});
            let assignment = api.post(&format!("{}/appRoleAssignedTo", sp_path(&resource_sp)), &body).await?;
            let roles = role_names(std::slice::from_ref(&resource_sp));
            Ok(Report::new(assignment.clone(), assignments_text(std::slice::from_ref(&assignment), &roles)))
        }
        RoleCommand::List { resource: Some(resource), .. } => {
            let resource_sp = service_principal_of(api, &resource).await?;
            let assignments = api.list(&format!("{}/appRoleAssignedTo", sp_path(&resource_sp)), &[]).await?;
            let roles = role_names(std::slice::from_ref(&resource_sp));
            Ok(Report::new(Value::Array(assignments.clone()), assignments_text(&assignments, &roles)))
        }
        RoleCommand::List { client: Some(client), .. } => {
            let client_sp = service_principal_of(api, &client).await?;
            let assignments = api.list(&format!("{}/appRoleAssignments", sp_path(&client_sp)), &[]).await?;
            let mut resources = Vec::new();
            for resource_id in distinct(&assignments, "resourceId") {
                let path = format!("{}/{resource_id}", Collection::ServicePrincipals.path());
                resources.extend(api.get_optional(&path).await?);
            }
            Ok(Report::new(
                Value::Array(assignments.clone()),
                assignments_text(&assignments, &role_names(&resources)),
            ))
        }
        RoleCommand::List { .. } => Err(AdminError::Usage("give --resource APP or --client APP".to_owned())),
        RoleCommand::Remove { resource, assignment_id } => {
            if assignment_id.is_empty()
                || !assignment_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(AdminError::Usage(format!(
                    "'{assignment_id}' is not an assignment id (see `custos role list --resource APP`)"
                )));
            }
            let resource_sp = service_principal_of(api, &resource).await?;
            api.delete(&format!("{}/appRoleAssignedTo/{assignment_id}", sp_path(&resource_sp))).await?;
            let text =
                format!("removed assignment {assignment_id} from {}\n", field(&resource_sp, "displayName"));
            Ok(Report::new(
                json!({"id": assignment_id, "resourceId": resource_sp["id"], "removed": true}),
                text,
            ))
        }
    }
}

fn sp_path(sp: &Value) -> String {
    format!("{}/{}", Collection::ServicePrincipals.path(), field(sp, "id"))
}

/// The id of the enabled, application-assignable role `value` of a resource service principal.
fn role_id(resource_sp: &Value, value: &str) -> Result<String, AdminError> {
    let roles = resource_sp.get("appRoles").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let assignable = |role: &&Value| {
        role.get("isEnabled").and_then(Value::as_bool).unwrap_or(true)
            && role
                .get("allowedMemberTypes")
                .and_then(Value::as_array)
                .is_none_or(|types| types.iter().any(|t| t == "Application"))
    };
    if let Some(role) =
        roles.iter().filter(assignable).find(|r| r.get("value").and_then(Value::as_str) == Some(value))
    {
        return Ok(field(role, "id"));
    }
    Err(AdminError::UnknownRole {
        resource: field(resource_sp, "displayName"),
        role: value.to_owned(),
        available: roles.iter().filter(assignable).map(|r| field(r, "value")).collect(),
    })
}

/// Role id → role value over the given resource service principals.
fn role_names(resources: &[Value]) -> HashMap<String, String> {
    resources
        .iter()
        .flat_map(|sp| sp.get("appRoles").and_then(Value::as_array).into_iter().flatten())
        .map(|role| (field(role, "id"), field(role, "value")))
        .collect()
}

/// The distinct values of `key` over `items`, in first-seen order.
fn distinct(items: &[Value], key: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for value in items.iter().map(|item| field(item, key)) {
        if !value.is_empty() && !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

fn assignments_text(assignments: &[Value], roles: &HashMap<String, String>) -> String {
    let mut table = Table::new(&["ASSIGNMENT ID", "CLIENT", "ROLE", "RESOURCE", "CREATED"]);
    for a in assignments {
        let role_id = field(a, "appRoleId");
        table.row([
            field(a, "id"),
            field(a, "principalDisplayName"),
            roles.get(&role_id).cloned().unwrap_or(role_id),
            field(a, "resourceDisplayName"),
            field(a, "createdDateTime"),
        ]);
    }
    table.render_or("no role assignments")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource() -> Value {
        json!({"id": "sp1", "displayName": "Payroll API", "appRoles": [
            {"id": "r1", "value": "Payroll.Read", "isEnabled": true, "allowedMemberTypes": ["Application"]},
            {"id": "r2", "value": "Payroll.Old", "isEnabled": false, "allowedMemberTypes": ["Application"]},
            {"id": "r3", "value": "Payroll.User", "isEnabled": true, "allowedMemberTypes": ["User"]},
        ]})
    }

    #[test]
    fn roles_are_found_by_value() {
        assert_eq!(role_id(&resource(), "Payroll.Read").unwrap(), "r1");
    }

    #[test]
    fn disabled_user_only_and_unknown_roles_are_refused_with_the_choices() {
        for value in ["Payroll.Old", "Payroll.User", "payroll.read"] {
            let err = role_id(&resource(), value).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("'Payroll API' defines no enabled application role '{value}' (it has: Payroll.Read)")
            );
        }
    }

    #[test]
    fn assignment_tables_show_role_values() {
        let assignments = [
            json!({
                "id": "As1", "principalDisplayName": "Daemon", "appRoleId": "r1",
                "resourceDisplayName": "Payroll API", "createdDateTime": "2026-01-01T00:00:00Z"
            }),
            json!({"id": "As2", "principalDisplayName": "Other", "appRoleId": "gone", "resourceDisplayName": "Payroll API"}),
        ];
        assert_eq!(
            assignments_text(&assignments, &role_names(&[resource()])),
            "ASSIGNMENT ID  CLIENT  ROLE          RESOURCE     CREATED\n\
             As1            Daemon  Payroll.Read  Payroll API  2026-01-01T00:00:00Z\n\
             As2            Other   gone          Payroll API\n"
        );
        assert_eq!(assignments_text(&[], &HashMap::new()), "no role assignments\n");
    }

    #[test]
    fn distinct_keeps_first_seen_order() {
        let items = [json!({"k": "b"}), json!({"k": "a"}), json!({"k": "b"}), json!({})];
        assert_eq!(distinct(&items, "k"), ["b", "a"]);
    }
}

//! `custos tenant ...`: tenants, through custos's own admin API `/admin/v1/tenants` (app role
//! `Custos.Admin`); Microsoft Graph has no API for creating tenants.

use super::api::Api;
use super::error::AdminError;
use super::secret::SHOWN_ONCE;
use crate::output::{Report, Table, details, field};
use serde_json::{Value, json};

const TENANTS: &str = "/admin/v1/tenants";

#[derive(Debug, clap::Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Its domain name, e.g. contoso.custos.local (accepted in URLs like the tenant GUID).
        domain: String,
        /// A human name [default: the domain].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List the tenants of this server.
    List,
    /// Show one tenant.
    Show {
        /// Tenant GUID or domain.
        // Its own id: `tenant` is the global --tenant connection option.
        #[arg(id = "tenant_to_show", value_name = "TENANT")]
        tenant: String,
    },
}

pub(crate) async fn run(api: &Api, command: TenantCommand) -> Result<Report, AdminError> {
    match command {
        TenantCommand::Create { domain, name } => {
            let display_name = name.unwrap_or_else(|| domain.clone());
            let tenant = api.post(TENANTS, &json!({"domain": domain, "displayName": display_name})).await?;
            let report = Report::new(tenant.clone(), show_text(&tenant));
            // The new tenant's bootstrap admin secret is in this answer and nowhere else.
            if tenant.get("adminClientSecret").is_some_and(Value::is_string) {
                return Ok(report.with_notice(SHOWN_ONCE));
            }
            Ok(report)
        }
        TenantCommand::List => {
            let tenants = api.list(TENANTS, &[]).await?;
            Ok(Report::new(Value::Array(tenants.clone()), list_text(&tenants)))
        }
        TenantCommand::Show { tenant } => {
            let tenants = api.list(TENANTS, &[]).await?;
            let found = find(tenants, &tenant)?;
            Ok(Report::new(found.clone(), show_text(&found)))
        }
    }
}

/// The tenant whose GUID or domain is `input` (both compared case-insensitively, as in URLs).
fn find(tenants: Vec<Value>, input: &str) -> Result<Value, AdminError> {
    let input = input.trim();
    tenants
        .into_iter()
        .find(|t| {
            field(t, "id").eq_ignore_ascii_case(input) || field(t, "domain").eq_ignore_ascii_case(input)
        })
        .ok_or_else(|| {
            AdminError::Usage(format!("no tenant has the id or domain '{input}' (see `custos tenant list`)"))
        })
}

fn list_text(tenants: &[Value]) -> String {
    let mut table = Table::new(&["TENANT ID", "DOMAIN", "NAME", "CREATED"]);
    for t in tenants {
        table.row([field(t, "id"), field(t, "domain"), field(t, "displayName"), field(t, "createdDateTime")]);
    }
    table.render_or("no tenants")
}

fn show_text(tenant: &Value) -> String {
    let mut pairs = vec![
        ("tenant id", field(tenant, "id")),
        ("domain", field(tenant, "domain")),
        ("name", field(tenant, "displayName")),
        ("created", field(tenant, "createdDateTime")),
    ];
    // Only a creation answer carries the new tenant's bootstrap admin.
    if tenant.get("adminClientId").is_some() {
        pairs.push(("admin client id", field(tenant, "adminClientId")));
        pairs.push(("admin secret", field(tenant, "adminClientSecret")));
    }
    details(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants() -> Vec<Value> {
        vec![
            json!({"id": "11111111-1111-1111-1111-111111111111", "domain": "default.custos.local", "displayName": "Default"}),
            json!({"id": "22222222-2222-2222-2222-222222222222", "domain": "contoso.custos.local", "displayName": "Contoso"}),
        ]
    }

    #[test]
    fn tenants_are_found_by_id_or_domain() {
        assert_eq!(find(tenants(), "Contoso.Custos.Local").unwrap()["displayName"], "Contoso");
        assert_eq!(
            find(tenants(), "11111111-1111-1111-1111-111111111111").unwrap()["displayName"],
            "Default"
        );
        assert_eq!(
            find(tenants(), "nowhere").unwrap_err().to_string(),
            "no tenant has the id or domain 'nowhere' (see `custos tenant list`)"
        );
    }

    #[test]
    fn a_new_tenant_shows_its_bootstrap_admin() {
        let created = json!({"id": "t1", "domain": "c.local", "displayName": "C", "createdDateTime": "d",
                             "adminClientId": "a1", "adminClientSecret": "s3cret"});
        assert_eq!(
            show_text(&created),
            "tenant id        t1\ndomain           c.local\nname             C\ncreated          d\n\
             admin client id  a1\nadmin secret     s3cret\n"
        );
        assert_eq!(show_text(&tenants()[0]).lines().count(), 4, "no admin lines when showing a tenant");
    }

    #[test]
    fn tenant_lists_are_tables() {
        assert_eq!(
            list_text(&tenants()),
            "TENANT ID                             DOMAIN                NAME     CREATED\n\
             11111111-1111-1111-1111-111111111111  default.custos.local  Default\n\
             22222222-2222-2222-2222-222222222222  contoso.custos.local  Contoso\n"
        );
    }
}

//! `custos mi ...`: managed identities through custos's own admin API
//! `/admin/v1/tenants/{tenant}/managedIdentities` (app role `Custos.Admin` of the home tenant);
//! Microsoft Graph has no API to create them. `credential create` generates the RSA-2048 key and
//! self-signed certificate `custos agent` authenticates with, registers the certificate, and
//! writes key + certificate to one PEM file (mode 0600). `endpoint-secret create` makes the
//! secret that selects the identity on the server's development endpoints and prints the
//! `export` lines a workload needs; `endpoint-secret remove` withdraws it.

use super::api::Api;
use super::cert_files;
use super::error::AdminError;
use super::settings::urlencode;
use crate::output::{Report, Table, details, field};
use custos_core::Clock;
use custos_jose::cert::ClientCertificate;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Longest validity `credential create` gives a certificate.
const MAX_DAYS: u32 = 3650;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum MiCommand {
    /// Create a managed identity.
    Create {
        /// Its name.
        name: String,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// List the managed identities of a tenant.
    List {
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// Delete a managed identity (its credentials and role assignments go with it).
    Delete {
        /// Object id, client id (appId) or exact name.
        mi: String,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// Manage the credentials `custos agent` authenticates a managed identity with.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Manage the secret that selects an identity on the server's own managed-identity
    /// endpoints (development; the server needs --dev-managed-identity-endpoints).
    #[command(subcommand)]
    EndpointSecret(EndpointSecretCommand),
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum EndpointSecretCommand {
    /// Make a new endpoint secret (replacing any earlier one) and print the variables a workload
    /// needs as `export` lines: `eval "$(custos mi endpoint-secret create MI)"`.
    Create {
        /// Object id, client id (appId) or exact name.
        mi: String,
        /// Days the secret is valid.
        #[arg(long, value_name = "N", default_value_t = 365,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DAYS)))]
        days: u32,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// Remove the identity's endpoint secret.
    Remove {
        /// Object id, client id (appId) or exact name.
        mi: String,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum CredentialCommand {
    /// Generate an RSA-2048 key and self-signed certificate, register the certificate on the
    /// identity and write key + certificate to FILE (mode 0600) for `custos agent --credential`.
    Create {
        /// Object id, client id (appId) or exact name.
        mi: String,
        /// The PEM file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Days the certificate is valid.
        #[arg(long, value_name = "N", default_value_t = 365,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DAYS)))]
        days: u32,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
}

/// Runs an `mi` command; `connection_tenant` is the tenant the CLI authenticated to.
pub(crate) async fn run(
    api: &Api,
    clock: &dyn Clock,
    connection_tenant: &str,
    command: MiCommand,
) -> Result<Report, AdminError> {
    let base = |target: Option<String>| {
        let tenant = target.unwrap_or_else(|| connection_tenant.to_owned());
        format!("/admin/v1/tenants/{}/managedIdentities", urlencode(&tenant))
    };
    match command {
        MiCommand::Create { name, target } => {
            let mi = api.post(&base(target), &json!({"displayName": name})).await?;
            Ok(Report::new(mi.clone(), show_text(&mi)))
        }
        MiCommand::List { target } => {
            let all = api.list(&base(target), &[]).await?;
            Ok(Report::new(Value::Array(all.clone()), list_text(&all)))
        }
        MiCommand::Delete { mi, target } => {
            let base = base(target);
            let found = find(api, &base, &mi).await?;
            api.delete(&format!("{base}/{}", field(&found, "id"))).await?;
            let text = format!(
                "deleted managed identity {} ({})\n",
                field(&found, "displayName"),
                field(&found, "appId")
            );
            Ok(Report::new(json!({"id": found["id"], "appId": found["appId"], "deleted": true}), text))
        }
        MiCommand::Credential(CredentialCommand::Create { mi, out, days, target }) => {
            let base = base(target);
            let found = find(api, &base, &mi).await?;
            let generated = cert_files::generate(&field(&found, "displayName"), clock.now(), days)?;
            let certificate = ClientCertificate::from_der(&generated.certificate_der)
                .map_err(|e| AdminError::Usage(format!("the generated certificate is unusable: {e}")))?;
            if out.exists() {
                return Err(AdminError::Usage(format!(
                    "{} already exists; choose another --out file",
                    out.display()
                )));
            }
            let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, certificate.der());
            let registered = api
                .post(&format!("{base}/{}/credentials", field(&found, "id")), &json!({"key": key}))
                .await?;
            cert_files::write_combined(&generated, &out)?;
            let summary = json!({
                "id": found["id"],
                "appId": found["appId"],
                "displayName": found["displayName"],
                "keyId": registered["keyId"],
                "thumbprint": certificate.thumbprint_hex(),
                "x5t": certificate.x5t(),
                "endDateTime": registered["endDateTime"],
                "credentialFile": out.display().to_string(),
            });
            let text = details(&[
                ("identity", format!("{} ({})", field(&found, "displayName"), field(&found, "appId"))),
                ("key id", field(&summary, "keyId")),
                ("thumbprint", field(&summary, "thumbprint")),
                ("valid until", field(&summary, "endDateTime")),
                ("credential", field(&summary, "credentialFile")),
            ]);
            Ok(Report::new(summary, text))
        }
        MiCommand::EndpointSecret(EndpointSecretCommand::Create { mi, days, target }) => {
            let base = base(target);
            let found = find(api, &base, &mi).await?;
            let made = api
                .post(&format!("{base}/{}/endpointSecret", field(&found, "id")), &json!({"days": days}))
                .await?;
            Ok(Report::new(made.clone(), exports_text(&made)))
        }
        MiCommand::EndpointSecret(EndpointSecretCommand::Remove { mi, target }) => {
            let base = base(target);
            let found = find(api, &base, &mi).await?;
            api.delete(&format!("{base}/{}/endpointSecret", field(&found, "id"))).await?;
            let text = format!(
                "removed the endpoint secret of managed identity {} ({})\n",
                field(&found, "displayName"),
                field(&found, "appId")
            );
            Ok(Report::new(json!({"id": found["id"], "appId": found["appId"], "removed": true}), text))
        }
    }
}

/// The `export` lines of a new endpoint secret (shell comments for the rest, so the output can
/// be `eval`ed): App Service variables, and the IMDS host (plus the full URL older MSAL Python
/// releases read) with the secret as a path prefix.
fn exports_text(made: &Value) -> String {
    let host = field(made, "podIdentityAuthorityHost");
    let mut text = format!(
        "# managed identity {} ({}), endpoint secret valid until {}\n",
        field(made, "displayName"),
        field(made, "appId"),
        field(made, "endDateTime")
    );
    if made["endpointsEnabled"] == json!(false) {
        text.push_str("# note: this server does not serve the endpoints; start it with --dev-managed-identity-endpoints\n");
    }
    text.push_str(&format!("export IDENTITY_ENDPOINT={}\n", field(made, "identityEndpoint")));
    text.push_str(&format!("export IDENTITY_HEADER={}\n", field(made, "secret")));
    text.push_str(&format!("export AZURE_POD_IDENTITY_AUTHORITY_HOST={host}\n"));
    text.push_str(&format!("export MSAL_MANAGED_IDENTITY_ENDPOINT={host}/metadata/identity/oauth2/token\n"));
    text
}

/// The identity `input` names: its object id or appId (any case), or else its exact name,
/// which must be unique.
pub(crate) async fn find(api: &Api, base: &str, input: &str) -> Result<Value, AdminError> {
    let input = input.trim();
    let all = api.list(base, &[]).await?;
    let by_id: Vec<&Value> = all
        .iter()
        .filter(|mi| {
            field(mi, "id").eq_ignore_ascii_case(input) || field(mi, "appId").eq_ignore_ascii_case(input)
        })
        .collect();
    let matches = if by_id.is_empty() {
        all.iter().filter(|mi| field(mi, "displayName") == input).collect()
    } else {
        by_id
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(AdminError::Usage(format!(
            "no managed identity has the id, client id or name '{input}' (see `custos mi list`)"
        ))),
        several => Err(AdminError::Usage(format!(
            "{} managed identities are named '{input}'; name one by its client id (see `custos mi list`)",
            several.len()
        ))),
    }
}

fn list_text(all: &[Value]) -> String {
    let mut table = Table::new(&["OBJECT ID", "CLIENT ID", "NAME"]);
    for mi in all {
        table.row([field(mi, "id"), field(mi, "appId"), field(mi, "displayName")]);
    }
    table.render_or("no managed identities")
}

fn show_text(mi: &Value) -> String {
    details(&[
        ("name", field(mi, "displayName")),
        ("object id", field(mi, "id")),
        ("client id", field(mi, "appId")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_listed_as_a_table() {
        let rows = [json!({"id": "o1", "appId": "a1", "displayName": "worker"})];
        assert_eq!(list_text(&rows), "OBJECT ID  CLIENT ID  NAME\no1         a1         worker\n");
        assert_eq!(list_text(&[]), "no managed identities\n");
        assert_eq!(show_text(&rows[0]), "name       worker\nobject id  o1\nclient id  a1\n");
    }

    #[test]
    fn endpoint_secrets_are_printed_as_export_lines() {
        let made = json!({
            "appId": "a1", "displayName": "worker", "endDateTime": "2027-01-01T00:00:00Z",
            "secret": "cmi00", "identityEndpoint": "https://id.test/msi/token",
            "podIdentityAuthorityHost": "https://id.test/msi/cmi00", "endpointsEnabled": false,
        });
        assert_eq!(
            exports_text(&made),
            "# managed identity worker (a1), endpoint secret valid until 2027-01-01T00:00:00Z\n\
             # note: this server does not serve the endpoints; start it with --dev-managed-identity-endpoints\n\
             export IDENTITY_ENDPOINT=https://id.test/msi/token\n\
             export IDENTITY_HEADER=cmi00\n\
             export AZURE_POD_IDENTITY_AUTHORITY_HOST=https://id.test/msi/cmi00\n\
             export MSAL_MANAGED_IDENTITY_ENDPOINT=https://id.test/msi/cmi00/metadata/identity/oauth2/token\n"
        );
    }
}

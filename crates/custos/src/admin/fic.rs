//! `custos federated-credential ...` (alias `fic`): the federated identity credentials that let
//! a workload exchange a token of an external issuer (Kubernetes, a CI system, another custos)
//! for a token of an application or managed identity, without any secret.
//!
//! An application is named as elsewhere (appId, object id or exact display name) and reached
//! through Graph's `/v1.0/applications/{id}/federatedIdentityCredentials`; a managed identity
//! (`--mi`, or automatically when no application matches) through custos's admin API
//! `/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials`.

use super::api::Api;
use super::app::object_path;
use super::error::AdminError;
use super::mi;
use super::resolve::{Collection, resolve};
use super::settings::urlencode;
use crate::output::{Report, Table, details, field};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub(crate) struct Owner {
    /// The application (appId, object id or exact display name) or managed identity.
    app: String,
    /// APP names a managed identity (object id, client id or exact name) [default: an
    /// application, else a managed identity].
    #[arg(long)]
    mi: bool,
    /// The managed identity's tenant (GUID or domain) [default: the tenant of the connection].
    #[arg(long = "for", value_name = "TENANT", requires = "mi")]
    target: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum FicCommand {
    /// Trust the tokens an external issuer mints for one subject.
    Add {
        #[command(flatten)]
        owner: Owner,
        /// A name unique within APP: 3-120 letters, digits, '-' or '_', starting with a letter or digit.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The external issuer's URL, exactly as in its tokens' `iss`.
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The subject, exactly (case-sensitively) as in the tokens' `sub`.
        #[arg(long, value_name = "SUBJECT")]
        subject: String,
        /// The audience the tokens carry in `aud` [default: api://AzureADTokenExchange].
        #[arg(long, value_name = "AUDIENCE")]
        audience: Option<String>,
        /// A description.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// List the federated identity credentials of an application or managed identity.
    List {
        #[command(flatten)]
        owner: Owner,
    },
    /// Remove a federated identity credential by its name or id.
    Remove {
        #[command(flatten)]
        owner: Owner,
        /// The credential's name or id (see `custos federated-credential list`).
        credential: String,
    },
}

/// Where an owner's credentials live, and how to name the owner to a person.
#[derive(Debug)]
struct Resolved {
    /// The collection's path.
    path: String,
    /// `name (appId)`.
    label: String,
    /// The owner's JSON as the server showed it.
    owner: Value,
}

/// Finds the owner `input` names: an application (unless `--mi`), else a managed identity.
/// Without `--mi`, a failed managed-identity lookup reports the application error.
async fn locate(api: &Api, connection_tenant: &str, owner: &Owner) -> Result<Resolved, AdminError> {
    if !owner.mi {
        match resolve(api, Collection::Applications, &owner.app).await {
            Ok(app) => {
                let path = format!("{}/federatedIdentityCredentials", object_path(&app));
                return Ok(Resolved { path, label: label(&app), owner: app });
            }
            Err(not_found @ AdminError::NotFound { .. }) => {
                return locate_mi(api, connection_tenant, owner).await.map_err(|_| not_found);
            }
            Err(other) => return Err(other),
        }
    }
    locate_mi(api, connection_tenant, owner).await
}

async fn locate_mi(api: &Api, connection_tenant: &str, owner: &Owner) -> Result<Resolved, AdminError> {
    let tenant = owner.target.as_deref().unwrap_or(connection_tenant);
    let base = format!("/admin/v1/tenants/{}/managedIdentities", urlencode(tenant));
    let found = mi::find(api, &base, &owner.app).await?;
    let path = format!("{base}/{}/federatedIdentityCredentials", urlencode(&field(&found, "id")));
    Ok(Resolved { path, label: label(&found), owner: found })
}

fn label(owner: &Value) -> String {
    format!("{} ({})", field(owner, "displayName"), field(owner, "appId"))
}

/// Runs a `federated-credential` command; `connection_tenant` is the tenant the CLI
/// authenticated to.
pub(crate) async fn run(
    api: &Api,
    connection_tenant: &str,
    command: FicCommand,
) -> Result<Report, AdminError> {
    match command {
        FicCommand::Add { owner, name, issuer, subject, audience, description } => {
            let target = locate(api, connection_tenant, &owner).await?;
            let body = add_body(&name, &issuer, &subject, audience.as_deref(), description.as_deref());
            let mut created = api.post(&target.path, &body).await?;
            if let Some(object) = created.as_object_mut() {
                object.remove("@odata.context");
            }
            Ok(Report::new(created.clone(), added_text(&target.label, &created)))
        }
        FicCommand::List { owner } => {
            let target = locate(api, connection_tenant, &owner).await?;
            let all = api.list(&target.path, &[]).await?;
            Ok(Report::new(Value::Array(all.clone()), list_text(&all)))
        }
        FicCommand::Remove { owner, credential } => {
            let target = locate(api, connection_tenant, &owner).await?;
            let found = api
                .get_optional(&format!("{}/{}", target.path, urlencode(credential.trim())))
                .await?
                .ok_or_else(|| {
                    AdminError::Usage(format!(
                        "{} has no federated identity credential named '{}' \
                         (see `custos federated-credential list`)",
                        target.label,
                        credential.trim()
                    ))
                })?;
            api.delete(&format!("{}/{}", target.path, urlencode(&field(&found, "id")))).await?;
            let text =
                format!("removed federated credential {} from {}\n", field(&found, "name"), target.label);
            let json = json!({
                "appId": target.owner["appId"],
                "id": found["id"],
                "name": found["name"],
                "removed": true,
            });
            Ok(Report::new(json, text))
        }
    }
}

/// The `POST` body; the server applies the default audience when none is given.
fn add_body(
    name: &str,
    issuer: &str,
    subject: &str,
    audience: Option<&str>,
    description: Option<&str>,
) -> Value {
    let mut body = json!({"name": name, "issuer": issuer, "subject": subject});
    if let Some(audience) = audience {
        body["audiences"] = json!([audience]);
    }
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    body
}

fn audience(credential: &Value) -> String {
    credential
        .get("audiences")
        .and_then(Value::as_array)
        .map_or_else(String::new, |all| all.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
}

fn added_text(owner: &str, created: &Value) -> String {
    details(&[
        ("owner", owner.to_owned()),
        ("id", field(created, "id")),
        ("name", field(created, "name")),
        ("issuer", field(created, "issuer")),
        ("subject", field(created, "subject")),
        ("audience", audience(created)),
        ("description", field(created, "description")),
    ])
}

fn list_text(all: &[Value]) -> String {
    let mut table = Table::new(&["NAME", "ID", "ISSUER", "SUBJECT", "AUDIENCE"]);
    for c in all {
        table.row([field(c, "name"), field(c, "id"), field(c, "issuer"), field(c, "subject"), audience(c)]);
    }
    table.render_or("no federated identity credentials")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: FicCommand,
    }

    #[test]
    fn the_command_line_takes_the_owner_and_the_required_properties() {
        let add = ["x", "add", "app", "--name", "n", "--issuer", "https://i", "--subject", "s"];
        assert!(Cli::try_parse_from(add).is_ok());
        assert!(Cli::try_parse_from(&add[..7]).is_err(), "--subject is required");
        assert!(Cli::try_parse_from(["x", "list", "worker", "--mi", "--for", "t"]).is_ok());
        assert!(Cli::try_parse_from(["x", "list", "app", "--for", "t"]).is_err(), "--for needs --mi");
        let Cli { command: FicCommand::Remove { owner, credential } } =
            Cli::try_parse_from(["x", "remove", "worker", "gh", "--mi"]).unwrap()
        else {
            panic!("parsed as another command");
        };
        assert_eq!((owner.app.as_str(), owner.mi, credential.as_str()), ("worker", true, "gh"));
    }

    #[test]
    fn the_body_carries_only_what_was_given() {
        assert_eq!(
            add_body("gh", "https://i", "repo:x", None, None),
            json!({"name": "gh", "issuer": "https://i", "subject": "repo:x"})
        );
        assert_eq!(
            add_body("gh", "https://i", "repo:x", Some("api://a"), Some("d")),
            json!({"name": "gh", "issuer": "https://i", "subject": "repo:x",
                   "audiences": ["api://a"], "description": "d"})
        );
    }

    #[test]
    fn credentials_are_listed_as_a_table() {
        let rows =
            [json!({"name": "gh", "id": "i1", "issuer": "https://i", "subject": "s", "audiences": ["a"]})];
        assert_eq!(
            list_text(&rows),
            "NAME  ID  ISSUER     SUBJECT  AUDIENCE\ngh    i1  https://i  s        a\n"
        );
        assert_eq!(list_text(&[]), "no federated identity credentials\n");
        assert_eq!(
            added_text("ci (a1)", &rows[0]),
            "owner        ci (a1)\nid           i1\nname         gh\nissuer       https://i\n\
             subject      s\naudience     a\ndescription\n"
        );
    }
}

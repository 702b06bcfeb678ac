//! `custos user ...`: users of the tenant through Graph `/v1.0/users`, and their Global
//! Administrator role through `/v1.0/roleManagement/directory/roleAssignments`. Passwords are
//! read from stdin (`--password-stdin`) or generated and printed once; they never appear on the
//! command line.

use super::api::Api;
use super::error::AdminError;
use crate::output::{Report, Table, details, field};
use custos_core::Secret;
use custos_core::users::{DIRECTORY_ROLES, GLOBAL_ADMINISTRATOR, check_password_complexity};
use serde_json::{Value, json};
use std::io::Read;

const USERS: &str = "/v1.0/users";
const ROLE_ASSIGNMENTS: &str = "/v1.0/roleManagement/directory/roleAssignments";
/// The properties the CLI reads (Graph returns fewer by default).
const SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,accountEnabled,createdDateTime";

#[derive(Debug, clap::Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user; without --password-stdin a password is generated and printed once.
    Create(CreateArgs),
    /// List the users of the tenant.
    List,
    /// Show one user and their directory roles.
    Show {
        /// User principal name or object id.
        user: String,
    },
    /// Delete a user (their roles, consents, sessions and refresh tokens go with them).
    Delete {
        /// User principal name or object id.
        user: String,
    },
    /// Set a new password (generated unless --password-stdin); revokes the user's refresh tokens.
    ResetPassword {
        /// User principal name or object id.
        user: String,
        /// Read the new password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// User principal name, e.g. alice@contoso.custos.local (the domain must be the tenant's).
    upn: String,
    /// Display name (default: the part of the UPN before '@').
    #[arg(long, value_name = "NAME")]
    display_name: Option<String>,
    /// Given name.
    #[arg(long, value_name = "NAME")]
    given_name: Option<String>,
    /// Surname.
    #[arg(long, value_name = "NAME")]
    surname: Option<String>,
    /// Read the password from standard input instead of generating one.
    #[arg(long)]
    password_stdin: bool,
    /// Also make the user a Global Administrator of the tenant.
    #[arg(long)]
    admin: bool,
}

pub(crate) async fn run(api: &Api, command: UserCommand) -> Result<Report, AdminError> {
    match command {
        UserCommand::Create(args) => {
            let (password, generated) = password(args.password_stdin)?;
            let created = api.post(USERS, &create_body(&args, &password)).await?;
            let id = field(&created, "id");
            if args.admin {
                let body = json!({"roleDefinitionId": GLOBAL_ADMINISTRATOR.to_string(), "principalId": id, "directoryScopeId": "/"});
                api.post(ROLE_ASSIGNMENTS, &body).await?;
            }
            let user = api.get_with_query(&format!("{USERS}/{id}"), &[("$select", SELECT)]).await?;
            let roles = role_names(api, &id).await?;
            report_with_password(&user, &roles, generated.then_some(&password))
        }
        UserCommand::List => {
            let users = api.list(USERS, &[("$select", SELECT)]).await?;
            Ok(Report::new(Value::Array(users.clone()), list_text(&users)))
        }
        UserCommand::Show { user } => {
            let user = resolve_user(api, &user).await?;
            let roles = role_names(api, &field(&user, "id")).await?;
            let mut json = user.clone();
            json["directoryRoles"] = json!(roles);
            Ok(Report::new(json, show_text(&user, &roles, None)))
        }
        UserCommand::Delete { user } => {
            let user = resolve_user(api, &user).await?;
            api.delete(&format!("{USERS}/{}", field(&user, "id"))).await?;
            let text =
                format!("deleted user {} ({})\n", field(&user, "userPrincipalName"), field(&user, "id"));
            Ok(Report::new(
                json!({"id": user["id"], "userPrincipalName": user["userPrincipalName"], "deleted": true}),
                text,
            ))
        }
        UserCommand::ResetPassword { user, password_stdin } => {
            let user = resolve_user(api, &user).await?;
            let (password, generated) = password(password_stdin)?;
            let body = json!({"passwordProfile": {"password": password.expose()}});
            api.patch(&format!("{USERS}/{}", field(&user, "id")), &body).await?;
            let roles = role_names(api, &field(&user, "id")).await?;
            report_with_password(&user, &roles, generated.then_some(&password))
        }
    }
}

/// The password to set: read from stdin (one line, without its line ending), or generated.
fn password(from_stdin: bool) -> Result<(Secret<String>, bool), AdminError> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| AdminError::Usage(format!("cannot read the password from stdin: {e}")))?;
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let line = line.strip_suffix('\r').unwrap_or(line);
        return Ok((Secret::new(line.to_owned()), false));
    }
    Ok((Secret::new(generate_password()), true))
}

/// A password that meets Entra's policy: a client secret (40 characters of letters, digits and
/// `~ . _ -`), drawn again in the rare case it lacks three character classes.
pub(crate) fn generate_password() -> String {
    loop {
        let candidate = custos_jose::secret::generate_client_secret();
        if check_password_complexity(&candidate).is_ok() {
            return candidate;
        }
    }
}

fn create_body(args: &CreateArgs, password: &Secret<String>) -> Value {
    let local = args.upn.split('@').next().unwrap_or(&args.upn);
    let mut body = json!({
        "accountEnabled": true,
        "displayName": args.display_name.as_deref().unwrap_or(local),
        "userPrincipalName": args.upn,
        "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": password.expose()},
    });
    if let Some(given) = &args.given_name {
        body["givenName"] = json!(given);
    }
    if let Some(surname) = &args.surname {
        body["surname"] = json!(surname);
    }
    body
}

/// A user by object id or user principal name.
async fn resolve_user(api: &Api, input: &str) -> Result<Value, AdminError> {
    if input.parse::<uuid::Uuid>().is_ok() {
        return api.get_with_query(&format!("{USERS}/{input}"), &[("$select", SELECT)]).await;
    }
    let filter = format!("userPrincipalName eq '{}'", input.replace('\'', "''"));
    let found = api.list(USERS, &[("$filter", &filter), ("$select", SELECT)]).await?;
    found.into_iter().next().ok_or_else(|| {
        AdminError::Usage(format!("no user matches '{input}'\nhint: `custos user list` shows them"))
    })
}

/// The names of the directory roles a user holds.
async fn role_names(api: &Api, user_id: &str) -> Result<Vec<String>, AdminError> {
    let filter = format!("principalId eq '{user_id}'");
    let assignments = api.list(ROLE_ASSIGNMENTS, &[("$filter", &filter)]).await?;
    Ok(assignments
        .iter()
        .map(|a| {
            let id = field(a, "roleDefinitionId");
            DIRECTORY_ROLES
                .iter()
                .find(|(role, _)| role.to_string() == id)
                .map_or(id, |(_, name)| (*name).to_owned())
        })
        .collect())
}

fn report_with_password(
    user: &Value,
    roles: &[String],
    generated: Option<&Secret<String>>,
) -> Result<Report, AdminError> {
    let mut json = user.clone();
    json["directoryRoles"] = json!(roles);
    let Some(password) = generated else { return Ok(Report::new(json, show_text(user, roles, None))) };
    json["password"] = json!(password.expose());
    let text = show_text(user, roles, Some(password.expose()));
    Ok(Report::new(json, text).with_notice("The password is shown only once: store it now."))
}

fn list_text(users: &[Value]) -> String {
    let mut table = Table::new(&["USER PRINCIPAL NAME", "OBJECT ID", "NAME", "ENABLED"]);
    for user in users {
        table.row([
            field(user, "userPrincipalName"),
            field(user, "id"),
            field(user, "displayName"),
            field(user, "accountEnabled"),
        ]);
    }
    table.render_or("no users")
}

fn show_text(user: &Value, roles: &[String], password: Option<&str>) -> String {
    let mut pairs = vec![
        ("user", field(user, "userPrincipalName")),
        ("object id", field(user, "id")),
        ("name", field(user, "displayName")),
        ("given name", field(user, "givenName")),
        ("surname", field(user, "surname")),
        ("enabled", field(user, "accountEnabled")),
        ("directory roles", if roles.is_empty() { "(none)".to_owned() } else { roles.join(", ") }),
        ("created", field(user, "createdDateTime")),
    ];
    if let Some(password) = password {
        pairs.push(("password", password.to_owned()));
    }
    details(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..50 {
            assert_eq!(check_password_complexity(&generate_password()), Ok(()));
        }
    }

    #[test]
    fn create_sends_graph_s_user_shape() {
        let args = CreateArgs {
            upn: "alice@contoso.custos.local".to_owned(),
            display_name: None,
            given_name: Some("Alice".to_owned()),
            surname: None,
            password_stdin: false,
            admin: true,
        };
        let body = create_body(&args, &Secret::new("Passw0rd!".to_owned()));
        assert_eq!(
            body,
            json!({"accountEnabled": true, "displayName": "alice", "userPrincipalName": "alice@contoso.custos.local",
                   "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Passw0rd!"},
                   "givenName": "Alice"})
        );
    }

    #[test]
    fn a_generated_password_is_in_both_outputs_with_a_notice() {
        let user =
            json!({"id": "u1", "userPrincipalName": "a@b.c", "displayName": "A", "accountEnabled": true});
        let report = report_with_password(
            &user,
            &["Global Administrator".to_owned()],
            Some(&Secret::new("pw".to_owned())),
        )
        .unwrap();
        assert_eq!(report.json["password"], "pw");
        assert!(report.text.ends_with("password         pw\n"), "{}", report.text);
        assert!(report.text.contains("directory roles  Global Administrator\n"), "{}", report.text);
        assert!(report.notice.is_some());
        let quiet = report_with_password(&user, &[], None).unwrap();
        assert!(quiet.json.get("password").is_none() && quiet.notice.is_none());
    }

    #[test]
    fn lists_show_one_line_per_user() {
        let users =
            [json!({"userPrincipalName": "a@b.c", "id": "1", "displayName": "A", "accountEnabled": true})];
        assert_eq!(
            list_text(&users),
            "USER PRINCIPAL NAME  OBJECT ID  NAME  ENABLED\na@b.c                1          A     true\n"
        );
        assert_eq!(list_text(&[]), "no users\n");
    }
}

//! `custos secret ...`: client secrets of an application (`addPassword`/`removePassword`).
//!
//! A new secret is printed exactly once; the server keeps only a keyed hash of it.

use super::api::Api;
use super::app::object_path;
use super::error::AdminError;
use super::resolve::{Collection, resolve};
use crate::output::{Report, Table, details, field};
use custos_core::{Clock, ObjectId};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// Said on stderr after a new secret is printed.
pub(crate) const SHOWN_ONCE: &str =
    "warning: this secret is shown only now and cannot be shown again; store it in a safe place.";

/// Longest lifetime a secret may be given (Entra's own limit is two years by default).
const MAX_DAYS: u32 = 3650;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SecretCommand {
    /// Create a client secret and print it once.
    Add {
        /// appId, object id or exact display name.
        app: String,
        /// A name that tells the secrets apart.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Days until the secret expires [default: the server's default, two years].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DAYS)))]
        days: Option<u32>,
    },
    /// List an application's secrets (hints and expiry only).
    List {
        /// appId, object id or exact display name.
        app: String,
    },
    /// Remove a secret by its key id.
    Remove {
        /// appId, object id or exact display name.
        app: String,
        /// The keyId shown by `custos secret list`.
        key_id: String,
    },
}

pub(crate) async fn run(api: &Api, clock: &dyn Clock, command: SecretCommand) -> Result<Report, AdminError> {
    match command {
        SecretCommand::Add { app, name, days } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            let body = add_body(name.as_deref(), days, clock)?;
            let created = api.post(&format!("{}/addPassword", object_path(&app)), &body).await?;
            Ok(Report::new(created.clone(), added_text(&app, &created)).with_notice(SHOWN_ONCE))
        }
        SecretCommand::List { app } => {
            let app = resolve(api, Collection::Applications, &app).await?;
            let secrets = app.get("passwordCredentials").cloned().unwrap_or_else(|| json!([]));
            Ok(Report::new(secrets, secrets_table(&app).render_or("no secrets")))
        }
        SecretCommand::Remove { app, key_id } => {
            let key_id: ObjectId = key_id.parse().map_err(|_| {
                AdminError::Usage(format!("'{key_id}' is not a key id (a GUID from `custos secret list`)"))
            })?;
            let app = resolve(api, Collection::Applications, &app).await?;
            api.post(&format!("{}/removePassword", object_path(&app)), &json!({"keyId": key_id.to_string()}))
                .await?;
            let text = format!(
                "removed secret {key_id} from {} ({})\n",
                field(&app, "displayName"),
                field(&app, "appId")
            );
            Ok(Report::new(
                json!({"appId": app["appId"], "keyId": key_id.to_string(), "removed": true}),
                text,
            ))
        }
    }
}

/// The `addPassword` request; the end date is computed from the injected clock.
fn add_body(name: Option<&str>, days: Option<u32>, clock: &dyn Clock) -> Result<Value, AdminError> {
    let mut credential = json!({});
    if let Some(name) = name {
        credential["displayName"] = json!(name);
    }
    if let Some(days) = days {
        let now = clock.now();
        // Whole seconds: the sub-second part of "now" means nothing for an expiry date.
        let end = now - time::Duration::nanoseconds(i64::from(now.nanosecond()))
            + time::Duration::days(i64::from(days));
        let end = end
            .format(&Rfc3339)
            .map_err(|e| AdminError::Usage(format!("cannot express the end date: {e}")))?;
        credential["endDateTime"] = json!(end);
    }
    Ok(json!({"passwordCredential": credential}))
}

fn added_text(app: &Value, created: &Value) -> String {
    details(&[
        ("application", format!("{} ({})", field(app, "displayName"), field(app, "appId"))),
        ("key id", field(created, "keyId")),
        ("name", field(created, "displayName")),
        ("expires", field(created, "endDateTime")),
        ("secret", field(created, "secretText")),
    ])
}

/// The secrets of an application as a table (never their values, which the server does not keep).
pub(crate) fn secrets_table(app: &Value) -> Table {
    let mut table = Table::new(&["KEY ID", "NAME", "HINT", "STARTS", "EXPIRES"]);
    for secret in app.get("passwordCredentials").and_then(Value::as_array).into_iter().flatten() {
        table.row([
            field(secret, "keyId"),
            field(secret, "displayName"),
            field(secret, "hint"),
            field(secret, "startDateTime"),
            field(secret, "endDateTime"),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::FixedClock;
    use time::macros::datetime;

    #[test]
    fn the_end_date_comes_from_the_clock() {
        let clock = FixedClock::new(datetime!(2026-01-01 00:00:00.123456 UTC));
        assert_eq!(
            add_body(Some("ci"), Some(30), &clock).unwrap(),
            json!({"passwordCredential": {"displayName": "ci", "endDateTime": "2026-01-31T00:00:00Z"}})
        );
        assert_eq!(add_body(None, None, &clock).unwrap(), json!({"passwordCredential": {}}));
    }

    #[test]
    fn a_new_secret_is_printed_with_its_key_id() {
        let app = json!({"displayName": "Daemon", "appId": "a1"});
        let created = json!({"keyId": "k1", "displayName": "ci", "endDateTime": "2028-01-01T00:00:00Z", "secretText": "abc~123", "hint": "abc"});
        assert_eq!(
            added_text(&app, &created),
            "application  Daemon (a1)\nkey id       k1\nname         ci\nexpires      2028-01-01T00:00:00Z\nsecret       abc~123\n"
        );
    }

    #[test]
    fn secret_lists_show_hints_not_values() {
        let app = json!({"passwordCredentials": [
            {"keyId": "k1", "displayName": "ci", "hint": "abc", "startDateTime": "s", "endDateTime": "e", "secretText": null}
        ]});
        assert_eq!(
            secrets_table(&app).render_or("no secrets"),
            "KEY ID  NAME  HINT  STARTS  EXPIRES\nk1      ci    abc   s       e\n"
        );
        assert_eq!(secrets_table(&json!({})).render_or("no secrets"), "no secrets\n");
    }
}

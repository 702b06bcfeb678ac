//! `custos keys ...`: the token-signing keys, through custos's own admin API
//! `/admin/v1/signing-keys` (app role `Custos.Admin` of the home tenant).

use super::api::Api;
use super::error::AdminError;
use crate::output::{Report, Table, details, field};
use custos_core::duration::parse_duration;
use serde_json::{Value, json};

const SIGNING_KEYS: &str = "/admin/v1/signing-keys";
const ROTATE: &str = "/admin/v1/signing-keys/rotate";

#[derive(Debug, clap::Subcommand)]
pub(crate) enum KeysCommand {
    /// List the signing keys with their states (next, current, retired) and dates.
    List,
    /// Create and publish a new signing key now; it starts signing after --activate-in.
    Rotate {
        /// When the new key starts signing: 0s (at once, for drills) or at least the server's
        /// publish-ahead time, e.g. 24h or 7d [default: the publish-ahead time].
        #[arg(long, value_name = "DURATION", value_parser = check_duration)]
        activate_in: Option<String>,
    },
}

/// Checks the syntax locally; the server decides whether the delay is allowed.
fn check_duration(value: &str) -> Result<String, String> {
    parse_duration(value).map(|_| value.to_owned()).map_err(|e| e.to_string())
}

pub(crate) async fn run(api: &Api, command: KeysCommand) -> Result<Report, AdminError> {
    match command {
        KeysCommand::List => {
            let keys = api.list(SIGNING_KEYS, &[]).await?;
            Ok(Report::new(Value::Array(keys.clone()), list_text(&keys)))
        }
        KeysCommand::Rotate { activate_in } => {
            let body = activate_in.map_or_else(|| json!({}), |d| json!({ "activateIn": d }));
            let key = api.post(ROTATE, &body).await?;
            Ok(Report::new(key.clone(), rotated_text(&key)))
        }
    }
}

fn list_text(keys: &[Value]) -> String {
    let mut table = Table::new(&["KID", "STATE", "CREATED", "ACTIVATES", "RETIRES"]);
    for k in keys {
        table.row([
            field(k, "kid"),
            field(k, "state"),
            field(k, "created"),
            field(k, "activates"),
            field(k, "retires"),
        ]);
    }
    table.render_or("no signing keys")
}

fn rotated_text(key: &Value) -> String {
    details(&[
        ("kid", field(key, "kid")),
        ("state", field(key, "state")),
        ("created", field(key, "created")),
        ("activates", field(key, "activates")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Value> {
        vec![
            json!({"kid": "old-kid", "state": "retired", "created": "2030-01-01T00:00:00Z",
                   "activates": "2030-01-01T00:00:00Z", "retires": "2030-01-02T01:04:59Z"}),
            json!({"kid": "new-kid", "state": "current", "created": "2030-01-01T00:00:00Z",
                   "activates": "2030-01-01T00:00:00Z", "retires": null}),
        ]
    }

    #[test]
    fn key_lists_are_tables() {
        assert_eq!(
            list_text(&keys()),
            "KID      STATE    CREATED               ACTIVATES             RETIRES\n\
             old-kid  retired  2030-01-01T00:00:00Z  2030-01-01T00:00:00Z  2030-01-02T01:04:59Z\n\
             new-kid  current  2030-01-01T00:00:00Z  2030-01-01T00:00:00Z\n"
        );
        assert_eq!(list_text(&[]), "no signing keys\n");
    }

    #[test]
    fn a_rotation_shows_the_new_key() {
        assert_eq!(
            rotated_text(&keys()[1]),
            "kid        new-kid\nstate      current\ncreated    2030-01-01T00:00:00Z\nactivates  2030-01-01T00:00:00Z\n"
        );
    }

    #[test]
    fn durations_are_checked_before_calling_the_server() {
        assert_eq!(check_duration("0s"), Ok("0s".to_owned()));
        assert_eq!(check_duration("7d"), Ok("7d".to_owned()));
        assert!(check_duration("tomorrow").unwrap_err().contains("is not a duration"));
    }
}

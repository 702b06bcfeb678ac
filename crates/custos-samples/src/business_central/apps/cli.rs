//! `custos sample business-central apps ...`: the Microsoft Entra Applications page on the command
//! line. Each command edits the card store in `--data-dir` and exits; a running sample sees the change
//! on its next request. Output is a table for people or, with `--output json`, one JSON document:
//! this module answers with records ([`AppsOutput`]) and the `custos` binary prints them.

use std::path::PathBuf;

use custos_core::Clock;
use sqlx::SqlitePool;

use super::super::db::Db;
use super::Description;
use super::model::{AppError, AppState, Application, ClientId};
use super::store::Applications;

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned table.
    #[default]
    Table,
    /// One JSON document.
    Json,
}

/// Options every `apps` command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct AppsArgs {
    /// The sample's data directory (the same as `--data-dir` of the running sample).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-sample-data")]
    pub data_dir: PathBuf,
    /// `table` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// A permission set on a card's user, as `grant` and `revoke` name it.
#[derive(Debug, Clone, clap::Args)]
pub struct Assignment {
    /// The card's Client ID.
    pub client_id: String,
    /// The permission set's role id (SUPER cannot be assigned to applications).
    pub permission_set: String,
    /// The company the assignment is limited to (name); all companies when absent.
    #[arg(long, default_value = "")]
    pub company: String,
    #[command(flatten)]
    pub args: AppsArgs,
}

/// The Microsoft Entra Applications card (BC page 9860/9861).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AppsCommand {
    /// New card: Client ID and Description; the State starts Disabled.
    Add {
        /// The Application (client) ID of the Entra app registration.
        client_id: String,
        /// Who the app is (partners: enough to identify the partner); at most 50 characters.
        #[arg(long)]
        description: String,
        #[command(flatten)]
        args: AppsArgs,
    },
    /// Changes the Description (only while the app is Disabled).
    Set {
        /// The card's Client ID.
        client_id: String,
        /// The new Description.
        #[arg(long)]
        description: String,
        #[command(flatten)]
        args: AppsArgs,
    },
    /// State = Enabled: the app's tokens are accepted.
    Enable {
        /// The card's Client ID.
        client_id: String,
        #[command(flatten)]
        args: AppsArgs,
    },
    /// State = Disabled: the app's tokens get 401; the card becomes editable.
    Disable {
        /// The card's Client ID.
        client_id: String,
        #[command(flatten)]
        args: AppsArgs,
    },
    /// Assigns a permission set (e.g. "D365 BUS FULL ACCESS", "D365 READ", "D365 AUTOMATION").
    Grant(Assignment),
    /// Removes a permission set.
    Revoke(Assignment),
    /// Deletes the card and its user (only while the app is Disabled).
    Delete {
        /// The card's Client ID.
        client_id: String,
        #[command(flatten)]
        args: AppsArgs,
    },
    /// Lists every card.
    List {
        #[command(flatten)]
        args: AppsArgs,
    },
}

impl AppsCommand {
    /// The options shared by every command.
    pub fn args(&self) -> &AppsArgs {
        match self {
            Self::Add { args, .. }
            | Self::Set { args, .. }
            | Self::Enable { args, .. }
            | Self::Disable { args, .. }
            | Self::Grant(Assignment { args, .. })
            | Self::Revoke(Assignment { args, .. })
            | Self::Delete { args, .. }
            | Self::List { args } => args,
        }
    }
}

/// The columns of the card table, in the order of [`AppsOutput::rows`].
pub const CARD_COLUMNS: [&str; 4] = ["CLIENT ID", "DESCRIPTION", "STATE", "PERMISSION SETS"];

/// What an `apps` command answers, as records: this crate does no terminal layout. The `custos`
/// binary prints [`json`](Self::json) for `--output json` and otherwise lays [`rows`](Self::rows)
/// out under [`CARD_COLUMNS`] with the command line's one table renderer, or prints
/// [`instead`](Self::instead) when there is no row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppsOutput {
    /// The JSON document: an array of cards for `list`, the card for the commands that change
    /// one, `{"deleted": CLIENT_ID}` for `delete`.
    pub json: serde_json::Value,
    /// One row per card (the cells of [`CARD_COLUMNS`]); none for `delete` and an empty list.
    pub rows: Vec<[String; 4]>,
    /// The line to print when there are no rows.
    pub instead: String,
}

impl AppsOutput {
    /// `list`: every card, as an array.
    fn listed(cards: &[Application]) -> Self {
        Self::of(cards, to_json(cards))
    }

    /// A command that changed one card: the card.
    fn changed(card: &Application) -> Self {
        Self::of(std::slice::from_ref(card), to_json(card))
    }

    fn of(cards: &[Application], json: serde_json::Value) -> Self {
        let rows = cards
            .iter()
            .map(|c| {
                let sets =
                    if c.permission_sets.is_empty() { "-".to_owned() } else { c.permission_sets.join(", ") };
                [c.client_id.clone(), c.description.clone(), c.state.clone(), sets]
            })
            .collect();
        Self { json, rows, instead: "no Microsoft Entra applications".to_owned() }
    }
}

/// Cards as JSON (plain strings: serialising them cannot fail).
fn to_json(value: &(impl serde::Serialize + ?Sized)) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Runs one command against the card store in its `--data-dir`.
pub async fn execute(command: &AppsCommand, clock: &dyn Clock) -> anyhow::Result<AppsOutput> {
    let db = Db::open(&command.args().data_dir, clock).await?;
    let result = run(command, db.pool(), clock).await;
    db.close().await;
    Ok(result?)
}

/// Runs one command against the store.
pub(crate) async fn run(
    command: &AppsCommand,
    pool: &SqlitePool,
    clock: &dyn Clock,
) -> Result<AppsOutput, AppError> {
    let store = Applications::new(pool, clock);
    let card = match command {
        AppsCommand::Add { client_id, description, .. } => {
            store.add(client_id.parse()?, &Description::parse(description)?).await?
        }
        AppsCommand::Set { client_id, description, .. } => {
            store.set_description(client_id.parse()?, &Description::parse(description)?).await?
        }
        AppsCommand::Enable { client_id, .. } => {
            store.set_state(client_id.parse()?, AppState::Enabled).await?
        }
        AppsCommand::Disable { client_id, .. } => {
            store.set_state(client_id.parse()?, AppState::Disabled).await?
        }
        AppsCommand::Grant(Assignment { client_id, permission_set, company, .. }) => {
            store.grant(client_id.parse()?, permission_set, company).await?
        }
        AppsCommand::Revoke(Assignment { client_id, permission_set, company, .. }) => {
            store.revoke(client_id.parse()?, permission_set, company).await?
        }
        AppsCommand::Delete { client_id, .. } => {
            let id: ClientId = client_id.parse()?;
            store.delete(id).await?;
            return Ok(AppsOutput {
                json: serde_json::json!({ "deleted": id.to_string() }),
                rows: Vec::new(),
                instead: format!("deleted {id}"),
            });
        }
        AppsCommand::List { .. } => return Ok(AppsOutput::listed(&store.list().await?)),
    };
    Ok(AppsOutput::changed(&card))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: &str, sets: &[&str]) -> Application {
        Application {
            client_id: id.to_owned(),
            description: "Contoso integration".to_owned(),
            state: "Enabled".to_owned(),
            user_security_id: "u".to_owned(),
            user_name: "CONTOSO INTEGRATION".to_owned(),
            permission_sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn cards_become_rows_with_a_dash_for_no_permission_sets() {
        let cards = [card("a", &["D365 READ", "D365 AUTOMATION"]), card("bb", &[])];
        let output = AppsOutput::listed(&cards);
        assert_eq!(
            output.rows,
            [
                ["a", "Contoso integration", "Enabled", "D365 READ, D365 AUTOMATION"].map(str::to_owned),
                ["bb", "Contoso integration", "Enabled", "-"].map(str::to_owned),
            ]
        );
        assert_eq!(output.json[0]["clientId"], "a");
        assert_eq!(output.json[0]["permissionSets"][1], "D365 AUTOMATION");
        let one = AppsOutput::changed(&cards[1]);
        assert_eq!((one.json["clientId"].as_str(), one.rows.len()), (Some("bb"), 1));
        let none = AppsOutput::listed(&[]);
        assert_eq!((none.json, none.rows.len()), (serde_json::json!([]), 0));
        assert_eq!(none.instead, "no Microsoft Entra applications");
    }
}

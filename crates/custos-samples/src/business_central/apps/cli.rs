//! `custos sample business-central apps ...`: the Microsoft Entra Applications page on the command
//! line. Each command edits the card store in `--data-dir` and exits; a running sample sees the change
//! on its next request. Output is a table for people or, with `--output json`, one JSON document.

use std::path::PathBuf;

use custos_core::Clock;
use sqlx::SqlitePool;

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

/// Runs one command against the store and returns what to print on stdout.
pub(crate) async fn run(
    command: &AppsCommand,
    pool: &SqlitePool,
    clock: &dyn Clock,
) -> Result<String, AppError> {
    let store = Applications::new(pool, clock);
    let output = command.args().output;
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
            return Ok(match output {
                OutputFormat::Json => format!("{}\n", serde_json::json!({ "deleted": id.to_string() })),
                OutputFormat::Table => format!("deleted {id}\n"),
            });
        }
        AppsCommand::List { .. } => return Ok(render(&store.list().await?, output, true)),
    };
    Ok(render(std::slice::from_ref(&card), output, false))
}

/// A table of cards, or JSON (an array for `list`, the one card otherwise).
fn render(cards: &[Application], output: OutputFormat, as_list: bool) -> String {
    match output {
        OutputFormat::Json if as_list => {
            format!("{}\n", serde_json::to_string_pretty(cards).unwrap_or_default())
        }
        OutputFormat::Json => cards
            .first()
            .map(|c| format!("{}\n", serde_json::to_string_pretty(c).unwrap_or_default()))
            .unwrap_or_default(),
        OutputFormat::Table if cards.is_empty() => "no Microsoft Entra applications\n".to_owned(),
        OutputFormat::Table => {
            let rows: Vec<[String; 4]> = cards
                .iter()
                .map(|c| {
                    let sets = if c.permission_sets.is_empty() {
                        "-".to_owned()
                    } else {
                        c.permission_sets.join(", ")
                    };
                    [c.client_id.clone(), clean(&c.description), c.state.clone(), sets]
                })
                .collect();
            table(["CLIENT ID", "DESCRIPTION", "STATE", "PERMISSION SETS"], &rows)
        }
    }
}

fn table<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = headers.map(str::to_owned);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Control characters never reach the terminal (descriptions refuse them; older data might not).
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
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
    fn tables_align_and_json_is_one_document() {
        let cards = [card("a", &["D365 READ", "D365 AUTOMATION"]), card("bb", &[])];
        assert_eq!(
            render(&cards, OutputFormat::Table, true),
            "CLIENT ID  DESCRIPTION          STATE    PERMISSION SETS\n\
             a          Contoso integration  Enabled  D365 READ, D365 AUTOMATION\n\
             bb         Contoso integration  Enabled  -\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&cards, OutputFormat::Json, true)).unwrap();
        assert_eq!(json[0]["clientId"], "a");
        assert_eq!(json[0]["permissionSets"][1], "D365 AUTOMATION");
        let one: serde_json::Value =
            serde_json::from_str(&render(&cards[..1], OutputFormat::Json, false)).unwrap();
        assert_eq!(one["state"], "Enabled");
        assert_eq!(render(&[], OutputFormat::Table, true), "no Microsoft Entra applications\n");
    }
}

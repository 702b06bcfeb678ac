//! The admin CLI: `custos app|sp|secret|cert|federated-credential|role|token|tenant|keys|settings|mi|user|consent|logs ...`
//! (`logs` lives in [`crate::logs`]).
//!
//! A client of the HTTP APIs only (Graph subset under `/v1.0`, custos's admin API under
//! `/admin/v1`); it never opens the database. Each command resolves its connection
//! ([`connection`]), acquires a directory-API token with client credentials ([`api`]), runs, and
//! returns a [`crate::output::Report`] that is printed as a table or as one JSON document.

pub(crate) mod api;
mod app;
mod app_access;
mod cert;
mod cert_files;
mod connection;
mod consent;
pub(crate) mod error;
mod fic;
mod keys;
mod mi;
mod resolve;
mod role;
mod secret;
mod settings;
mod sp;
mod tenant;
mod token;
mod user;
pub(crate) use user::generate_password;

use connection::ConnectionArgs;
use custos_core::SystemClock;

/// A command group with the shared connection options.
#[derive(Debug, clap::Args)]
pub(crate) struct Group<C: clap::Subcommand> {
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(subcommand)]
    command: C,
}

/// Admin subcommands (flattened into the top-level command list).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AdminCommand {
    /// Manage application registrations.
    App(Group<app::AppCommand>),
    /// Manage service principals (applications' identities in the tenant).
    Sp(Group<sp::SpCommand>),
    /// Manage client secrets of applications.
    Secret(Group<secret::SecretCommand>),
    /// Manage certificate credentials of applications.
    Cert(Group<cert::CertCommand>),
    /// Manage federated identity credentials of applications and managed identities.
    #[command(alias = "fic")]
    FederatedCredential(Group<fic::FicCommand>),
    /// Grant, list and remove app roles of resource APIs.
    Role(Group<role::RoleCommand>),
    /// Acquire tokens, for testing.
    Token(Group<token::TokenCommand>),
    /// Manage tenants (custos admin API).
    Tenant(Group<tenant::TenantCommand>),
    /// List and rotate the token-signing keys (custos admin API).
    Keys(Group<keys::KeysCommand>),
    /// Show and change per-tenant settings, e.g. assertionReplay (custos admin API).
    Settings(Group<settings::SettingsCommand>),
    /// Manage managed identities and their agent credentials (custos admin API).
    Mi(Group<mi::MiCommand>),
    /// Manage users and make them administrators (Graph users and directory roles).
    User(Group<user::UserCommand>),
    /// Grant, list and revoke an administrator's consent to an application's permissions.
    Consent(Group<consent::ConsentCommand>),
    /// Read the directory audit and sign-in logs (Graph auditLogs; app role AuditLog.Read.All).
    Logs(Group<crate::logs::LogsCommand>),
}

impl AdminCommand {
    fn connection(&self) -> &ConnectionArgs {
        match self {
            Self::App(g) => &g.connection,
            Self::Sp(g) => &g.connection,
            Self::Secret(g) => &g.connection,
            Self::Cert(g) => &g.connection,
            Self::FederatedCredential(g) => &g.connection,
            Self::Role(g) => &g.connection,
            Self::Token(g) => &g.connection,
            Self::Tenant(g) => &g.connection,
            Self::Keys(g) => &g.connection,
            Self::Settings(g) => &g.connection,
            Self::Mi(g) => &g.connection,
            Self::User(g) => &g.connection,
            Self::Consent(g) => &g.connection,
            Self::Logs(g) => &g.connection,
        }
    }
}

/// Runs one admin command against the server its connection options name.
pub(crate) async fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let format = cmd.connection().output_format(&env)?;
    let connection = cmd.connection().resolve(&env)?;
    let connection_tenant = connection.tenant.clone();
    let http = api::Http::new(connection)?;
    let report = match cmd {
        AdminCommand::Token(g) => token::run(&http, g.command).await?,
        AdminCommand::App(g) => app::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Sp(g) => sp::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Secret(g) => secret::run(&http.into_api().await?, &SystemClock, g.command).await?,
        AdminCommand::Cert(g) => cert::run(&http.into_api().await?, &SystemClock, g.command).await?,
        AdminCommand::FederatedCredential(g) => {
            fic::run(&http.into_api().await?, &connection_tenant, g.command).await?
        }
        AdminCommand::Role(g) => role::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Tenant(g) => tenant::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Keys(g) => keys::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Settings(g) => {
            settings::run(&http.into_api().await?, &connection_tenant, g.command).await?
        }
        AdminCommand::Mi(g) => {
            mi::run(&http.into_api().await?, &SystemClock, &connection_tenant, g.command).await?
        }
        AdminCommand::User(g) => user::run(&http.into_api().await?, g.command).await?,
        AdminCommand::Consent(g) => {
            consent::run(&http.into_api().await?, &connection_tenant, g.command).await?
        }
        AdminCommand::Logs(g) if g.command.follows() => {
            let api = http.into_api().await?;
            return crate::logs::follow(&api, &SystemClock, g.command, format, &mut std::io::stdout()).await;
        }
        AdminCommand::Logs(g) => crate::logs::run(&http.into_api().await?, &SystemClock, g.command).await?,
    };
    report.print(format)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: AdminCommand,
    }

    #[test]
    fn the_command_line_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn connection_options_are_accepted_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "custos",
            "app",
            "list",
            "--server",
            "https://h:1",
            "--tenant",
            "t",
            "--client-id",
            "c",
            "--output",
            "json",
        ])
        .unwrap();
        let conn = cli.command.connection();
        assert_eq!(conn.server.as_deref(), Some("https://h:1"));
        assert_eq!(conn.tenant.as_deref(), Some("t"));
        assert_eq!(conn.client_id.as_deref(), Some("c"));
        assert_eq!(conn.output, Some(crate::output::OutputFormat::Json));
    }

    #[test]
    fn tenant_show_does_not_take_over_the_tenant_option() {
        let cli = Cli::try_parse_from(["custos", "tenant", "show", "contoso.custos.local"]).unwrap();
        assert_eq!(cli.command.connection().tenant, None);
        let AdminCommand::Tenant(Group { command: tenant::TenantCommand::Show { tenant }, .. }) = cli.command
        else {
            panic!("parsed as another command");
        };
        assert_eq!(tenant, "contoso.custos.local");
    }

    /// Generated secrets may start with `-` (it is in Entra's secret alphabet): such a value
    /// after `--client-secret` is the secret, not another option.
    #[test]
    fn a_client_secret_may_start_with_a_hyphen() {
        let cli =
            Cli::try_parse_from(["custos", "token", "get", "--scope", "s", "--client-secret", "-Ahb.x~y"]);
        assert!(cli.is_ok(), "{cli:?}");
    }

    #[test]
    fn token_get_needs_a_scope_or_a_v1_resource() {
        assert!(Cli::try_parse_from(["custos", "token", "get"]).is_err());
        assert!(Cli::try_parse_from(["custos", "token", "get", "--v1"]).is_err());
        assert!(
            Cli::try_parse_from(["custos", "token", "get", "--scope", "s", "--v1", "--resource", "r"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["custos", "token", "get", "--v1", "--resource", "api://r"]).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "token", "get", "--scope", "api://r/.default", "--decode"])
                .is_ok()
        );
    }

    #[test]
    fn role_list_needs_exactly_one_side() {
        assert!(Cli::try_parse_from(["custos", "role", "list"]).is_err());
        assert!(Cli::try_parse_from(["custos", "role", "list", "--resource", "a", "--client", "b"]).is_err());
        assert!(Cli::try_parse_from(["custos", "role", "list", "--client", "b"]).is_ok());
    }

    #[test]
    fn cert_commands_take_the_app_as_an_option() {
        assert!(Cli::try_parse_from(["custos", "cert", "add", "--app", "a", "--cert", "c.pem"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "cert", "add", "a", "--cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["custos", "cert", "list", "--app", "a"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "cert", "remove", "--app", "a", "k"]).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "cert", "create", "--app", "a", "--out", "d", "--days", "0"])
                .is_err()
        );
        assert!(
            Cli::try_parse_from(["custos", "cert", "create", "--app", "a", "--out", "d", "--subject", "x"])
                .is_ok()
        );
    }

    #[test]
    fn keys_rotate_takes_an_optional_checked_delay() {
        assert!(Cli::try_parse_from(["custos", "keys", "list"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "keys", "rotate"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "keys", "rotate", "--activate-in", "0s"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "keys", "rotate", "--activate-in", "soon"]).is_err());
    }

    #[test]
    fn settings_take_a_key_a_value_and_an_optional_target() {
        assert!(Cli::try_parse_from(["custos", "settings", "show"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "settings", "show", "--for", "contoso.custos.local"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "settings", "set", "assertionReplay", "strict"]).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "settings", "set", "assertionReplay", "strict", "--tenant", "t"])
                .is_ok()
        );
        assert!(Cli::try_parse_from(["custos", "settings", "set", "assertionReplay"]).is_err());
    }

    #[test]
    fn mi_commands_parse() {
        assert!(Cli::try_parse_from(["custos", "mi", "create", "worker", "--for", "t"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "mi", "list"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "mi", "delete", "worker"]).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "mi", "credential", "create", "worker", "--out", "w.pem"]).is_ok()
        );
        assert!(Cli::try_parse_from(["custos", "mi", "credential", "create", "worker"]).is_err());
        assert!(
            Cli::try_parse_from(["custos", "mi", "credential", "create", "w", "--out", "f", "--days", "0"])
                .is_err()
        );
    }

    #[test]
    fn user_commands_parse() {
        assert!(
            Cli::try_parse_from(["custos", "user", "create", "a@b.c", "--admin", "--password-stdin"]).is_ok()
        );
        assert!(
            Cli::try_parse_from([
                "custos",
                "user",
                "create",
                "a@b.c",
                "--display-name",
                "A",
                "--given-name",
                "G",
                "--surname",
                "S"
            ])
            .is_ok()
        );
        assert!(Cli::try_parse_from(["custos", "user", "create"]).is_err());
        assert!(
            Cli::try_parse_from(["custos", "user", "create", "a@b.c", "--password", "x"]).is_err(),
            "no password on the command line"
        );
        assert!(Cli::try_parse_from(["custos", "user", "list"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "user", "show", "a@b.c"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "user", "delete", "a@b.c"]).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "user", "reset-password", "a@b.c", "--password-stdin"]).is_ok()
        );
    }

    #[test]
    fn consent_commands_parse() {
        assert!(Cli::try_parse_from(["custos", "consent", "grant", "app", "--for", "b.example"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "consent", "list", "app"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "consent", "revoke", "app"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "consent", "grant"]).is_err());
    }

    #[test]
    fn logs_commands_parse() {
        assert!(Cli::try_parse_from(["custos", "logs", "audits"]).is_ok());
        let all = ["custos", "logs", "audits", "--since", "1h", "--app", "a", "--failed", "--output", "json"];
        assert!(Cli::try_parse_from(all).is_ok());
        assert!(
            Cli::try_parse_from(["custos", "logs", "audits", "--follow", "--interval", "200ms"]).is_err()
        );
        assert!(Cli::try_parse_from(["custos", "logs", "audits", "--follow", "--interval", "1s"]).is_ok());
        assert!(Cli::try_parse_from(["custos", "logs", "audits", "--since", "an hour"]).is_err());
        assert!(
            Cli::try_parse_from(["custos", "logs", "audits", "--interval", "1s"]).is_err(),
            "needs --follow"
        );
        assert!(Cli::try_parse_from(["custos", "logs", "audits", "--follow", "--limit", "5"]).is_err());
        assert!(Cli::try_parse_from(["custos", "logs", "audits", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["custos", "logs"]).is_err());
    }

    #[test]
    fn token_versions_are_one_or_two() {
        assert!(Cli::try_parse_from(["custos", "app", "create", "x", "--token-version", "3"]).is_err());
        assert!(Cli::try_parse_from(["custos", "app", "create", "x", "--token-version", "2"]).is_ok());
    }
}

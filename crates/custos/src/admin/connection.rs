//! Where the admin CLI finds its server and credentials.
//!
//! Every admin command takes the same connection options. Each value comes from the first of:
//! the flag (`--server`, `--tenant`, `--client-id`, `--client-secret`, `--ca`), the environment
//! (`CUSTOS_SERVER`, `CUSTOS_TENANT`, `CUSTOS_CLIENT_ID`, `CUSTOS_CLIENT_SECRET` or
//! `CUSTOS_CLIENT_SECRET_FILE`, `CUSTOS_CA`), and the profile file that `custos init` writes
//! (`--profile`/`CUSTOS_PROFILE`, default `./custos-data/admin.json`). The environment is read
//! through an injected lookup so the precedence rules are tested without touching the process.

use crate::output::OutputFormat;
use custos_core::Secret;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The profile `custos init` writes, relative to the working directory.
pub(crate) const DEFAULT_PROFILE: &str = "./custos-data/admin.json";

/// Connection options shared by every admin command (global: accepted after any subcommand).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Connection")]
pub(crate) struct ConnectionArgs {
    /// Base URL of the custos server, e.g. https://localhost:8443 [env: CUSTOS_SERVER]
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) server: Option<String>,
    /// Tenant GUID or domain [env: CUSTOS_TENANT]
    #[arg(long, global = true, value_name = "TENANT")]
    pub(crate) tenant: Option<String>,
    /// Client id of the calling application [env: CUSTOS_CLIENT_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// Client secret of the calling application [env: CUSTOS_CLIENT_SECRET, CUSTOS_CLIENT_SECRET_FILE]
    #[arg(long, global = true, value_name = "SECRET", allow_hyphen_values = true)]
    pub(crate) client_secret: Option<Secret<String>>,
    /// PEM file with the CA that signed the server's certificate, e.g. DIR/tls/ca.pem [env: CUSTOS_CA]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// Admin profile written by `custos init` [env: CUSTOS_PROFILE] [default: ./custos-data/admin.json]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// `table` for people, `json` for scripts [env: CUSTOS_OUTPUT] [default: table]
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub(crate) output: Option<OutputFormat>,
}

/// Where to connect and as whom, after precedence was applied.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// `https://host[:port]`, without a trailing slash.
    pub(crate) server: String,
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret<String>,
    /// The only trust anchor for the server's certificate, when given.
    pub(crate) ca: Option<PathBuf>,
    /// The profile file that was consulted (named in hints), if any.
    pub(crate) profile: Option<PathBuf>,
}

/// Why the connection options are incomplete or unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error(
        "no {what} given: pass {flag}, set {env}, or run `custos init` to write a profile \
         ({profile_note})"
    )]
    Missing { what: &'static str, flag: &'static str, env: &'static str, profile_note: String },
    #[error(
        "no client secret for client {client_id}: pass --client-secret, or set CUSTOS_CLIENT_SECRET \
         or CUSTOS_CLIENT_SECRET_FILE{profile_hint}"
    )]
    MissingSecret { client_id: String, profile_hint: String },
    #[error("cannot read the profile {}: {error}", path.display())]
    ProfileUnreadable { path: PathBuf, error: std::io::Error },
    #[error("{} is not a custos admin profile: {error}", path.display())]
    ProfileInvalid { path: PathBuf, error: serde_json::Error },
    #[error("cannot read CUSTOS_CLIENT_SECRET_FILE ({}): {error}", path.display())]
    SecretFile { path: PathBuf, error: std::io::Error },
    #[error("the server URL '{0}' must start with https:// (custos serves only HTTPS)")]
    InsecureServer(String),
    #[error("unknown output format '{0}' in CUSTOS_OUTPUT: use table or json")]
    Output(String),
}

/// The fields of `admin.json` the CLI uses (it also holds `tenantDomain` and `graphBaseUrl`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    public_url: Option<String>,
    tenant_id: Option<String>,
    admin_client_id: Option<String>,
    admin_client_secret: Option<String>,
    ca_cert_path: Option<String>,
}

/// A profile that was looked for, and what was found.
struct LoadedProfile {
    path: PathBuf,
    found: Option<Profile>,
}

impl LoadedProfile {
    fn note(&self) -> String {
        match self.found {
            Some(_) => format!("the profile {} does not say", self.path.display()),
            None => format!("no profile at {}", self.path.display()),
        }
    }
}

impl ConnectionArgs {
    /// The output format: flag, then `CUSTOS_OUTPUT`, then table.
    pub(crate) fn output_format(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OutputFormat, ConfigError> {
        if let Some(format) = self.output {
            return Ok(format);
        }
        match env("CUSTOS_OUTPUT") {
            None => Ok(OutputFormat::Table),
            Some(v) => {
                <OutputFormat as clap::ValueEnum>::from_str(&v, true).map_err(|_| ConfigError::Output(v))
            }
        }
    }

    /// Applies flags > environment > profile. `env` returns a variable's value, `None` when unset
    /// or empty.
    pub(crate) fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Connection, ConfigError> {
        let server = self.server.clone().or_else(|| env("CUSTOS_SERVER"));
        let tenant = self.tenant.clone().or_else(|| env("CUSTOS_TENANT"));
        let client_id = self.client_id.clone().or_else(|| env("CUSTOS_CLIENT_ID"));
        let secret = match self.client_secret.clone() {
            Some(secret) => Some(secret),
            None => secret_from_env(env)?,
        };
        let ca = self.ca.clone().or_else(|| env("CUSTOS_CA").map(PathBuf::from));

        let needs_profile =
            server.is_none() || tenant.is_none() || client_id.is_none() || secret.is_none() || ca.is_none();
        let profile = if needs_profile { Some(self.load_profile(env)?) } else { None };
        let from_profile = |pick: fn(&Profile) -> Option<&String>| {
            profile.as_ref().and_then(|p| p.found.as_ref()).and_then(pick).cloned()
        };
        let missing = |what, flag, env| ConfigError::Missing {
            what,
            flag,
            env,
            profile_note: profile.as_ref().map(LoadedProfile::note).unwrap_or_default(),
        };

        let server = server
            .or_else(|| from_profile(|p| p.public_url.as_ref()))
            .ok_or_else(|| missing("server", "--server URL", "CUSTOS_SERVER"))?;
        let server = normalize_server(&server)?;
        let tenant = tenant
            .or_else(|| from_profile(|p| p.tenant_id.as_ref()))
            .ok_or_else(|| missing("tenant", "--tenant", "CUSTOS_TENANT"))?;
        let profile_client = from_profile(|p| p.admin_client_id.as_ref());
        let client_id = client_id
            .or_else(|| profile_client.clone())
            .ok_or_else(|| missing("client id", "--client-id", "CUSTOS_CLIENT_ID"))?;
        // The profile's secret belongs to the profile's client, never to another one.
        let client_secret = match secret {
            Some(secret) => secret,
            None if profile_client.as_deref() == Some(client_id.as_str()) => {
                from_profile(|p| p.admin_client_secret.as_ref()).map(Secret::new).ok_or_else(|| {
                    ConfigError::MissingSecret {
                profile_hint: profile.as_ref().map_or_else(String::new, |p| {
                    format!(
                        ", or put it into \"adminClientSecret\" in {} (init shows a secret only once)",
                        p.path.display()
                    )
                }),
                client_id: client_id.clone(),
            }
                })?
            }
            None => return Err(ConfigError::MissingSecret { client_id, profile_hint: String::new() }),
        };
        let ca = ca.or_else(|| {
            let loaded = profile.as_ref()?;
            let path = loaded.found.as_ref()?.ca_cert_path.as_ref()?;
            Some(profile_ca_path(&loaded.path, Path::new(path)))
        });
        Ok(Connection {
            server,
            tenant,
            client_id,
            client_secret,
            ca,
            profile: profile.filter(|p| p.found.is_some()).map(|p| p.path),
        })
    }

    fn load_profile(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<LoadedProfile, ConfigError> {
        let explicit = self.profile.clone().or_else(|| env("CUSTOS_PROFILE").map(PathBuf::from));
        let path = explicit.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_PROFILE));
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // Only the default profile may be absent; a named one must exist.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                return Ok(LoadedProfile { path, found: None });
            }
            Err(error) => return Err(ConfigError::ProfileUnreadable { path, error }),
        };
        match serde_json::from_str(&text) {
            Ok(profile) => Ok(LoadedProfile { path, found: Some(profile) }),
            Err(error) => Err(ConfigError::ProfileInvalid { path, error }),
        }
    }
}

fn secret_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Secret<String>>, ConfigError> {
    if let Some(secret) = env("CUSTOS_CLIENT_SECRET") {
        return Ok(Some(Secret::new(secret)));
    }
    let Some(path) = env("CUSTOS_CLIENT_SECRET_FILE") else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(Secret::new(text.trim_end_matches(['\n', '\r']).to_owned()))),
        Err(error) => Err(ConfigError::SecretFile { path, error }),
    }
}

/// `https://host[:port][/base]` without a trailing slash; plain http is refused because the
/// CLI sends a client secret.
fn normalize_server(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let has_host =
        trimmed.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")) && trimmed.len() > 8;
    if has_host { Ok(trimmed.to_owned()) } else { Err(ConfigError::InsecureServer(url.to_owned())) }
}

/// The profile's CA path. `init` writes it relative to the directory it ran in; when that does
/// not resolve from here, the data directory's own `tls/ca.pem` next to the profile is used.
fn profile_ca_path(profile: &Path, ca: &Path) -> PathBuf {
    if ca.is_absolute() || ca.exists() {
        return ca.to_owned();
    }
    let sibling = profile.parent().unwrap_or_else(|| Path::new(".")).join("tls/ca.pem");
    if sibling.exists() { sibling } else { ca.to_owned() }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;

//! `custos agent`: runs beside a workload, holds its managed identity's credential (one PEM with
//! key and certificate), obtains and caches tokens from the authority with client assertions it
//! signs (through [`custos_client`], adapted in [`tokens`]), and serves the App Service and IMDS managed-identity
//! protocols on a loopback address ([`protocol`]): plain HTTP by default, HTTPS with
//! `--tls-cert`/`--tls-key`. Once listening it prints the environment variables a workload
//! needs as `export NAME=value` lines on stdout; logs go to stderr.

mod protocol;
mod tokens;

use crate::process::{LogFormat, bind_listener, init_logging, shutdown_signal};
use anyhow::Context as _;
use custos_client::{AssertionStyle, CertificateKey, Credential, TokenClient};
use custos_core::{Clock, SystemClock};
use protocol::{APP_SERVICE_PATH, AgentState, IMDS_PATH, IdentityHeader};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Timeout of one request to the authority.
const AUTHORITY_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest `--identity-header-file` read.
const MAX_HEADER_FILE: u64 = 4096;

#[derive(Debug, clap::Args)]
pub(crate) struct AgentArgs {
    /// The authority's https base URL, e.g. https://login.example.com.
    #[arg(long, env = "CUSTOS_AUTHORITY", value_name = "URL")]
    authority: String,
    /// The tenant (GUID or domain) of the managed identity.
    #[arg(long, env = "CUSTOS_TENANT", value_name = "TID")]
    tenant: String,
    /// The managed identity's client id (appId).
    #[arg(long, env = "CUSTOS_IDENTITY", value_name = "CLIENT_ID")]
    identity: String,
    /// One PEM file with the identity's private key and certificate (`custos mi credential create`).
    #[arg(long, env = "CUSTOS_CREDENTIAL", value_name = "FILE")]
    credential: PathBuf,
    /// An extra trust anchor (PEM) for calls to the authority.
    #[arg(long, env = "CUSTOS_CA", value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Loopback address to serve on; port 0 picks a free port.
    #[arg(long, env = "CUSTOS_LISTEN", default_value = "127.0.0.1:42356")]
    listen: SocketAddr,
    /// A file holding the IDENTITY_HEADER secret to require [default: a new random one].
    #[arg(long, env = "CUSTOS_IDENTITY_HEADER_FILE", value_name = "FILE")]
    identity_header_file: Option<PathBuf>,
    /// PEM certificate chain to serve HTTPS with (the printed URLs are then https).
    #[arg(long, env = "CUSTOS_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub(crate) async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let _log_flush = init_logging(LogFormat::Human);
    if !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "--listen {} is not a loopback address: the agent hands out tokens to anyone who can reach it, so it serves on 127.0.0.1 or ::1 only",
            args.listen
        );
    }
    let authority = args.authority.trim_end_matches('/').to_owned();
    if !authority.starts_with("https://") {
        anyhow::bail!("--authority must be an https:// URL, not '{authority}'");
    }
    let key = CertificateKey::from_pem_files(&args.credential, None)
        .with_context(|| {
            format!(
                "cannot use the credential file {} (expected one PEM file with the key and certificate from `custos mi credential create`)",
                args.credential.display()
            )
        })?
        // RS256 with the SHA-1 `x5t`, as MSAL sends given a thumbprint.
        .with_style(AssertionStyle::Rs256Sha1);
    let x5t = key.x5t().to_owned();
    let identity_header = match &args.identity_header_file {
        Some(path) => read_identity_header(path)?,
        None => IdentityHeader::new(random_secret()?),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut builder = TokenClient::builder(Credential::certificate(&args.identity, key))
        .authority(&authority)
        .tenant(&args.tenant)
        .timeout(AUTHORITY_TIMEOUT)
        .clock(clock.clone());
    if let Some(ca) = &args.ca {
        builder = builder.extra_root_file(ca);
    }
    let client = builder.build().context("cannot set up the token client")?;
    tracing::info!(client_id = %args.identity, x5t, authority = %authority, "managed identity credential loaded");
    let tokens = tokens::AuthorityTokens::new(client);
    let state = AgentState {
        tokens: Arc::new(tokens),
        identity_header: identity_header.clone(),
        client_id: args.identity.clone(),
        clock,
    };
    let listener = bind_listener(args.listen, args.tls_cert.as_deref(), args.tls_key.as_deref()).await?;
    let bound = listener.local_addr()?;
    let base = format!("{}://{bound}", listener.scheme());
    let shutdown = shutdown_signal();
    tracing::info!("agent listening on {base}");
    print_exports(&base, &identity_header)?;
    listener.serve_tower(protocol::router(Arc::new(state)), shutdown).await;
    tracing::info!("agent stopped");
    Ok(())
}

/// The `export` lines for the workload, on stdout; `base` is `http(s)://ADDR`.
fn print_exports(base: &str, header: &IdentityHeader) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "export IDENTITY_ENDPOINT={base}{APP_SERVICE_PATH}")?;
    writeln!(out, "export IDENTITY_HEADER={}", header.expose())?;
    writeln!(out, "export AZURE_POD_IDENTITY_AUTHORITY_HOST={base}")?;
    writeln!(out, "export MSAL_MANAGED_IDENTITY_ENDPOINT={base}{IMDS_PATH}")?;
    out.flush()?;
    Ok(())
}

/// 32 random bytes as 64 hex digits (safe in a shell `export` line and an HTTP header).
fn random_secret() -> anyhow::Result<String> {
    Ok(custos_jose::random::hex(32)?)
}

fn read_identity_header(path: &Path) -> anyhow::Result<IdentityHeader> {
    let size = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if size > MAX_HEADER_FILE {
        anyhow::bail!("{} is {size} bytes, too large for an identity header secret", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let secret = text.trim();
    if secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_graphic()) {
        anyhow::bail!(
            "{} must hold at least 16 printable ASCII characters (no spaces) for IDENTITY_HEADER",
            path.display()
        );
    }
    Ok(IdentityHeader::new(secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_64_hex_digits_and_distinct() {
        let a = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_secret().unwrap());
    }

    #[test]
    fn identity_header_files_need_a_real_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h");
        std::fs::write(&path, "short\n").unwrap();
        assert!(read_identity_header(&path).is_err());
        std::fs::write(&path, "  0123456789abcdefXYZ\n").unwrap();
        assert_eq!(read_identity_header(&path).unwrap().expose(), "0123456789abcdefXYZ");
    }
}

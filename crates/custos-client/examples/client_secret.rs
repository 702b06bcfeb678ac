//! A token with a client secret (v2 scope).
//!
//! ```text
//! CUSTOS_AUTHORITY=https://localhost:8443 CUSTOS_TENANT=contoso.custos.local \
//! CUSTOS_CLIENT_ID=… CUSTOS_CLIENT_SECRET=… CUSTOS_CA=ca.pem \
//!   cargo run -p custos-client --example client_secret -- api://payroll/.default
//! ```

use custos_client::{Credential, Target, TokenClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let scope = std::env::args().nth(1).unwrap_or_else(|| "https://graph.microsoft.com/.default".to_owned());
    let mut builder = TokenClient::builder(Credential::client_secret(
        var("CUSTOS_CLIENT_ID")?,
        var("CUSTOS_CLIENT_SECRET")?,
    ))
    .tenant(var("CUSTOS_TENANT")?);
    if let Ok(authority) = var("CUSTOS_AUTHORITY") {
        builder = builder.authority(authority);
    }
    if let Ok(ca) = var("CUSTOS_CA") {
        builder = builder.extra_root_file(ca);
    }
    let tokens = builder.build()?;
    let token = tokens.token(&Target::scope(scope)).await?;
    println!("{}", token.secret());
    eprintln!("expires at {} (Unix seconds)", token.expires_on());
    Ok(())
}

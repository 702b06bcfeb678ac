//! Workload identity federation: the client assertion is the token in
//! `AZURE_FEDERATED_TOKEN_FILE` (read again for every request), for `AZURE_CLIENT_ID` in
//! `AZURE_TENANT_ID` at `AZURE_AUTHORITY_HOST` (azure-identity's variables).
//!
//! ```text
//! AZURE_AUTHORITY_HOST=https://localhost:8443 AZURE_TENANT_ID=… AZURE_CLIENT_ID=… \
//! AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token CUSTOS_CA=ca.pem \
//!   cargo run -p custos-client --example federated -- api://billing/.default
//! ```

use custos_client::{Credential, Target, TokenClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scope = std::env::args().nth(1).unwrap_or_else(|| "https://graph.microsoft.com/.default".to_owned());
    let mut builder = TokenClient::builder(Credential::federated_from_env()?).with_env();
    if let Ok(ca) = std::env::var("CUSTOS_CA") {
        builder = builder.extra_root_file(ca);
    }
    let tokens = builder.build()?;
    let token = tokens.token(&Target::scope(scope)).await?;
    println!("{}", token.secret());
    Ok(())
}

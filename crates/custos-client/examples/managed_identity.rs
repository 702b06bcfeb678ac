//! A managed identity's token, from what the environment names: `IDENTITY_ENDPOINT` and
//! `IDENTITY_HEADER` (App Service protocol, e.g. as `custos agent` prints them), else
//! `AZURE_POD_IDENTITY_AUTHORITY_HOST` (IMDS there), else Azure's IMDS.
//!
//! ```text
//! eval "$(custos agent … &)"   # or the variables of custos' development endpoints
//! cargo run -p custos-client --example managed_identity -- api://billing
//! ```

use custos_client::{Credential, ManagedIdentity, Target, TokenClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let resource = std::env::args().nth(1).unwrap_or_else(|| "https://management.azure.com/".to_owned());
    let mut builder = TokenClient::builder(Credential::managed_identity(ManagedIdentity::from_env()?));
    if let Ok(ca) = std::env::var("CUSTOS_CA") {
        builder = builder.extra_root_file(ca);
    }
    let tokens = builder.build()?;
    let token = tokens.token(&Target::resource(resource)).await?;
    println!("{}", token.secret());
    Ok(())
}

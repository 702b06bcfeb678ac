//! A token with a certificate (v1 resource), signing the client assertion with PS256 and
//! `x5t#S256` (or RS256 and `x5t` with `--rs256`).
//!
//! ```text
//! CUSTOS_AUTHORITY=https://localhost:8443 CUSTOS_TENANT=contoso.custos.local \
//! CUSTOS_CLIENT_ID=… CUSTOS_CERTIFICATE=app.pem CUSTOS_CA=ca.pem \
//!   cargo run -p custos-client --example certificate -- https://manage.office.com [--rs256]
//! ```

use custos_client::{AssertionStyle, CertificateKey, Credential, Target, TokenClient};
use std::path::Path;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let resource = args.first().cloned().unwrap_or_else(|| "https://manage.office.com".to_owned());
    let mut key = CertificateKey::from_pem_files(Path::new(&var("CUSTOS_CERTIFICATE")?), None)?;
    if args.iter().any(|a| a == "--rs256") {
        key = key.with_style(AssertionStyle::Rs256Sha1);
    }
    let mut builder = TokenClient::builder(Credential::certificate(var("CUSTOS_CLIENT_ID")?, key))
        .tenant(var("CUSTOS_TENANT")?);
    if let Ok(authority) = var("CUSTOS_AUTHORITY") {
        builder = builder.authority(authority);
    }
    if let Ok(ca) = var("CUSTOS_CA") {
        builder = builder.extra_root_file(ca);
    }
    let tokens = builder.build()?;
    let token = tokens.token(&Target::resource(resource)).await?;
    println!("{}", token.secret());
    Ok(())
}

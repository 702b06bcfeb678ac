//! A complete API protected by custos-guard: the README's "Protect an API" example.
//!
//! Configure it the way seed 000 configures Community Training (App Service-style variables):
//!
//! ```sh
//! Authority=https://localhost:8443 CaFile=custos-data/tls/ca.pem \
//! ServiceAuthTenantId=<tenant id> ServiceAuthAudience=api://payroll ServiceAuthRole=Payroll.Read \
//! cargo run -p custos-guard --example axum_api
//! ```

use axum::Router;
use axum::routing::get;
use custos_core::SystemClock;
use custos_guard::{Guard, GuardConfig, GuardLayer, Principal};
use std::sync::Arc;

/// Handlers receive the validated caller; the guard already checked signature, issuer, tenant,
/// audience, lifetime, app-token kind and the required role.
async fn whoami(caller: Principal) -> String {
    format!("hello {} (object {}), roles {:?}\n", caller.client_app_id, caller.object_id, caller.roles)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let guard = Arc::new(Guard::new(GuardConfig::from_env()?, Arc::new(SystemClock))?);
    let app = Router::new().route("/whoami", get(whoami)).layer(GuardLayer::new(guard));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}

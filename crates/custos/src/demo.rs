//! `custos serve --demo`: a sample resource API and daemon client, ready to get a token.

use crate::datadir::DataDir;
use crate::init::Profile;
use anyhow::Context;
use custos_core::model::{
    AppRole, AppRoleAssignment, Application, PasswordCredential, SIGN_IN_AUDIENCE_MY_ORG, ServicePrincipal,
    ServicePrincipalType,
};
use custos_core::{AppId, ObjectId, TenantId};
use custos_directory::DirectoryState;
use custos_jose::secret::generate_client_secret;
use custos_server::tls::write_file;
use custos_store::Store;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Identifier URI of the demo resource API.
const DEMO_API: &str = "api://custos-demo";
/// The app role the demo daemon holds on it.
const DEMO_ROLE: &str = "Demo.ReadWrite";

/// What `DIR/demo.json` keeps so the demo can be shown again on every start.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoProfile {
    tenant_id: String,
    client_id: String,
    client_secret: String,
    scope: String,
}

pub(crate) async fn register_and_print(
    dir: &DataDir,
    store: &dyn Store,
    state: &DirectoryState,
    public_url: &str,
) -> anyhow::Result<()> {
    let demo = match std::fs::read_to_string(dir.demo_profile()) {
        Ok(text) => {
            serde_json::from_str(&text).context("demo.json is damaged; delete it to re-register the demo")?
        }
        Err(_) => {
            let admin: Profile = serde_json::from_str(&std::fs::read_to_string(dir.admin_profile())?)?;
            let demo = register(store, state, admin.tenant_id.parse()?).await?;
            write_file(&dir.demo_profile(), &serde_json::to_vec_pretty(&demo)?, 0o600)?;
            demo
        }
    };
    let ca = dir.tls.ca_cert.display();
    println!();
    println!(
        "Demo: a resource API '{DEMO_API}' (app role {DEMO_ROLE}) and a daemon client holding that role."
    );
    println!("Get a token for it (client credentials, exactly as against Entra ID):");
    println!();
    println!("  curl --cacert {ca} \\");
    println!("    -d grant_type=client_credentials \\");
    println!("    -d client_id={} \\", demo.client_id);
    println!("    --data-urlencode 'client_secret={}' \\", demo.client_secret);
    println!("    --data-urlencode 'scope={}' \\", demo.scope);
    println!("    {public_url}/{}/oauth2/v2.0/token", demo.tenant_id);
    println!();
    Ok(())
}

async fn register(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
) -> anyhow::Result<DemoProfile> {
    let now = state.clock.now();
    let role_id = Uuid::new_v4();
    let api = Application {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id: AppId::new_random(),
        display_name: "custos demo API".into(),
        description: Some("A sample resource API registered by `custos serve --demo`.".into()),
        identifier_uris: vec![DEMO_API.into()],
        app_roles: vec![AppRole {
            id: role_id,
            allowed_member_types: vec!["Application".into()],
            description: Some("Daemon apps in this role can read and write demo data.".into()),
            display_name: Some(DEMO_ROLE.into()),
            is_enabled: true,
            value: Some(DEMO_ROLE.into()),
        }],
        requested_access_token_version: Some(2),
        sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.into(),
        password_credentials: vec![],
        key_credentials: vec![],
        created: now,
    };
    let secret = generate_client_secret();
    let client = Application {
        id: ObjectId::new_random(),
        app_id: AppId::new_random(),
        display_name: "custos demo daemon".into(),
        description: Some("A sample daemon client registered by `custos serve --demo`.".into()),
        identifier_uris: vec![],
        app_roles: vec![],
        requested_access_token_version: None,
        password_credentials: vec![PasswordCredential {
            key_id: Uuid::new_v4(),
            display_name: Some("demo".into()),
            hint: secret[..3].to_owned(),
            start: now,
            end: now + time::Duration::days(730),
            secret_hash: state.hasher.hash(&secret),
        }],
        ..api.clone()
    };
    let api_sp = service_principal(&api, now);
    let client_sp = service_principal(&client, now);
    store.create_application(&api).await?;
    store.create_service_principal(&api_sp).await?;
    store.create_application(&client).await?;
    store.create_service_principal(&client_sp).await?;
    store
        .create_assignment(&AppRoleAssignment {
            id: custos_directory::new_assignment_id(),
            tenant_id: tenant,
            principal_id: client_sp.id,
            resource_id: api_sp.id,
            app_role_id: role_id,
            created: now,
        })
        .await?;
    Ok(DemoProfile {
        tenant_id: tenant.to_string(),
        client_id: client.app_id.to_string(),
        client_secret: secret,
        scope: format!("{DEMO_API}/.default"),
    })
}

fn service_principal(app: &Application, now: time::OffsetDateTime) -> ServicePrincipal {
    ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: app.tenant_id,
        app_id: app.app_id,
        display_name: app.display_name.clone(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        created: now,
    }
}

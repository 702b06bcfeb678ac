//! `custos serve --demo`: a sample resource API and daemon client, ready to get a token, plus the
//! resource applications the two sample APIs expect (`custos sample business-central` and
//! `custos sample community-training`), with the daemon holding their roles; and for
//! `custos sample office365-management`, the daemon holding `ActivityFeed.Read` on the built-in
//! Office 365 Management APIs and a reader application holding Graph's `AuditLog.Read.All`, whose
//! secret is written to `DIR/office365-management-reader.secret` for the sample to read the log with.
//!
//! It also creates `admin@{tenant domain}`, a Global Administrator with a generated password, to
//! sign in to the admin portal with.
//!
//! Everything registered is remembered in `DIR/demo.json` (mode 0600), so later starts only print it
//! again. A `demo.json` written before the sample registrations existed gains them on the next start.

use crate::datadir::DataDir;
use crate::init::Profile;
use anyhow::Context;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::{AppId, TenantId};
use custos_directory::DirectoryState;
use custos_directory::builtins::OFFICE_MANAGEMENT_APP_ID;
use custos_directory::provision_apps::{
    ResourceApi, ResourceApiSpec, RoleSpec, ensure_resource_api, grant_app_roles, register_client,
};
use custos_server::tls::write_file;
use custos_store::Store;
use serde::{Deserialize, Serialize};

/// Identifier URI of the demo resource API.
const DEMO_API: &str = "api://custos-demo";
/// The app role the demo daemon holds on it.
const DEMO_ROLE: &str = "Demo.ReadWrite";
/// Community Training's app role (seed 000's manifest).
const CT_ROLE: &str = "S2SAppRole";

/// The demo resource API (v2 tokens) and its one app role.
const DEMO_API_SPEC: ResourceApiSpec<'static> = ResourceApiSpec {
    display_name: "custos demo API",
    description: "A sample resource API registered by `custos serve --demo`.",
    identifier_uri: Some(DEMO_API),
    roles: &[RoleSpec {
        value: DEMO_ROLE,
        display_name: DEMO_ROLE,
        description: "Daemon apps in this role can read and write demo data.",
    }],
    access_token_version: Some(2),
};

/// Business Central's resource application as in Entra (seeds 001, 002): its identifier URI and
/// application permissions.
const BC_API_SPEC: ResourceApiSpec<'static> = ResourceApiSpec {
    display_name: "Dynamics 365 Business Central",
    description: "The Business Central resource application (custos serve --demo).",
    identifier_uri: Some("https://api.businesscentral.dynamics.com"),
    roles: &[
        RoleSpec {
            value: "API.ReadWrite.All",
            display_name: "Access to APIs and webservices",
            description: "Access to APIs and webservices",
        },
        RoleSpec {
            value: "Automation.ReadWrite.All",
            display_name: "Full access to automation",
            description: "Full access to automation",
        },
    ],
    access_token_version: None,
};

/// Community Training's service application (seed 000) with its app role as in the seed's
/// manifest; its identifier URI is `api://<appId>`, as Entra suggests under "Expose an API".
const CT_API_SPEC: ResourceApiSpec<'static> = ResourceApiSpec {
    display_name: "CT service (demo)",
    description: "The Community Training service application of seed 000 (custos serve --demo).",
    identifier_uri: None,
    roles: &[RoleSpec {
        value: CT_ROLE,
        display_name: CT_ROLE,
        description: "Apps in this role can consume the web api.",
    }],
    access_token_version: None,
};

/// What `DIR/demo.json` keeps so the demo can be shown again on every start.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoProfile {
    tenant_id: String,
    client_id: String,
    client_secret: String,
    scope: String,
    /// The Business Central resource application (absent in a demo.json of an older custos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    business_central: Option<SampleApi>,
    /// The Community Training service application (absent in a demo.json of an older custos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    community_training: Option<SampleApi>,
    /// The Activity API sample's log reader (absent in a demo.json of an older custos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    office365_management: Option<ActivityReader>,
    /// The admin portal's demo administrator (absent in a demo.json of an older custos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    portal_admin: Option<PortalAdmin>,
}

/// A Global Administrator of the demo tenant, to sign in to the admin portal with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PortalAdmin {
    user_principal_name: String,
    password: String,
}

/// The application `custos sample office365-management` reads the demo tenant's log as.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityReader {
    client_id: String,
    secret_file: String,
}

/// A resource application registered for one of the sample APIs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SampleApi {
    app_id: String,
    identifier_uri: String,
    roles: Vec<String>,
}

pub(crate) async fn register_and_print(
    dir: &DataDir,
    store: &dyn Store,
    state: &DirectoryState,
    public_url: &str,
) -> anyhow::Result<()> {
    let (mut demo, mut changed) = match std::fs::read_to_string(dir.demo_profile()) {
        Ok(text) => (
            serde_json::from_str::<DemoProfile>(&text)
                .context("demo.json is damaged; delete it to re-register the demo")?,
            false,
        ),
        Err(_) => {
            let admin: Profile = serde_json::from_str(&std::fs::read_to_string(dir.admin_profile())?)?;
            (register(store, state, admin.tenant_id.parse()?).await?, true)
        }
    };
    let tenant: TenantId = demo.tenant_id.parse().context("demo.json: tenantId is not a GUID")?;
    let client: AppId = demo.client_id.parse().context("demo.json: clientId is not a GUID")?;
    if demo.business_central.is_none() {
        demo.business_central = Some(register_sample_api(store, state, tenant, client, &BC_API_SPEC).await?);
        changed = true;
    }
    if demo.community_training.is_none() {
        demo.community_training =
            Some(register_sample_api(store, state, tenant, client, &CT_API_SPEC).await?);
        changed = true;
    }
    if demo.office365_management.is_none() {
        let secret_file = dir.demo_profile().with_file_name(ACTIVITY_READER_SECRET_FILE);
        demo.office365_management =
            Some(register_activity_reader(store, state, tenant, client, &secret_file).await?);
        changed = true;
    }
    if demo.portal_admin.is_none() {
        demo.portal_admin = Some(register_portal_admin(store, state, tenant).await?);
        changed = true;
    }
    if changed {
        write_file(&dir.demo_profile(), &serde_json::to_vec_pretty(&demo)?, 0o600)?;
    }
    let admin: Profile = serde_json::from_str(&std::fs::read_to_string(dir.admin_profile())?)?;
    print_demo(&demo, &admin.admin_client_id, &dir.tls.ca_cert.display().to_string(), public_url);
    Ok(())
}

fn print_demo(demo: &DemoProfile, admin_client: &str, ca: &str, public_url: &str) {
    let (tenant, client) = (&demo.tenant_id, &demo.client_id);
    println!();
    println!("Azure CLI (pip install azure-cli), with this server as a cloud (as the bootstrap admin,");
    println!("whose secret is in custos-data/admin.json):");
    println!("  export REQUESTS_CA_BUNDLE={ca}");
    println!(
        "  az cloud register -n custos --endpoint-resource-manager {public_url}/ && az cloud set -n custos"
    );
    println!("  az config set core.instance_discovery=false");
    println!("  az login --service-principal --tenant {tenant} --allow-no-subscriptions \\");
    println!("    -u {admin_client} -p \"$(jq -r .adminClientSecret custos-data/admin.json)\"");
    println!();
    if let Some(admin) = &demo.portal_admin {
        println!("Admin portal: {public_url}/portal/ (trust {ca} in the browser, or accept the warning)");
        println!("  Sign in as {} with the password {}", admin.user_principal_name, admin.password);
        println!();
    }
    println!(
        "Demo: a resource API '{DEMO_API}' (app role {DEMO_ROLE}) and a daemon client holding that role."
    );
    println!("Get a token for it (client credentials, exactly as against Entra ID):");
    println!();
    println!("  curl --cacert {ca} \\");
    println!("    -d grant_type=client_credentials \\");
    println!("    -d client_id={client} \\");
    println!("    --data-urlencode 'client_secret={}' \\", demo.client_secret);
    println!("    --data-urlencode 'scope={}' \\", demo.scope);
    println!("    {public_url}/{tenant}/oauth2/v2.0/token");
    println!();
    if let Some(bc) = &demo.business_central {
        println!(
            "Business Central: resource '{}' (app id {}), roles {}; the daemon holds both.",
            bc.identifier_uri,
            bc.app_id,
            bc.roles.join(", ")
        );
        println!("  Token scope: {}/.default", bc.identifier_uri);
        println!("  custos sample business-central --listen 127.0.0.1:7048 --authority {public_url} \\");
        println!("    --tenant {tenant} --ca {ca} --data-dir ./custos-samples/business-central \\");
        println!("    --register-app '{client}=D365 BUS FULL ACCESS'");
        println!();
    }
    if let Some(ct) = &demo.community_training {
        println!(
            "Community Training: service app {} with Application ID URI '{}', role {}; the daemon holds it.",
            ct.app_id,
            ct.identifier_uri,
            ct.roles.join(", ")
        );
        println!(
            "  Token scope: {}/.default (send the header ClientType: Service with every call)",
            ct.identifier_uri
        );
        println!("  ServiceAuthAudience={} ServiceAuthTenantId={tenant} \\", ct.identifier_uri);
        println!("  ServiceApplicationIds={client} ServiceAuthRole={CT_ROLE} EnableSwagger=true \\");
        println!("  custos sample community-training --listen 127.0.0.1:7049 --authority {public_url} \\");
        println!("    --tenant {tenant} --ca {ca} --data-dir ./custos-samples/community-training");
        println!();
    }
    if let Some(reader) = &demo.office365_management {
        println!(
            "Office 365 Management Activity API: the daemon holds ActivityFeed.Read; the reader app {} holds \
             Graph's AuditLog.Read.All (the sample reads the tenant's log with it).",
            reader.client_id
        );
        println!("  Token scope: https://manage.office.com/.default");
        println!("  custos sample office365-management --listen 127.0.0.1:7050 --authority {public_url} \\");
        println!("    --ca {ca} --data-dir ./custos-samples/office365-management \\");
        println!("    --client-id {} --client-secret-file {}", reader.client_id, reader.secret_file);
        println!(
            "  Then: POST http://127.0.0.1:7050/api/v1.0/{tenant}/activity/feed/subscriptions/start?contentType=Audit.AzureActiveDirectory"
        );
        println!();
    }
}

/// The file the Activity sample's reader secret is written to, next to `demo.json`.
const ACTIVITY_READER_SECRET_FILE: &str = "office365-management-reader.secret";

/// A built-in resource of `tenant` (Graph, the Office 365 Management APIs) with its service principal.
async fn built_in_resource(
    store: &dyn Store,
    tenant: TenantId,
    app_id: AppId,
) -> anyhow::Result<ResourceApi> {
    let application =
        store.application_by_app_id(tenant, app_id).await?.context("a built-in application is missing")?;
    let service_principal = store
        .service_principal_by_app_id(tenant, app_id)
        .await?
        .context("a built-in service principal is missing")?;
    Ok(ResourceApi { application, service_principal })
}

/// Grants the demo daemon `ActivityFeed.Read` on the Office 365 Management APIs, registers the
/// Activity sample's log reader with Graph's `AuditLog.Read.All`, and writes its secret (0600).
async fn register_activity_reader(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
    client: AppId,
    secret_file: &std::path::Path,
) -> anyhow::Result<ActivityReader> {
    let now = state.clock.now();
    let management = built_in_resource(store, tenant, OFFICE_MANAGEMENT_APP_ID).await?;
    let client_sp = store
        .service_principal_by_app_id(tenant, client)
        .await?
        .context("the demo daemon's service principal is gone; delete demo.json to re-register the demo")?;
    grant_app_roles(store, &management, &client_sp, &["ActivityFeed.Read"], now).await?;
    let reader = register_client(
        store,
        &state.hasher,
        tenant,
        "Office 365 Management Activity sample reader",
        "Reads the tenant's audit and sign-in logs for `custos sample office365-management` (custos serve --demo).",
        "activity-sample",
        now,
    )
    .await?;
    let graph = built_in_resource(store, tenant, GRAPH_APP_ID).await?;
    grant_app_roles(store, &graph, &reader.service_principal, &["AuditLog.Read.All"], now).await?;
    write_file(secret_file, reader.secret.expose().as_bytes(), 0o600)?;
    Ok(ActivityReader {
        client_id: reader.application.app_id.to_string(),
        secret_file: secret_file.display().to_string(),
    })
}

/// Registers (or, for a fixed identifier URI already in use, reuses) a sample's resource
/// application and its service principal, and grants the demo daemon every role of `spec`.
async fn register_sample_api(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
    client: AppId,
    spec: &ResourceApiSpec<'_>,
) -> anyhow::Result<SampleApi> {
    let now = state.clock.now();
    let api = ensure_resource_api(store, tenant, spec, now).await?;
    let client_sp = store
        .service_principal_by_app_id(tenant, client)
        .await?
        .context("the demo daemon's service principal is gone; delete demo.json to re-register the demo")?;
    let values: Vec<&str> = spec.roles.iter().map(|role| role.value).collect();
    let roles = grant_app_roles(store, &api, &client_sp, &values, now).await?;
    let identifier_uri = api.identifier_uri().unwrap_or_default().to_owned();
    Ok(SampleApi { app_id: api.application.app_id.to_string(), identifier_uri, roles })
}

/// Registers the demo API, the demo daemon with a secret, and the daemon's role on the API.
async fn register(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
) -> anyhow::Result<DemoProfile> {
    let now = state.clock.now();
    let api = ensure_resource_api(store, tenant, &DEMO_API_SPEC, now).await?;
    let client = register_client(
        store,
        &state.hasher,
        tenant,
        "custos demo daemon",
        "A sample daemon client registered by `custos serve --demo`.",
        "demo",
        now,
    )
    .await?;
    grant_app_roles(store, &api, &client.service_principal, &[DEMO_ROLE], now).await?;
    Ok(DemoProfile {
        tenant_id: tenant.to_string(),
        client_id: client.application.app_id.to_string(),
        client_secret: client.secret.expose().clone(),
        scope: format!("{DEMO_API}/.default"),
        business_central: None,
        community_training: None,
        office365_management: None,
        portal_admin: None,
    })
}

/// Creates `admin@{tenant domain}`, a Global Administrator with a generated password.
async fn register_portal_admin(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
) -> anyhow::Result<PortalAdmin> {
    let domain = store.tenant(tenant).await?.context("the demo tenant is gone")?.domain;
    let upn = format!("admin@{domain}");
    let password = custos_core::Secret::new(crate::admin::generate_password());
    custos_directory::provision_users::add_global_administrator(
        store,
        tenant,
        &upn,
        "Demo Administrator",
        &password,
        state.clock.now(),
    )
    .await
    .with_context(|| format!("cannot create the demo administrator {upn}"))?;
    Ok(PortalAdmin { user_principal_name: upn, password: password.expose().clone() })
}

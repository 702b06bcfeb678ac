//! `custos serve --demo`: a sample resource API and daemon client, ready to get a token, plus the
//! resource applications the two sample APIs expect (`custos sample business-central` and
//! `custos sample community-training`), with the daemon holding their roles.
//!
//! Everything registered is remembered in `DIR/demo.json` (mode 0600), so later starts only print it
//! again. A `demo.json` written before the sample registrations existed gains them on the next start.

use crate::datadir::DataDir;
use crate::init::Profile;
use anyhow::Context;
use custos_core::model::{
    AppRole, AppRoleAssignment, Application, PasswordCredential, ServicePrincipal, ServicePrincipalType,
};
use custos_core::scope::identifier_uri_key;
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

/// Business Central's resource application (seeds 001, 002): its identifier URI and app roles
/// (value, display name).
const BC_API: &str = "https://api.businesscentral.dynamics.com";
const BC_ROLES: [(&str, &str); 2] = [
    ("API.ReadWrite.All", "Access to APIs and webservices"),
    ("Automation.ReadWrite.All", "Full access to automation"),
];
/// Community Training's service application (seed 000): its app role as in the seed's manifest.
const CT_ROLE: &str = "S2SAppRole";
const CT_ROLE_DESCRIPTION: &str = "Apps in this role can consume the web api.";

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
}

/// A resource application registered for one of the sample APIs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SampleApi {
    app_id: String,
    identifier_uri: String,
    roles: Vec<String>,
}

/// How to register one sample's resource application.
struct ResourceSpec {
    display_name: &'static str,
    description: &'static str,
    /// `None`: `api://<appId>`, as Entra suggests under "Expose an API".
    identifier_uri: Option<&'static str>,
    /// (value, display name, description).
    roles: Vec<(&'static str, &'static str, &'static str)>,
}

impl ResourceSpec {
    fn business_central() -> Self {
        Self {
            display_name: "Dynamics 365 Business Central",
            description: "The Business Central resource application (custos serve --demo).",
            identifier_uri: Some(BC_API),
            roles: BC_ROLES.iter().map(|(value, name)| (*value, *name, *name)).collect(),
        }
    }

    fn community_training() -> Self {
        Self {
            display_name: "CT service (demo)",
            description: "The Community Training service application of seed 000 (custos serve --demo).",
            identifier_uri: None,
            roles: vec![(CT_ROLE, CT_ROLE, CT_ROLE_DESCRIPTION)],
        }
    }
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
        let spec = ResourceSpec::business_central();
        demo.business_central = Some(register_sample_api(store, state, tenant, client, &spec).await?);
        changed = true;
    }
    if demo.community_training.is_none() {
        let spec = ResourceSpec::community_training();
        demo.community_training = Some(register_sample_api(store, state, tenant, client, &spec).await?);
        changed = true;
    }
    if changed {
        write_file(&dir.demo_profile(), &serde_json::to_vec_pretty(&demo)?, 0o600)?;
    }
    print_demo(&demo, &dir.tls.ca_cert.display().to_string(), public_url);
    Ok(())
}

fn print_demo(demo: &DemoProfile, ca: &str, public_url: &str) {
    let (tenant, client) = (&demo.tenant_id, &demo.client_id);
    println!();
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
}

/// Registers (or, for a fixed identifier URI already in use, reuses) a sample's resource
/// application and its service principal, and grants the demo daemon every role of `spec`.
async fn register_sample_api(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
    client: AppId,
    spec: &ResourceSpec,
) -> anyhow::Result<SampleApi> {
    let now = state.clock.now();
    let existing =
        match spec.identifier_uri {
            Some(uri) => store.applications(tenant).await?.into_iter().find(|app| {
                app.identifier_uris.iter().any(|u| identifier_uri_key(u) == identifier_uri_key(uri))
            }),
            None => None,
        };
    let app = match existing {
        Some(app) => app,
        None => {
            let app_id = AppId::new_random();
            let app = Application {
                description: Some(spec.description.into()),
                identifier_uris: vec![
                    spec.identifier_uri.map_or_else(|| format!("api://{app_id}"), str::to_owned),
                ],
                app_roles: spec
                    .roles
                    .iter()
                    .map(|(value, display_name, description)| AppRole {
                        id: Uuid::new_v4(),
                        allowed_member_types: vec!["Application".into()],
                        description: Some((*description).into()),
                        display_name: Some((*display_name).into()),
                        is_enabled: true,
                        value: Some((*value).into()),
                    })
                    .collect(),
                ..Application::new(tenant, app_id, spec.display_name.into(), now)
            };
            store.create_application(&app).await?;
            app
        }
    };
    let resource_sp = match store.service_principal_by_app_id(tenant, app.app_id).await? {
        Some(sp) => sp,
        None => {
            let sp = service_principal(&app, now);
            store.create_service_principal(&sp).await?;
            sp
        }
    };
    let client_sp = store
        .service_principal_by_app_id(tenant, client)
        .await?
        .context("the demo daemon's service principal is gone; delete demo.json to re-register the demo")?;
    let held = store.assignments(tenant).await?;
    let mut roles = Vec::new();
    for (value, _, _) in &spec.roles {
        let Some(role) = app.app_roles.iter().find(|r| r.value.as_deref() == Some(*value)) else {
            tracing::warn!(application = %app.display_name, role = value, "the application has no such app role");
            continue;
        };
        roles.push((*value).to_owned());
        let already = held.iter().any(|a| {
            a.principal_id == client_sp.id && a.resource_id == resource_sp.id && a.app_role_id == role.id
        });
        if !already {
            store
                .create_assignment(&AppRoleAssignment {
                    id: custos_directory::new_assignment_id(),
                    tenant_id: tenant,
                    principal_id: client_sp.id,
                    resource_id: resource_sp.id,
                    app_role_id: role.id,
                    created: now,
                })
                .await?;
        }
    }
    let identifier_uri = spec
        .identifier_uri
        .map(str::to_owned)
        .or_else(|| app.identifier_uris.first().cloned())
        .unwrap_or_default();
    Ok(SampleApi { app_id: app.app_id.to_string(), identifier_uri, roles })
}

async fn register(
    store: &dyn Store,
    state: &DirectoryState,
    tenant: TenantId,
) -> anyhow::Result<DemoProfile> {
    let now = state.clock.now();
    let role_id = Uuid::new_v4();
    let api = Application {
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
        ..Application::new(tenant, AppId::new_random(), "custos demo API".into(), now)
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
        business_central: None,
        community_training: None,
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

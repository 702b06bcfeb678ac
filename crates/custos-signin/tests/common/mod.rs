//! Test fixture: two tenants over an in-memory SQLite directory, the built-in-like resources
//! (a Graph-like directory API and Office 365 Management APIs) in both, clients of each kind in
//! Contoso, users in both, and a [`Browser`] that keeps cookies and reads forms.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of the fixture

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode, header};
use custos_core::consent::{
    AccessType, PermissionScope, RedirectUris, RequiredResourceAccess, ResourceAccess, ScopeConsent,
};
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use custos_core::model::{
    AppRole, Application, SIGN_IN_AUDIENCE_MULTIPLE_ORGS, ServicePrincipal, ServicePrincipalType, Tenant,
};
use custos_core::users::{DirectoryRoleAssignment, GLOBAL_ADMINISTRATOR, User};
use custos_core::{AppId, FixedClock, ObjectId, Secret, TenantId};
use custos_listener::ConnectionInfo;
use custos_signin::{SignIn, SigninConfig};
use custos_store::sqlite::SqliteStore;
use custos_store::{Directory, SignInLog, Store, WriterOptions};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;
use tower::ServiceExt;
use uuid::{Uuid, uuid};

pub const PUBLIC_URL: &str = "https://login.custos.test";
pub const PASSWORD: &str = "Corr3ct-Horse";
/// 2030-01-01T00:00:00Z.
pub const NOW: i64 = 1_893_456_000;
pub const O365_APP_ID: AppId = AppId(uuid!("c5393580-f805-4401-95e8-94b7a6ef2fc2"));
pub const ACTIVITY_FEED_READ: Uuid = uuid!("594c1fb6-4f81-4475-ae41-0c394909246c");
pub const SERVICE_HEALTH_READ: Uuid = uuid!("e2cea78f-e743-4d8f-a16a-75b629a038ae");
pub const USER_READ: Uuid = uuid!("e1fe6dd8-ba31-4d61-89e7-88639da4683d");
pub const DIRECTORY_READ_ALL: Uuid = uuid!("06da0dbc-49e2-44d2-8312-53f166ab848a");
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

/// The argon2id hash of [`PASSWORD`], computed once per test binary.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| custos_jose::password::hash(PASSWORD).unwrap())
}

fn scope(id: Uuid, value: &str, consent: ScopeConsent) -> PermissionScope {
    PermissionScope {
        id,
        value: value.into(),
        consent,
        admin_consent_display_name: Some(format!("Admin: {value}")),
        admin_consent_description: Some(format!("Allows the app to {value} for everyone.")),
        user_consent_display_name: Some(format!("User: {value}")),
        user_consent_description: Some(format!("Allows the app to {value} for you.")),
        is_enabled: true,
    }
}

fn role(id: Uuid, value: &str) -> AppRole {
    AppRole {
        id,
        allowed_member_types: vec!["Application".into()],
        description: Some(format!("Allows the application to {value}.")),
        display_name: Some(format!("Role {value}")),
        is_enabled: true,
        value: Some(value.into()),
    }
}

pub fn access(resource: AppId, entries: &[(Uuid, AccessType)]) -> RequiredResourceAccess {
    RequiredResourceAccess {
        resource_app_id: resource,
        resource_access: entries.iter().map(|(id, kind)| ResourceAccess { id: *id, kind: *kind }).collect(),
    }
}

/// Registers an application and (unless `sp` is false) its service principal.
pub async fn register(
    store: &dyn Store,
    tenant: TenantId,
    app_id: AppId,
    name: &str,
    sp: bool,
    configure: impl FnOnce(&mut Application),
) -> Application {
    let mut app = Application::new(tenant, app_id, name.into(), at(NOW - 86_400));
    configure(&mut app);
    store.create_application(&app, &audit()).await.unwrap();
    if sp {
        let principal = ServicePrincipal {
            id: ObjectId::new_random(),
            tenant_id: tenant,
            app_id,
            display_name: name.into(),
            account_enabled: true,
            app_role_assignment_required: false,
            service_principal_type: ServicePrincipalType::Application,
            properties: Default::default(),
            created: at(NOW - 86_400),
        };
        store.create_service_principal(&principal, &audit()).await.unwrap();
    }
    app
}

async fn resources(store: &dyn Store, tenant: TenantId) {
    register(store, tenant, GRAPH_APP_ID, "Microsoft Graph", true, |a| {
        a.identifier_uris = vec![GRAPH_IDENTIFIER_URI.into()];
        a.oauth2_permission_scopes = vec![
            scope(USER_READ, "User.Read", ScopeConsent::User),
            scope(DIRECTORY_READ_ALL, "Directory.Read.All", ScopeConsent::Admin),
        ];
    })
    .await;
    register(store, tenant, O365_APP_ID, "Office 365 Management APIs", true, |a| {
        a.identifier_uris = vec!["https://manage.office.com".into()];
        a.app_roles = vec![
            role(ACTIVITY_FEED_READ, "ActivityFeed.Read"),
            role(SERVICE_HEALTH_READ, "ServiceHealth.Read"),
        ];
        a.oauth2_permission_scopes = vec![
            scope(ACTIVITY_FEED_READ, "ActivityFeed.Read", ScopeConsent::Admin),
            scope(SERVICE_HEALTH_READ, "ServiceHealth.Read", ScopeConsent::Admin),
        ];
    })
    .await;
}

pub async fn user(store: &dyn Store, tenant: &Tenant, local: &str, enabled: bool) -> User {
    let user = User {
        id: ObjectId::new_random(),
        tenant_id: tenant.id,
        user_principal_name: format!("{local}@{}", tenant.domain),
        display_name: local.into(),
        given_name: None,
        surname: None,
        mail_nickname: local.into(),
        mail: None,
        account_enabled: enabled,
        tokens_valid_from: at(NOW - 86_400),
        created: at(NOW - 86_400),
    };
    store.create_user(&user, password_hash(), &audit()).await.unwrap();
    user
}

pub struct Fixture {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub directory: Arc<Directory>,
    pub clock: Arc<FixedClock>,
    /// The sign-in pages' sign-in log, written to `store`.
    pub sign_ins: SignInLog,
    pub contoso: Tenant,
    pub fabrikam: Tenant,
    /// Single-tenant web app in Contoso: `https://app.example/cb`, needs Graph `User.Read`.
    pub web: Application,
    /// Multi-tenant web app in Contoso (seed 004's consumer), no service principal elsewhere:
    /// `https://consumer.example/callback`, needs Office 365 roles and scopes.
    pub multi: Application,
    /// Public client in Contoso: `http://localhost`, needs Graph `User.Read`.
    pub native: Application,
    /// Web app in Contoso needing the admin-only `Directory.Read.All`.
    pub admin_only: Application,
    pub alice: User,
    pub carol_disabled: User,
    pub fabrikam_admin: User,
    pub bob: User,
}

impl Fixture {
    /// The fixture on a server at [`PUBLIC_URL`].
    pub async fn new() -> Self {
        Self::build(custos_core::origins::Origins::single(PUBLIC_URL), false).await
    }

    /// The fixture on a server answering as `origins` (e.g. Entra's host names).
    pub async fn with_origins(origins: custos_core::origins::Origins) -> Self {
        Self::build(origins, false).await
    }

    /// The fixture on a directory that reads every tenant in slices, as it reads large ones.
    pub async fn sliced() -> Self {
        Self::build(custos_core::origins::Origins::single(PUBLIC_URL), true).await
    }

    async fn build(origins: custos_core::origins::Origins, sliced: bool) -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
        let s = store.as_ref();
        let contoso = Tenant {
            id: TenantId::new_random(),
            domain: "contoso.test".into(),
            display_name: "Contoso".into(),
            created: at(0),
        };
        let fabrikam = Tenant {
            id: TenantId::new_random(),
            domain: "fabrikam.test".into(),
            display_name: "Fabrikam".into(),
            created: at(0),
        };
        for tenant in [&contoso, &fabrikam] {
            s.create_tenant(tenant, &audit()).await.unwrap();
            resources(s, tenant.id).await;
        }
        let web = register(s, contoso.id, AppId::new_random(), "Contoso <Web>", true, |a| {
            a.redirect_uris =
                RedirectUris { web: vec!["https://app.example/cb".into()], ..RedirectUris::default() };
            a.required_resource_access = vec![access(GRAPH_APP_ID, &[(USER_READ, AccessType::Scope)])];
        })
        .await;
        let multi = register(s, contoso.id, AppId::new_random(), "Activity Consumer", true, |a| {
            a.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.into();
            a.redirect_uris = RedirectUris {
                web: vec!["https://consumer.example/callback".into()],
                ..RedirectUris::default()
            };
            a.required_resource_access = vec![access(
                O365_APP_ID,
                &[
                    (ACTIVITY_FEED_READ, AccessType::Role),
                    (SERVICE_HEALTH_READ, AccessType::Role),
                    (ACTIVITY_FEED_READ, AccessType::Scope),
                    (SERVICE_HEALTH_READ, AccessType::Scope),
                ],
            )];
        })
        .await;
        let native = register(s, contoso.id, AppId::new_random(), "Desktop", true, |a| {
            a.redirect_uris =
                RedirectUris { public_client: vec!["http://localhost".into()], ..RedirectUris::default() };
            a.required_resource_access = vec![access(GRAPH_APP_ID, &[(USER_READ, AccessType::Scope)])];
        })
        .await;
        let admin_only = register(s, contoso.id, AppId::new_random(), "Directory Reader", true, |a| {
            a.redirect_uris =
                RedirectUris { web: vec!["https://reader.example/cb".into()], ..RedirectUris::default() };
            a.required_resource_access =
                vec![access(GRAPH_APP_ID, &[(DIRECTORY_READ_ALL, AccessType::Scope)])];
        })
        .await;
        let alice = user(s, &contoso, "alice", true).await;
        let carol_disabled = user(s, &contoso, "carol", false).await;
        let fabrikam_admin = user(s, &fabrikam, "admin", true).await;
        let bob = user(s, &fabrikam, "bob", true).await;
        s.create_directory_role_assignment(
            &DirectoryRoleAssignment {
                id: "role-1".into(),
                tenant_id: fabrikam.id,
                role_definition_id: GLOBAL_ADMINISTRATOR,
                principal_id: fabrikam_admin.id,
                created: at(0),
            },
            &audit(),
        )
        .await
        .unwrap();
        let clock = Arc::new(FixedClock::new(at(NOW)));
        let directory = Directory::new(store.clone());
        let directory = Arc::new(if sliced { directory.with_slices(0, 64) } else { directory });
        let config = SigninConfig { origins, csrf_key: Secret::new([9; 32]) };
        let sign_ins = SignInLog::start(store.clone(), WriterOptions::default());
        let state = Arc::new(
            SignIn::new(&config, directory.clone(), clock.clone())
                .unwrap()
                .with_sign_in_log(sign_ins.clone()),
        );
        Self {
            router: custos_signin::router(state),
            store,
            directory,
            clock,
            sign_ins,
            contoso,
            fabrikam,
            web,
            multi,
            native,
            admin_only,
            alice,
            carol_disabled,
            fabrikam_admin,
            bob,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser { router: self.router.clone(), cookies: HashMap::new(), source: None }
    }
}

/// A response with its body read.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        assert_eq!(self.status, StatusCode::FOUND, "{}", self.body);
        self.headers[header::LOCATION].to_str().unwrap()
    }

    /// The decoded query (or fragment) fields of the `Location`.
    pub fn fields(&self) -> HashMap<String, String> {
        let location = self.location();
        let query = location.split_once(['?', '#']).map(|(_, q)| q).unwrap_or_default();
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    /// The value of a hidden input.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start =
            self.body.find(&marker).unwrap_or_else(|| panic!("no {name} in {}", self.body)) + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        unescape(&self.body[start..end])
    }

    /// The error page's message (unescaped), from `AADSTS` up to the end of its element.
    pub fn error_message(&self) -> String {
        let start = self.body.find("AADSTS").unwrap_or_else(|| panic!("no AADSTS in {}", self.body));
        let end = self.body[start..].find('<').map_or(self.body.len(), |n| start + n);
        unescape(&self.body[start..end])
    }

    /// Asserts an error page (never a redirect) naming `code`.
    pub fn assert_error_page(&self, code: u32) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.body);
        assert!(!self.headers.contains_key(header::LOCATION));
        assert!(self.body.contains("Sorry, but we're having trouble signing you in."), "{}", self.body);
        assert!(self.body.contains(&format!("AADSTS{code}:")), "expected {code}: {}", self.body);
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser: keeps the cookies the server sets.
pub struct Browser {
    router: Router,
    pub cookies: HashMap<String, String>,
    /// The address its requests come from, as the listener reports it (none: unknown).
    pub source: Option<SocketAddr>,
}

impl Browser {
    async fn send(&mut self, mut request: Request<Body>) -> Page {
        if let Some(peer) = self.source {
            request.extensions_mut().insert(ConnectionInfo { peer, tls: true });
        }
        let response: Response<Body> = self.router.clone().oneshot(request).await.unwrap();
        for line in response.headers().get_all(header::SET_COOKIE) {
            let line = line.to_str().unwrap();
            let (pair, _) = line.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        Page { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        let request =
            Request::get(uri).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Submits the sign-in form of `page` (posted to `path`).
    pub async fn sign_in(&mut self, path: &str, page: &Page, login: &str, password: &str) -> Page {
        let (ctx, csrf) = (page.hidden("ctx"), page.hidden("csrf"));
        self.post(path, &[("ctx", &ctx), ("csrf", &csrf), ("login", login), ("passwd", password)]).await
    }

    /// Presses a consent button of `page`.
    pub async fn consent(&mut self, path: &str, page: &Page, choice: &str) -> Page {
        let (ctx, csrf) = (page.hidden("ctx"), page.hidden("csrf"));
        let plan = if page.body.contains(r#"name="plan""#) { page.hidden("plan") } else { String::new() };
        self.post(path, &[("ctx", &ctx), ("csrf", &csrf), ("plan", &plan), ("consent", choice)]).await
    }
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;

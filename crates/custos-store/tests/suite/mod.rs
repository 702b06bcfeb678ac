//! The conformance cases, written once against `Arc<dyn Store>`, and their fixtures.

mod audits;
mod cache;
mod cancellation;
mod credentials;
mod federated;
mod identifier_uris;
mod isolation;
mod nul;
mod objects;
mod owners;
mod pages;
mod sign_in;
mod sign_ins;
mod slices;
mod users;

pub(crate) use audits::*;
pub(crate) use cache::*;
pub(crate) use cancellation::*;
pub(crate) use credentials::*;
pub(crate) use federated::*;
pub(crate) use identifier_uris::*;
pub(crate) use isolation::*;
pub(crate) use nul::*;
pub(crate) use objects::*;
pub(crate) use owners::*;
pub(crate) use pages::*;
pub(crate) use sign_in::*;
pub(crate) use sign_ins::*;
pub(crate) use slices::*;
pub(crate) use users::*;

use custos_core::app_properties::{
    ApplicationProperties, InformationalUrls, OptionalClaim, OptionalClaims, ServicePrincipalProperties,
};
use custos_core::consent::{
    AccessType, PermissionScope, RedirectUris, RequiredResourceAccess, ResourceAccess, ScopeConsent,
};
use custos_core::model::{
    AccessTokenSigningAlgorithm, AppRole, AppRoleAssignment, Application, Es256KeyRecord,
    FEDERATION_DEFAULT_AUDIENCE, FederatedIdentityCredential, KEY_TYPE_X509, KEY_USAGE_VERIFY, KeyCredential,
    PasswordCredential, ServicePrincipal, ServicePrincipalType, SigningKeyRecord, SigningKeyState, Tenant,
};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::{ApplicationChange, ChangeRefused, KeyEntry, Store, StoreError, StoreResult};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The fixtures' base time; every object is created a whole number of seconds after it.
pub(crate) const T0: OffsetDateTime = datetime!(2025-03-01 08:30:00.123456 UTC);

pub(crate) fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

pub(crate) const ROLE_READ: Uuid = Uuid::from_u128(0x1111_0000_0000_0000_0000_0000_0000_0001);
pub(crate) const ROLE_WRITE: Uuid = Uuid::from_u128(0x1111_0000_0000_0000_0000_0000_0000_0002);

/// Two tenants; in tenant A a resource application and a client application, their service
/// principals, and one assignment of the read role to the client on the resource.
pub(crate) struct World {
    pub(crate) tenant_a: Tenant,
    pub(crate) tenant_b: Tenant,
    pub(crate) resource_app: Application,
    pub(crate) client_app: Application,
    pub(crate) resource_sp: ServicePrincipal,
    pub(crate) client_sp: ServicePrincipal,
    pub(crate) assignment: AppRoleAssignment,
}

impl World {
    pub(crate) fn new() -> Self {
        let tenant_a = tenant("contoso.example", 0);
        let tenant_b = tenant("fabrikam.example", 1);
        let mut resource_app = application(tenant_a.id, "Orders API", 2);
        resource_app.identifier_uris =
            vec!["api://orders".to_owned(), "https://orders.contoso.example/".to_owned()];
        resource_app.description = Some("Order service".to_owned());
        resource_app.requested_access_token_version = Some(2);
        resource_app.app_roles = vec![
            AppRole {
                id: ROLE_READ,
                allowed_member_types: vec!["Application".to_owned()],
                description: Some("Read orders".to_owned()),
                display_name: Some("Orders.Read".to_owned()),
                is_enabled: true,
                value: Some("Orders.Read".to_owned()),
            },
            AppRole {
                id: ROLE_WRITE,
                allowed_member_types: vec!["Application".to_owned(), "User".to_owned()],
                description: None,
                display_name: None,
                is_enabled: false,
                value: None,
            },
        ];
        let client_app = application(tenant_a.id, "Billing daemon", 3);
        let resource_sp = service_principal(&resource_app, 4);
        let client_sp = service_principal(&client_app, 5);
        let assignment = assignment(&client_sp, &resource_sp, ROLE_READ, 6);
        Self { tenant_a, tenant_b, resource_app, client_app, resource_sp, client_sp, assignment }
    }

    pub(crate) async fn create_all(&self, store: &dyn Store) {
        store.create_tenant(&self.tenant_a, &audit()).await.unwrap();
        store.create_tenant(&self.tenant_b, &audit()).await.unwrap();
        store.create_application(&self.resource_app, &audit()).await.unwrap();
        store.create_application(&self.client_app, &audit()).await.unwrap();
        store.create_service_principal(&self.resource_sp, &audit()).await.unwrap();
        store.create_service_principal(&self.client_sp, &audit()).await.unwrap();
        store.create_assignment(&self.assignment, &audit()).await.unwrap();
    }
}

pub(crate) fn tenant(domain: &str, seconds: i64) -> Tenant {
    Tenant {
        id: TenantId::new_random(),
        domain: domain.to_owned(),
        display_name: format!("Tenant {domain}"),
        created: at(seconds),
    }
}

/// A key credential valid for a year from `seconds`; `seed` varies its bytes.
pub(crate) fn key_credential(seed: u8, seconds: i64) -> KeyCredential {
    KeyCredential {
        key_id: Uuid::new_v4(),
        display_name: Some(format!("CN=client-{seed}")),
        custom_key_identifier: vec![seed; 20],
        usage: KEY_USAGE_VERIFY.to_owned(),
        key_type: KEY_TYPE_X509.to_owned(),
        start: at(seconds),
        end: at(seconds + 86_400 * 365),
        certificate_der: [0x30, 0x82, 0x01, seed].repeat(64),
    }
}

/// A federated identity credential trusting subject `sa-{seed}` of a Kubernetes-like issuer.
pub(crate) fn federated_credential(seed: u8) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: Uuid::new_v4(),
        name: format!("workload-{seed}"),
        issuer: "https://oidc.cluster.example/issuer".to_owned(),
        subject: format!("system:serviceaccount:default:sa-{seed}"),
        audiences: vec![FEDERATION_DEFAULT_AUDIENCE.to_owned()],
        description: Some(format!("service account {seed} — «ünïcode»")),
    }
}

/// An application with one client secret, one certificate, one federated identity credential
/// and no identifier URIs or roles.
pub(crate) fn application(tenant: TenantId, name: &str, seconds: i64) -> Application {
    Application {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id: AppId::new_random(),
        display_name: name.to_owned(),
        description: None,
        identifier_uris: Vec::new(),
        app_roles: Vec::new(),
        requested_access_token_version: None,
        sign_in_audience: "AzureADMyOrg".to_owned(),
        password_credentials: vec![PasswordCredential {
            key_id: Uuid::new_v4(),
            display_name: Some("ci".to_owned()),
            hint: "abc".to_owned(),
            start: at(seconds),
            end: at(seconds + 86_400 * 180),
            secret_hash: (0u8..32).collect::<Vec<u8>>().into(),
        }],
        key_credentials: vec![key_credential(1, seconds)],
        federated_identity_credentials: vec![federated_credential(1)],
        oauth2_permission_scopes: vec![PermissionScope {
            id: Uuid::new_v4(),
            value: "Orders.Read".to_owned(),
            consent: ScopeConsent::User,
            admin_consent_display_name: Some("Read orders".to_owned()),
            admin_consent_description: Some("Reads every order — «ünïcode»".to_owned()),
            user_consent_display_name: None,
            user_consent_description: None,
            is_enabled: true,
        }],
        required_resource_access: vec![RequiredResourceAccess {
            resource_app_id: AppId::new_random(),
            resource_access: vec![ResourceAccess { id: Uuid::new_v4(), kind: AccessType::Scope }],
        }],
        redirect_uris: RedirectUris {
            web: vec!["https://app.example/callback".to_owned()],
            public_client: vec!["http://localhost".to_owned()],
            spa: Vec::new(),
        },
        properties: ApplicationProperties {
            notes: Some("stored as written".to_owned()),
            tags: vec!["HideApp".to_owned()],
            home_page_url: Some("https://app.example/".to_owned()),
            enable_id_token_issuance: true,
            info: InformationalUrls {
                support_url: Some("https://app.example/support".to_owned()),
                ..InformationalUrls::default()
            },
            optional_claims: Some(OptionalClaims {
                id_token: vec![OptionalClaim { name: "upn".to_owned(), ..OptionalClaim::default() }],
                ..OptionalClaims::default()
            }),
            ..ApplicationProperties::default()
        },
        access_token_signing_algorithm: Default::default(),
        created: at(seconds),
    }
}

pub(crate) fn service_principal(app: &Application, seconds: i64) -> ServicePrincipal {
    ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: app.tenant_id,
        app_id: app.app_id,
        display_name: app.display_name.clone(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        properties: ServicePrincipalProperties {
            homepage: Some("https://app.example/".to_owned()),
            tags: vec!["sp-tag".to_owned()],
            ..ServicePrincipalProperties::default()
        },
        created: at(seconds),
    }
}

pub(crate) fn assignment(
    principal: &ServicePrincipal,
    resource: &ServicePrincipal,
    role: Uuid,
    seconds: i64,
) -> AppRoleAssignment {
    AppRoleAssignment {
        // 43 characters, like Graph's base64url ids.
        id: format!("{}{}", Uuid::new_v4().simple(), &Uuid::new_v4().simple().to_string()[..11]),
        tenant_id: principal.tenant_id,
        principal_id: principal.id,
        resource_id: resource.id,
        app_role_id: role,
        created: at(seconds),
    }
}

pub(crate) fn signing_key(kid: &str) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        state: SigningKeyState::Next,
        created: at(10),
        activates: at(10 + 86_400),
        retires: None,
        sealed_private_key: vec![7; 64],
        certificate_der: vec![0x30, 0x82, 0x01, 0x0a],
        es256: None,
    }
}

/// The rule text of a conflict; fails on any other outcome.
pub(crate) fn conflict<T: std::fmt::Debug>(result: StoreResult<T>) -> String {
    match result {
        Err(StoreError::Conflict(rule)) => rule,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The reason a credential change was refused; fails on any other outcome.
pub(crate) fn refused<T: std::fmt::Debug>(result: StoreResult<T>) -> ChangeRefused {
    match result {
        Err(StoreError::Refused(reason)) => reason,
        other => panic!("expected a refused change, got {other:?}"),
    }
}

/// Fails unless the outcome is NotFound.
pub(crate) fn assert_not_found<T: std::fmt::Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;

//! Every credential kind against a running custos authority (the seeded in-memory authority of
//! `custos_authority::testing`, served over https on `127.0.0.1:0` with its development
//! managed-identity endpoints and federation trusting a local issuer): client secret (v1 and
//! v2, and a wrong one), certificate with PS256 + `x5t#S256` and RS256 + `x5t`, managed identity
//! through custos' App Service and IMDS endpoints, and a federated token file (re-read when it
//! changes). The client runs on the authority's clock.

mod common;

use common::Server;
use custos_authority::testing::{App, Fixture, NOW, SECRET, assign, at, register};
use custos_authority::{Authority, AuthorityConfig, FederationConfig, KeyManager, managed_identity};
use custos_client::{
    AssertionStyle, CertificateKey, Credential, Error, IdentitySelector, ManagedIdentity, Target, TokenClient,
};
use custos_core::audit::AuditContext;
use custos_core::model::{
    FEDERATION_DEFAULT_AUDIENCE, FederatedIdentityCredential, KEY_TYPE_X509, KEY_USAGE_VERIFY, KeyCredential,
    ServicePrincipalType,
};
use custos_core::{Clock, Secret};
use custos_jose::cert::ClientCertificate;
use custos_jose::secret::SecretHasher;
use custos_store::Store;
use custos_testkit::http::jwt_claims;
use custos_testkit::issuer::TestIssuer;
use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

const SUBJECT: &str = "system:serviceaccount:payments:worker";

struct Custos {
    fx: Fixture,
    authority: Arc<Authority>,
    url: String,
    ca: String,
    issuer: TestIssuer,
}

/// The fixture's directory served by an authority at the listener's URL, with the
/// managed-identity endpoints on and the issuer allow-listed for federation.
async fn start() -> Custos {
    let fx = Fixture::new().await;
    let server = Server::bind().await;
    let issuer = TestIssuer::start().await;
    let clock: Arc<dyn Clock> = fx.clock.clone();
    let keys = KeyManager::load(fx.directory.store().clone(), [7; 32], clock.clone()).await.unwrap();
    let config =
        AuthorityConfig { managed_identity_endpoints: true, ..AuthorityConfig::new(server.url.clone()) };
    let federation = FederationConfig {
        extra_ca_pem: Some(issuer.ca_pem.clone().into_bytes()),
        ..FederationConfig::default()
    }
    .allow_issuer(issuer.issuer.clone())
    .unwrap();
    let authority = Arc::new(
        Authority::new(config, fx.directory.clone(), SecretHasher::new(&[3; 32]), keys, clock)
            .with_federation(&federation)
            .unwrap(),
    );
    let router = authority.clone().router().merge(managed_identity::router(authority.clone()));
    let (url, ca) = server.serve(router);
    Custos { fx, authority, url, ca, issuer }
}

impl Custos {
    fn client(&self, credential: Credential) -> TokenClient {
        TokenClient::builder(credential)
            .authority(&self.url)
            .tenant(self.fx.tenant.to_string())
            .extra_root_pem(self.ca.clone())
            .clock(self.fx.clock.clone())
            .build()
            .unwrap()
    }

    /// A client of `kind` with `configure`'s credentials, assigned every role of both resources.
    async fn registered(
        &self,
        name: &str,
        kind: ServicePrincipalType,
        configure: impl FnOnce(&mut custos_core::model::Application),
    ) -> App {
        let store: &dyn Store = self.fx.directory.as_ref();
        let client = register(store, self.fx.tenant, name, None, |app, sp| {
            configure(app);
            sp.service_principal_type = kind;
        })
        .await;
        for resource in [&self.fx.resource_v1, &self.fx.resource_v2] {
            for role in &resource.app.app_roles {
                assign(store, self.fx.tenant, &client, resource, role).await;
            }
        }
        client
    }
}

fn v2() -> Target {
    Target::scope("api://resource-v2/.default")
}

fn v1() -> Target {
    Target::resource("api://resource-v1")
}

fn claims(token: &custos_client::AccessToken) -> Value {
    jwt_claims(token.secret())
}

#[tokio::test]
async fn a_client_secret_gets_v2_and_v1_tokens() {
    let custos = start().await;
    let client_id = custos.fx.client.app_id();
    let tokens = custos.client(Credential::client_secret(&client_id, SECRET));
    let token = tokens.token(&v2()).await.unwrap();
    let c = claims(&token);
    assert_eq!(
        (c["ver"].as_str(), c["azp"].as_str(), c["azpacr"].as_str()),
        (Some("2.0"), Some(&*client_id), Some("1"))
    );
    assert_eq!(c["aud"], custos.fx.resource_v2.app_id());
    assert_eq!(c["roles"], json!(["Read", "Write"]));
    assert_eq!(token.expires_on(), c["exp"].as_i64().unwrap());
    let token = tokens.token(&v1()).await.unwrap();
    let c = claims(&token);
    assert_eq!(
        (c["ver"].as_str(), c["aud"].as_str(), c["appid"].as_str()),
        (Some("1.0"), Some("api://resource-v1"), Some(&*client_id))
    );
    assert_eq!(token.resource(), Some("api://resource-v1"));
}

#[tokio::test]
async fn a_wrong_secret_and_a_bad_scope_are_refused_with_custos_errors() {
    let custos = start().await;
    let tokens = custos.client(Credential::client_secret(custos.fx.client.app_id(), "not-the-secret"));
    let err = tokens.token(&v2()).await.unwrap_err();
    let Error::Refused(error) = &err else { panic!("{err:?}") };
    assert_eq!(
        (error.status, error.error.as_str(), error.aadsts()),
        (401, "invalid_client", Some(7_000_215))
    );
    assert!(
        error.message().starts_with("AADSTS7000215: Invalid client secret provided."),
        "{}",
        error.message()
    );
    assert!(error.correlation_id.is_some());
    // A scope without /.default: 400 invalid_scope, also not retried.
    let tokens = custos.client(Credential::client_secret(custos.fx.client.app_id(), SECRET));
    let err = tokens.token(&Target::scope("api://resource-v2/Read")).await.unwrap_err();
    let Error::Refused(error) = &err else { panic!("{err:?}") };
    assert_eq!((error.status, error.error.as_str(), error.aadsts()), (400, "invalid_scope", Some(1_002_012)));
}

fn certificate() -> (String, KeyCredential) {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let cert = CertificateParams::new(Vec::<String>::new()).unwrap().self_signed(&key).unwrap();
    let parsed = ClientCertificate::from_der(cert.der()).unwrap();
    let credential = KeyCredential {
        key_id: Uuid::new_v4(),
        display_name: Some("CN=daemon".into()),
        custom_key_identifier: parsed.thumbprint_sha1().to_vec(),
        usage: KEY_USAGE_VERIFY.into(),
        key_type: KEY_TYPE_X509.into(),
        start: at(NOW - 86_400),
        end: at(NOW + 86_400),
        certificate_der: cert.der().to_vec(),
    };
    (format!("{}{}", cert.pem(), key.serialize_pem()), credential)
}

#[tokio::test]
async fn a_certificate_signs_ps256_with_x5t_s256_and_rs256_with_x5t() {
    let custos = start().await;
    let (pem, credential) = certificate();
    let client = custos
        .registered("Cert daemon", ServicePrincipalType::Application, |app| {
            app.key_credentials = vec![credential]
        })
        .await;
    let pss = CertificateKey::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(pss.style(), AssertionStyle::Ps256Sha256);
    let tokens = custos.client(Credential::certificate(client.app_id(), pss));
    let c = claims(&tokens.token(&v2()).await.unwrap());
    assert_eq!((c["azp"].as_str(), c["azpacr"].as_str()), (Some(&*client.app_id()), Some("2")));
    let c = claims(&tokens.token(&v1()).await.unwrap());
    assert_eq!((c["appid"].as_str(), c["appidacr"].as_str()), (Some(&*client.app_id()), Some("2")));

    let rsa = CertificateKey::from_pem(pem.as_bytes()).unwrap().with_style(AssertionStyle::Rs256Sha1);
    let tokens = custos.client(Credential::certificate(client.app_id(), rsa));
    let c = claims(&tokens.token(&v2()).await.unwrap());
    assert_eq!(c["azpacr"], "2");
    let c = claims(&tokens.token(&v1()).await.unwrap());
    assert_eq!(c["appidacr"], "2");

    // A certificate the app does not have is refused by thumbprint.
    let (other, _) = certificate();
    let stranger = CertificateKey::from_pem(other.as_bytes()).unwrap();
    let err =
        custos.client(Credential::certificate(client.app_id(), stranger)).token(&v2()).await.unwrap_err();
    assert_eq!(err.server_error().and_then(|e| e.aadsts()), Some(700_027), "{err}");
}

#[tokio::test]
async fn a_managed_identity_gets_its_token_through_custos_app_service_and_imds_endpoints() {
    let custos = start().await;
    let mi = custos.registered("worker", ServicePrincipalType::ManagedIdentity, |_| {}).await;
    let audit = AuditContext::installation(at(NOW));
    let created = custos.authority.create_endpoint_secret(&mi.app, &mi.sp, 30, &audit).await.unwrap();
    let secret: &Secret<String> = &created.secret;

    let app_service =
        ManagedIdentity::app_service(&format!("{}/msi/token", custos.url), secret.expose().clone()).unwrap();
    let tokens = custos.client(Credential::managed_identity(app_service.clone()));
    let token = tokens.token(&v1()).await.unwrap();
    let c = claims(&token);
    assert_eq!((c["oid"].as_str(), c["appid"].as_str()), (Some(&*mi.sp.id.to_string()), Some(&*mi.app_id())));
    assert_eq!(token.expires_on(), NOW + 86_399);
    // A v2 scope is asked as its resource.
    let c = claims(&tokens.token(&v2()).await.unwrap());
    assert_eq!(c["aud"], custos.fx.resource_v2.app_id());

    let imds = ManagedIdentity::imds_at(&format!("{}/msi/{}", custos.url, secret.expose())).unwrap();
    let tokens = custos
        .client(Credential::managed_identity(imds.with_selector(IdentitySelector::ClientId(mi.app_id()))));
    let c = claims(&tokens.token(&v1()).await.unwrap());
    assert_eq!(c["oid"], mi.sp.id.to_string());

    // Another identity's client id is not this secret's identity.
    let other = app_service.with_selector(IdentitySelector::ClientId(custos.fx.client.app_id()));
    let err = custos.client(Credential::managed_identity(other)).token(&v1()).await.unwrap_err();
    let Error::Refused(error) = &err else { panic!("{err:?}") };
    assert_eq!(error.status, 400, "{err}");
    // A wrong header is refused by the App Service endpoint.
    let wrong = ManagedIdentity::app_service(&format!("{}/msi/token", custos.url), "wrong").unwrap();
    let err = custos.client(Credential::managed_identity(wrong)).token(&v1()).await.unwrap_err();
    assert!(matches!(&err, Error::Refused(e) if e.status == 401), "{err:?}");
}

#[tokio::test]
async fn a_federated_token_file_is_read_again_when_it_changes() {
    let custos = start().await;
    let issuer = custos.issuer.issuer.clone();
    let client = custos
        .registered("Federated worker", ServicePrincipalType::Application, |app| {
            app.federated_identity_credentials = vec![FederatedIdentityCredential {
                id: Uuid::new_v4(),
                name: "k8s".into(),
                issuer: issuer.clone(),
                subject: SUBJECT.into(),
                audiences: vec![FEDERATION_DEFAULT_AUDIENCE.into()],
                description: None,
            }]
        })
        .await;
    let external = |subject: &str| {
        custos.issuer.token(&json!({
            "aud": [FEDERATION_DEFAULT_AUDIENCE], "iss": issuer, "sub": subject,
            "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3_600,
        }))
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azure-identity-token");
    std::fs::write(&path, external(SUBJECT)).unwrap();
    let tokens = custos.client(Credential::federated_token_file(client.app_id(), &path));
    let c = claims(&tokens.token(&v2()).await.unwrap());
    assert_eq!((c["azp"].as_str(), c["azpacr"].as_str()), (Some(&*client.app_id()), Some("2")));

    // The kubelet rotates the file: the next request presents the new token.
    std::fs::write(&path, external("system:serviceaccount:payments:intruder")).unwrap();
    let err = tokens.token(&v1()).await.unwrap_err();
    assert_eq!(err.server_error().and_then(|e| e.aadsts()), Some(700_213), "{err}");
    std::fs::write(&path, external(SUBJECT)).unwrap();
    assert_eq!(claims(&tokens.token(&v1()).await.unwrap())["appid"], client.app_id());
}

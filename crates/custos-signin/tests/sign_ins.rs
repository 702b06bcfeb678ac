//! `interactiveUser` sign-in records of the sign-in pages: a password accepted or refused, an
//! unknown or disabled user, a user of another tenant, consent declined; never the password.

mod common;

use common::*;
use custos_core::TenantId;
use custos_core::sign_in_log::{ClientCredentialType, SignIn, SignInEventType};
use custos_store::{LogOrder, LogQuery, SignInFilter};

const PATH: &str = "/contoso.test/oauth2/v2.0/authorize";
const WRONG: &str = "Wr0ng-pass-for-the-log";

fn authorize(f: &Fixture) -> String {
    format!(
        "{PATH}?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &scope=User.Read+openid&state=s&login_hint=alice%40contoso.test",
        f.web.app_id
    )
}

async fn sign_ins_of(f: &Fixture, tenant: TenantId) -> Vec<SignIn> {
    f.sign_ins.flush().await;
    let query = LogQuery { order: LogOrder::OldestFirst, ..LogQuery::newest(tenant, 100) };
    f.store.sign_ins(&query, &SignInFilter::default()).await.unwrap().records
}

#[tokio::test]
async fn each_decision_on_the_sign_in_page_is_one_interactive_sign_in() {
    let f = Fixture::new().await;
    let mut browser = f.browser();
    browser.source = Some("203.0.113.9:40000".parse().unwrap());
    let first = browser.get(&authorize(&f)).await;
    browser.sign_in(PATH, &first, "alice@contoso.test", WRONG).await;
    browser.sign_in(PATH, &first, "nobody@contoso.test", PASSWORD).await;
    browser.sign_in(PATH, &first, "carol@contoso.test", PASSWORD).await;
    browser.sign_in(PATH, &first, "bob@fabrikam.test", PASSWORD).await.assert_error_page(50020);
    let consent = browser.sign_in(PATH, &first, "alice@contoso.test", PASSWORD).await;
    browser.consent(PATH, &consent, "cancel").await;

    let records = sign_ins_of(&f, f.contoso.id).await;
    let codes: Vec<u32> = records.iter().map(|r| r.status.error_code).collect();
    assert_eq!(codes, [50_126, 50_034, 50_057, 50_020, 0, 65_004], "{records:#?}");
    for record in &records {
        assert_eq!(record.event_type, SignInEventType::InteractiveUser);
        assert_eq!(record.app.app_id, f.web.app_id.to_string());
        assert_eq!(record.app.service_principal, None);
        assert_eq!(record.credential.kind, Some(ClientCredentialType::None));
        assert_eq!(record.ip, Some("203.0.113.9".parse().unwrap()));
        assert!(record.login_hint_present);
    }
    let alice = records[4].user.as_ref().unwrap();
    assert_eq!(
        (alice.id, alice.principal_name.as_str()),
        (Some(f.alice.id), f.alice.user_principal_name.as_str())
    );
    assert_eq!(records[0].user.as_ref().unwrap().principal_name, "alice@contoso.test");
    assert_eq!(records[1].user.as_ref().unwrap().id, None, "an unknown user as typed");
    assert_eq!(records[5].user.as_ref().unwrap().id, Some(f.alice.id));
    assert_eq!(
        records[5].status.failure_reason.as_deref(),
        Some("User declined to consent to access the app."),
    );
    // The user of another tenant is recorded in the tenant they tried to sign in to.
    assert!(sign_ins_of(&f, f.fabrikam.id).await.is_empty());

    let stored = serde_json::to_string(&records).unwrap();
    for password in [PASSWORD, WRONG] {
        assert!(!stored.contains(password), "a password in a stored sign-in");
    }
}

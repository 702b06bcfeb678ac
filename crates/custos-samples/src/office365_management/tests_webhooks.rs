//! Webhooks end to end against a receiver on 127.0.0.1 (allow-listed, as a developer would):
//! validation during `/start`, notifications from the outbox with Microsoft's fields and headers,
//! retries with backoff on the injected clock, the webhook disabled after a day of failures,
//! `expiration` honoured, and the outbox surviving a reopened database.

use axum::http::StatusCode;
use serde_json::json;
use time::Duration;

use super::delivery::Round;
use super::store::Store;
use super::test_support::{Api, BASE, Receiver, TENANT, af};

const AAD: &str = "Audit.AzureActiveDirectory";

fn webhook_body(address: &str, expiration: &str) -> String {
    json!({"webhook": {"address": address, "authId": "o365activityapinotification", "expiration": expiration}}).to_string()
}

async fn start_with(api: &Api, receiver: &Receiver, expiration: &str) -> (StatusCode, serde_json::Value) {
    let (status, _, body) = api
        .call(
            "POST",
            &format!("subscriptions/start?contentType={AAD}"),
            &webhook_body(&receiver.address, expiration),
        )
        .await;
    (status, body)
}

#[tokio::test]
async fn validation_must_answer_200() {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    let (status, body) = start_with(&api, &receiver, "").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"contentType": AAD, "status": "enabled",
                   "webhook": {"status": "enabled", "address": receiver.address, "authId": "o365activityapinotification", "expiration": null}})
        )
    );
    let validation = receiver.take();
    assert_eq!(validation.len(), 1);
    let code = validation[0].body["validationCode"].as_str().unwrap().to_owned();
    assert_eq!(validation[0].headers["webhook-validationcode"], code.as_str());
    assert_eq!(validation[0].headers["webhook-authid"], "o365activityapinotification");
    assert_eq!(validation[0].headers["content-type"], "application/json; charset=utf-8");

    // Same webhook again: no change. Another authId: validated again, 200.
    assert_eq!(start_with(&api, &receiver, "").await.1["error"]["code"], "AF20024");
    let body = json!({"webhook": {"address": receiver.address, "authId": "rotated"}}).to_string();
    assert_eq!(
        api.call("POST", &format!("subscriptions/start?contentType={AAD}"), &body).await.0,
        StatusCode::OK
    );

    // A failing endpoint: AF20021, and the subscription keeps its previous webhook.
    receiver.answer(500);
    let other = json!({"webhook": {"address": format!("{}/v2", receiver.address)}}).to_string();
    let (status, _, body) = api.call("POST", &format!("subscriptions/start?contentType={AAD}"), &other).await;
    let message = format!(
        "The webhook endpoint {}/v2 could not be validated. The endpoint did not return HTTP 200.",
        receiver.address
    );
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, af("AF20021", &message)));
    let (_, _, list) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(list[0]["webhook"]["authId"], "rotated");

    // A new subscription with a failing webhook is not created.
    let (status, _, _) = api.call("POST", "subscriptions/start?contentType=Audit.General", &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(api.call("GET", "subscriptions/list", "").await.2.as_array().unwrap().len(), 1);

    // Plain http or a private address outside the allow-list never gets a request.
    let (status, _, body) = api
        .call(
            "POST",
            "subscriptions/start?contentType=Audit.General",
            &json!({"webhook": {"address": "http://hooks.example.com/x"}}).to_string(),
        )
        .await;
    let message = "The webhook endpoint http://hooks.example.com/x could not be validated. The address must begin with HTTPS.";
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, af("AF20021", message)));
    let (status, _, body) = api
        .call(
            "POST",
            "subscriptions/start?contentType=Audit.General",
            &json!({"webhook": {"address": "https://169.254.169.254/x"}}).to_string(),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("AF20021")));
}

#[tokio::test]
async fn notifications_are_delivered_as_microsoft_sends_them_and_listed() {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    start_with(&api, &receiver, "").await;
    receiver.take();
    api.produce_one().await;
    let delivery = api.delivery(api.store.clone());
    assert_eq!(delivery.run_once().await.unwrap(), Round { delivered: 1, failed: 0 });
    let sent_at = api.now();
    api.clock.advance(Duration::seconds(1)); // the default windows end now, exclusive
    let sent = receiver.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].headers["webhook-authid"], "o365activityapinotification");
    assert_eq!(sent[0].headers["content-type"], "application/json; utf-8");
    let (_, _, listed) = api.call("GET", &format!("subscriptions/content?contentType={AAD}"), "").await;
    let mut expected = listed[0].clone();
    expected["tenantId"] = json!(TENANT);
    expected["clientId"] = json!(custos_testkit::ids::CLIENT_APP_ID);
    assert_eq!(sent[0].body, json!([expected]));
    assert!(expected["contentUri"].as_str().unwrap().starts_with(BASE));
    assert_eq!(delivery.run_once().await.unwrap(), Round::default(), "delivered once");

    let (status, _, notes) =
        api.call("GET", &format!("subscriptions/notifications?contentType={AAD}"), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(notes[0]["notificationStatus"], "Succeeded");
    assert_eq!(notes[0]["contentId"], listed[0]["contentId"]);
    assert_eq!(notes[0]["notificationSent"], super::feed::format_listing_time(sent_at));
}

#[tokio::test]
async fn failures_are_retried_with_backoff_and_a_day_of_them_disables_the_webhook() {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    start_with(&api, &receiver, "").await;
    receiver.take();
    receiver.answer(503);
    api.produce_one().await;
    let delivery = api.delivery(api.store.clone());
    assert_eq!(delivery.run_once().await.unwrap().failed, 1);
    // Retried after 1, 2, 4 minutes: never before.
    for gap in [1, 2, 4] {
        api.clock.advance(Duration::minutes(gap) - Duration::seconds(1));
        assert_eq!(delivery.run_once().await.unwrap(), Round::default(), "not yet after {gap} min");
        api.clock.advance(Duration::seconds(1));
        assert_eq!(delivery.run_once().await.unwrap().failed, 1, "retried after {gap} min");
    }
    assert_eq!(receiver.take().len(), 4);
    api.clock.advance(Duration::seconds(1));
    let (_, _, notes) = api.call("GET", &format!("subscriptions/notifications?contentType={AAD}"), "").await;
    assert_eq!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["notificationStatus"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["Failed"; 4]
    );

    // The endpoint recovers: the next attempt succeeds.
    receiver.answer(200);
    api.clock.advance(Duration::minutes(8));
    assert_eq!(delivery.run_once().await.unwrap().delivered, 1);

    // Failing again for a whole day: the webhook is disabled, content stays listable.
    receiver.answer(500);
    api.clock.advance(Duration::minutes(2));
    api.produce_one().await;
    let mut attempts = 0;
    for _ in 0..40 {
        attempts += delivery.run_once().await.unwrap().failed;
        api.clock.advance(Duration::hours(1));
    }
    let (_, _, list) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(list[0]["webhook"]["status"], "disabled");
    assert!((20..=30).contains(&attempts), "{attempts} attempts in a day, one an hour at most");
    assert_eq!(api.store.outbox_len().await.unwrap(), 0);
    assert_eq!(
        api.call("GET", &format!("subscriptions/content?contentType={AAD}"), "").await.0,
        StatusCode::OK
    );
    // /start re-enables it.
    receiver.answer(200);
    assert_eq!(start_with(&api, &receiver, "").await.0, StatusCode::OK);
    let (_, _, list) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(list[0]["webhook"]["status"], "enabled");
}

#[tokio::test]
async fn an_expired_webhook_gets_nothing() {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    let expiration = super::feed::format_record_time(api.now() + Duration::minutes(30));
    let (status, body) = start_with(&api, &receiver, &expiration).await;
    assert_eq!((status, body["webhook"]["expiration"].as_str()), (StatusCode::OK, Some(expiration.as_str())));
    receiver.take();
    api.clock.advance(Duration::hours(1));
    api.produce_one().await;
    assert_eq!(api.delivery(api.store.clone()).run_once().await.unwrap(), Round::default());
    assert!(receiver.take().is_empty());
    let (_, _, list) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(list[0]["webhook"]["status"], "expired");
    // A later expiration re-enables it.
    let later = super::feed::format_record_time(api.now() + Duration::days(1));
    assert_eq!(start_with(&api, &receiver, &later).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_outbox_survives_a_restart() {
    let api = Api::new().await;
    let receiver = Receiver::start().await;
    start_with(&api, &receiver, "").await;
    receiver.take();
    receiver.answer(500);
    api.produce_one().await;
    assert_eq!(api.delivery(api.store.clone()).run_once().await.unwrap().failed, 1);
    receiver.take();
    api.store.close().await;

    let reopened = Store::open(api.dir.path()).await.unwrap();
    assert_eq!(reopened.outbox_len().await.unwrap(), 1);
    receiver.answer(200);
    api.clock.advance(Duration::minutes(1));
    assert_eq!(api.delivery(reopened.clone()).run_once().await.unwrap().delivered, 1);
    assert_eq!(receiver.take().len(), 1);
    assert_eq!(reopened.outbox_len().await.unwrap(), 0);
}

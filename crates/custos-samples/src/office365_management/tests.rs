//! The Activity API as a client sees it, through real guards and tokens signed by the test
//! authority: every route, every AF error with its exact status and body, paging through
//! `NextPageUri`, content windows, blobs, throttling, and a token of another tenant refused.

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use super::error::WINDOW_MESSAGE;
use super::feed::{ContentType, content_id, format_listing_time};
use super::store::blobs::NewBlob;
use super::store::millis;
use super::store::subscriptions::DisabledBy;
use super::test_support::{Api, BASE, OTHER_TENANT, TENANT, af};

const AAD: &str = "Audit.AzureActiveDirectory";

#[tokio::test]
async fn start_list_stop_and_start_again() {
    let api = Api::new().await;
    let (status, _, body) = api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"contentType": AAD, "status": "enabled", "webhook": null}))
    );
    let (status, _, body) = api
        .call("POST", &format!("subscriptions/start?contentType={AAD}&PublisherIdentifier={TENANT}"), "")
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, af("AF20024", "The subscription is already enabled. No property change."))
    );
    api.call("POST", "subscriptions/start?contentType=DLP.All", "{\"webhook\": null}").await;
    let (status, _, body) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!([{"contentType": AAD, "status": "enabled", "webhook": null},
                   {"contentType": "DLP.All", "status": "enabled", "webhook": null}])
        )
    );
    let (status, _, body) = api.call("POST", &format!("subscriptions/stop?contentType={AAD}"), "").await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let (_, _, body) = api.call("GET", "subscriptions/list", "").await;
    assert_eq!(body[0], json!({"contentType": AAD, "status": "disabled", "webhook": null}));
    let no_subscription = af("AF20022", "No subscription found for the specified content type.");
    for rest in [
        format!("subscriptions/content?contentType={AAD}"),
        format!("subscriptions/notifications?contentType={AAD}"),
        "subscriptions/content?contentType=Audit.Exchange".to_owned(),
    ] {
        let (status, _, body) = api.call("GET", &rest, "").await;
        assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &no_subscription), "{rest}");
    }
    let (status, _, body) = api.call("POST", &format!("subscriptions/stop?contentType={AAD}"), "").await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, no_subscription));
    let (status, _, _) = api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = api.call("GET", &format!("subscriptions/content?contentType={AAD}"), "").await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));

    api.store.disable(TENANT, ContentType::AzureActiveDirectory, DisabledBy::Admin).await.unwrap();
    let (status, _, body) = api.call("GET", &format!("subscriptions/content?contentType={AAD}"), "").await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, af("AF20023", "The subscription was disabled by a tenant admin."))
    );
}

#[tokio::test]
async fn tokens_tenants_and_permissions() {
    let api = Api::new().await;
    let list = format!("/api/v1.0/{TENANT}/activity/feed/subscriptions/list");

    let (status, headers, body) = api.send("GET", &list, None, "").await;
    assert_eq!(
        (status, headers["www-authenticate"].to_str().unwrap(), body),
        (StatusCode::UNAUTHORIZED, "Bearer", Value::Null)
    );

    // A valid token of another tenant is refused with AF20010, naming both tenants.
    let other = api.token(OTHER_TENANT, &["ActivityFeed.Read"]);
    let (status, _, body) = api.send("GET", &list, Some(&other), "").await;
    let message = format!(
        "The tenant ID passed in the URL ({TENANT}) does not match the tenant ID passed in the access token ({OTHER_TENANT})."
    );
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, af("AF20010", &message)));
    // ... and it works on its own tenant's feed.
    let (status, _, _) = api
        .send("GET", &format!("/api/v1.0/{OTHER_TENANT}/activity/feed/subscriptions/list"), Some(&other), "")
        .await;
    assert_eq!(status, StatusCode::OK);

    // A token claiming another tenant but issued by this tenant's issuer is not valid at all.
    let forged = api.authority.v2_with(|c| {
        c["aud"] = json!("https://manage.office.com");
        c["tid"] = json!(OTHER_TENANT);
        c["roles"] = json!(["ActivityFeed.Read"]);
    });
    let (status, headers, _) = api.send("GET", &list, Some(&forged), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers["www-authenticate"].to_str().unwrap().contains("invalid_token"));

    // Another audience is refused by the guard.
    let wrong_audience = api.authority.v2_with(|c| c["roles"] = json!(["ActivityFeed.Read"]));
    assert_eq!(api.send("GET", &list, Some(&wrong_audience), "").await.0, StatusCode::UNAUTHORIZED);

    let (status, _, body) = api
        .send(
            "GET",
            "/api/v1.0/contoso.onmicrosoft.com/activity/feed/subscriptions/list",
            Some(&api.reader()),
            "",
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            af("AF20013", "The tenant ID passed in the URL (contoso.onmicrosoft.com) is not a valid GUID.")
        )
    );

    let no_role = api.token(TENANT, &["ServiceHealth.Read"]);
    let (status, _, body) = api.send("GET", &list, Some(&no_role), "").await;
    let expected = "The permission set (ServiceHealth.Read) sent in the request did not include the expected permission ActivityFeed.Read.";
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, af("AF10001", expected)));

    // The permission as a delegated scope (seed 004's admin token) and the appId as audience.
    let delegated = api.authority.v2_with(|c| {
        let obj = c.as_object_mut().unwrap();
        obj.remove("roles");
        obj.remove("idtyp");
        obj.insert("scp".into(), json!("ActivityFeed.Read ServiceHealth.Read"));
        obj.insert("aud".into(), json!("c5393580-f805-4401-95e8-94b7a6ef2fc2"));
    });
    assert_eq!(api.send("GET", &list, Some(&delegated), "").await.0, StatusCode::OK);
    // Microsoft's paging example uses /api/v1/.
    let (status, _, _) = api
        .send("GET", &format!("/api/v1/{TENANT}/activity/feed/subscriptions/list"), Some(&api.reader()), "")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn parameter_errors_are_exact() {
    let api = Api::new().await;
    api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    let cases = [
        ("POST", "subscriptions/start".to_owned(), "", af("AF20001", "Missing parameter: contentType.")),
        (
            "POST",
            "subscriptions/start?contentType=Audit.Teams".to_owned(),
            "",
            af("AF20020", "The specified content type is not valid."),
        ),
        (
            "POST",
            "subscriptions/start?contentType=audit.general".to_owned(),
            "",
            af("AF20020", "The specified content type is not valid."),
        ),
        (
            "POST",
            "subscriptions/stop?contentType=Nope".to_owned(),
            "",
            af("AF20020", "The specified content type is not valid."),
        ),
        (
            "GET",
            "subscriptions/content?contentType=Nope".to_owned(),
            "",
            af("AF20020", "The specified content type is not valid."),
        ),
        (
            "POST",
            "subscriptions/start?contentType=Audit.General".to_owned(),
            "{not json",
            af("AF20002", "Invalid parameter type: body. Expected type: object"),
        ),
        (
            "POST",
            "subscriptions/start?contentType=Audit.General".to_owned(),
            "{\"webhook\":{\"authId\":\"x\"}}",
            af("AF20001", "Missing parameter: address."),
        ),
        (
            "POST",
            "subscriptions/start?contentType=Audit.General".to_owned(),
            "{\"webhook\":{\"address\":\"https://hooks.example.com/\",\"expiration\":\"2020-01-01T00:00:00\"}}",
            af("AF20003", "Expiration 2020-01-01T00:00:00 provided is set to past date and time."),
        ),
        (
            "GET",
            format!("subscriptions/content?contentType={AAD}&startTime=yesterday&endTime=2027-01-15"),
            "",
            af("AF20002", "Invalid parameter type: startTime. Expected type: datetime"),
        ),
        (
            "GET",
            format!("subscriptions/content?contentType={AAD}&startTime=2027-01-15T01:00"),
            "",
            af("AF20055", WINDOW_MESSAGE),
        ),
        (
            "GET",
            format!(
                "subscriptions/content?contentType={AAD}&startTime=2027-01-14T01:00&endTime=2027-01-15T02:00"
            ),
            "",
            af("AF20055", WINDOW_MESSAGE),
        ),
        (
            "GET",
            format!(
                "subscriptions/content?contentType={AAD}&startTime=2027-01-01T00:00&endTime=2027-01-01T02:00"
            ),
            "",
            af("AF20055", WINDOW_MESSAGE),
        ),
        (
            "GET",
            format!(
                "subscriptions/notifications?contentType={AAD}&startTime=2027-01-15T02:00&endTime=2027-01-15T01:00"
            ),
            "",
            af("AF20055", WINDOW_MESSAGE),
        ),
        (
            "GET",
            format!("subscriptions/content?contentType={AAD}&nextPage=bogus"),
            "",
            af("AF20031", "Invalid nextPage Input: bogus."),
        ),
        (
            "GET",
            "audit/not-an-id".to_owned(),
            "",
            af("AF20052", "Content ID not-an-id in the URL is invalid."),
        ),
    ];
    for (method, rest, body, expected) in cases {
        let (status, _, answer) = api.call(method, &rest, body).await;
        assert_eq!((status, answer), (StatusCode::BAD_REQUEST, expected), "{method} {rest}");
    }
    let id = content_id(ContentType::AzureActiveDirectory, api.now(), api.now());
    let (status, _, answer) = api.call("GET", &format!("audit/{id}"), "").await;
    assert_eq!(
        (status, answer),
        (StatusCode::BAD_REQUEST, af("AF20050", &format!("The specified content ({id}) does not exist.")))
    );
    // Nothing was written by the refused starts.
    assert_eq!(api.call("GET", "subscriptions/list", "").await.2.as_array().unwrap().len(), 1);
    // A future end is accepted, an exactly-24 h window too.
    for window in [
        "startTime=2027-01-15T07:00&endTime=2027-01-16T01:00",
        "startTime=2027-01-14T08:00:00Z&endTime=2027-01-15T08:00:00Z",
    ] {
        let (status, _, _) =
            api.call("GET", &format!("subscriptions/content?contentType={AAD}&{window}"), "").await;
        assert_eq!(status, StatusCode::OK, "{window}");
    }
}

async fn add_blob(
    api: &Api,
    content_type: ContentType,
    created: time::OffsetDateTime,
    records: &str,
) -> String {
    let id = content_id(content_type, created - Duration::minutes(1), created);
    let blob = NewBlob {
        tenant_id: TENANT,
        content_type,
        content_id: &id,
        created_ms: millis(created),
        expires_ms: millis(created + Duration::days(7) - Duration::minutes(1)),
        records,
        until_ms: millis(created),
    };
    api.store.add_blob(&blob, millis(created)).await.unwrap();
    id
}

#[tokio::test]
async fn content_pages_through_next_page_uri_within_the_window() {
    let api = Api::new().await;
    api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    let first = api.now() - Duration::hours(20);
    for i in 0..450 {
        add_blob(&api, ContentType::AzureActiveDirectory, first + Duration::seconds(i * 10), "[]").await;
    }
    // A blob older than the default 24 h window is not listed.
    add_blob(&api, ContentType::AzureActiveDirectory, api.now() - Duration::hours(30), "[]").await;

    let mut path = format!(
        "/api/v1.0/{TENANT}/activity/feed/subscriptions/content?contentType={AAD}&PublisherIdentifier={OTHER_TENANT}"
    );
    let mut listed = Vec::new();
    let mut pages = 0;
    loop {
        let (status, headers, body) = api.send("GET", &path, Some(&api.reader()), "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/json; charset=utf-8");
        listed.extend(body.as_array().unwrap().iter().cloned());
        pages += 1;
        let Some(next) = headers.get("NextPageUri") else { break };
        let next = next.to_str().unwrap();
        assert!(
            next.starts_with(&format!(
                "{BASE}/api/v1.0/{TENANT}/activity/feed/subscriptions/content?contentType={AAD}&startTime="
            )),
            "{next}"
        );
        assert!(
            next.contains(&format!("PublisherIdentifier={OTHER_TENANT}")) && next.contains("&nextPage="),
            "{next}"
        );
        path = next.strip_prefix(BASE).unwrap().to_owned();
    }
    assert_eq!((pages, listed.len()), (3, 450));
    let created: Vec<&str> = listed.iter().map(|b| b["contentCreated"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] < w[1]), "listing never regresses");
    let entry = &listed[0];
    assert_eq!(entry["contentCreated"], format_listing_time(first));
    assert_eq!(entry["contentType"], AAD);
    let id = entry["contentId"].as_str().unwrap();
    assert_eq!(entry["contentUri"], format!("{BASE}/api/v1.0/{TENANT}/activity/feed/audit/{id}"));
    assert_eq!(entry.as_object().unwrap().len(), 5);

    // An explicit window selects on contentCreated, start inclusive, end exclusive.
    let start = format_listing_time(first + Duration::seconds(100));
    let end = format_listing_time(first + Duration::seconds(200));
    let (_, headers, body) = api
        .call("GET", &format!("subscriptions/content?contentType={AAD}&startTime={start}&endTime={end}"), "")
        .await;
    assert_eq!(body.as_array().unwrap().len(), 10);
    assert_eq!(body[0]["contentCreated"], start);
    assert!(headers.get("NextPageUri").is_none());
}

#[tokio::test]
async fn blobs_are_served_until_they_expire() {
    let api = Api::new().await;
    api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    let producer = api.producer(None);
    assert_eq!(
        producer.run_once().await.unwrap(),
        24,
        "the first round backfills the last day, an hour a blob"
    );
    let produced_at = api.now();
    api.clock.advance(Duration::seconds(1)); // the default window ends now, exclusive
    let calls = api.log.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 24);
    assert_eq!(
        calls[0],
        (TENANT.to_owned(), produced_at - Duration::hours(24), produced_at - Duration::hours(23))
    );
    let lag = super::producer::INGEST_LAG;
    assert_eq!(calls[23], (TENANT.to_owned(), produced_at - Duration::hours(1), produced_at - lag));
    let (_, _, listed) = api.call("GET", &format!("subscriptions/content?contentType={AAD}"), "").await;
    let uri = listed[0]["contentUri"].as_str().unwrap().strip_prefix(BASE).unwrap().to_owned();
    let (status, headers, records) =
        api.send("GET", &format!("{uri}?PublisherIdentifier={TENANT}"), Some(&api.reader()), "").await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/json; charset=utf-8")
    );
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["OrganizationId"], TENANT);
    // Another tenant's caller cannot read it through its own feed.
    let other = api.token(OTHER_TENANT, &["ActivityFeed.Read"]);
    let id = listed[0]["contentId"].as_str().unwrap();
    let (status, _, body) = api
        .send("GET", &format!("/api/v1.0/{OTHER_TENANT}/activity/feed/audit/{id}"), Some(&other), "")
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("AF20050")));

    api.clock.advance(Duration::days(6));
    let (status, _, body) = api.send("GET", &uri, Some(&api.reader()), "").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            af(
                "AF20051",
                &format!(
                    "Content requested with the key {id} has already expired. Content older than 7 days cannot be retrieved."
                )
            )
        )
    );
}

#[tokio::test]
async fn the_producer_catches_up_window_by_window_and_generates_other_content() {
    let api = Api::new().await;
    api.call("POST", &format!("subscriptions/start?contentType={AAD}"), "").await;
    api.call("POST", "subscriptions/start?contentType=Audit.Exchange", "").await;
    let producer = api.producer(Some(6.0));
    for _ in 0..3 {
        producer.run_once().await.unwrap();
    }
    // 24 h of backfill in one-hour windows, then nothing until a minute has passed.
    assert_eq!(api.log.calls.lock().unwrap().len(), 24);
    let (_, _, listed) = api.call("GET", "subscriptions/content?contentType=Audit.Exchange", "").await;
    assert_eq!(listed, json!([]), "generated content starts at the first run");
    api.clock.advance(Duration::minutes(2));
    assert_eq!(producer.run_once().await.unwrap(), 2);
    api.clock.advance(Duration::seconds(1));
    let (_, _, listed) = api.call("GET", "subscriptions/content?contentType=Audit.Exchange", "").await;
    let uri = listed[0]["contentUri"].as_str().unwrap().strip_prefix(BASE).unwrap().to_owned();
    let (_, _, records) = api.send("GET", &uri, Some(&api.reader()), "").await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 12);
    assert_eq!(
        (records[0]["Workload"].as_str(), records[0]["RecordType"].as_u64()),
        (Some("Exchange"), Some(2))
    );
    assert!(listed[0]["contentId"].as_str().unwrap().contains("$audit_exchange$Audit_Exchange$"));
}

#[tokio::test]
async fn over_the_budget_the_answer_is_403_af429() {
    let api = Api::with_throttle(Some(2)).await;
    assert_eq!(api.call("GET", "subscriptions/list", "").await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "subscriptions/list", "").await.0, StatusCode::OK);
    let id = content_id(ContentType::AzureActiveDirectory, api.now(), api.now());
    let (status, _, body) = api
        .send(
            "GET",
            &format!("/api/v1.0/{TENANT}/activity/feed/audit/{id}?PublisherIdentifier={OTHER_TENANT}"),
            Some(&api.reader()),
            "",
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::FORBIDDEN,
            af("AF429", &format!("Too many requests. Method=GetBlob, PublisherId={OTHER_TENANT}"))
        )
    );
    // Another tenant has its own budget; the next minute starts afresh.
    let other = api.token(OTHER_TENANT, &["ActivityFeed.Read"]);
    let (status, _, _) = api
        .send("GET", &format!("/api/v1.0/{OTHER_TENANT}/activity/feed/subscriptions/list"), Some(&other), "")
        .await;
    assert_eq!(status, StatusCode::OK);
    api.clock.advance(Duration::minutes(1));
    assert_eq!(api.call("GET", "subscriptions/list", "").await.0, StatusCode::OK);
}

#[tokio::test]
async fn dlp_sensitive_type_names() {
    let api = Api::new().await;
    let path = format!("/api/v1.0/{TENANT}/activity/feed/resources/dlpSensitiveTypes");
    for (language, status, body) in [
        (None, StatusCode::OK, json!([])),
        (Some("en-US"), StatusCode::OK, json!([])),
        (
            Some("en-US, fr-FR"),
            StatusCode::BAD_REQUEST,
            af("AF20053", "Only one language may be present in the Accept-Language header."),
        ),
        (Some("en_US!"), StatusCode::BAD_REQUEST, af("AF20054", "Invalid syntax in Accept-Language header.")),
    ] {
        let mut request =
            axum::http::Request::get(&path).header("authorization", format!("Bearer {}", api.reader()));
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        let response =
            tower::ServiceExt::oneshot(api.router.clone(), request.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
        let answer_status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((answer_status, answer), (status, body), "{language:?}");
    }
}

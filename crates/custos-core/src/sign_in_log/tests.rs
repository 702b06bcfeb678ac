use super::*;
use crate::AppId;
use time::macros::datetime;

fn service_principal_sign_in() -> SignIn {
    SignIn {
        id: Uuid::new_v4(),
        tenant_id: TenantId::new_random(),
        created: datetime!(2026-05-08 11:00:13.123456 UTC),
        event_type: SignInEventType::ServicePrincipal,
        app: SignInApp {
            app_id: AppId::new_random().to_string(),
            display_name: Some("Nightly Sync".to_owned()),
            service_principal: Some((ObjectId::new_random(), "Nightly Sync".to_owned())),
        },
        user: None,
        resource: Some(SignInResource {
            app_id: "00000003-0000-0000-c000-000000000000".to_owned(),
            display_name: Some("Microsoft Graph".to_owned()),
            service_principal_id: Some(ObjectId::new_random()),
        }),
        ip: Some("198.51.100.21".parse().unwrap()),
        user_agent: None,
        correlation_id: Uuid::new_v4(),
        credential: SignInCredential {
            kind: Some(ClientCredentialType::Certificate),
            key_id: Some(Uuid::new_v4()),
            thumbprint: Some("A1B2C3".to_owned()),
            federated_credential_id: None,
        },
        status: SignInStatus::success(),
        scopes: vec![".default".to_owned()],
        login_hint_present: false,
    }
}

#[test]
fn v1_has_the_v1_properties_only() {
    let record = service_principal_sign_in();
    let graph = record.to_graph(GraphVersion::V1);
    assert_eq!(graph["id"], record.id.to_string());
    assert_eq!(graph["createdDateTime"], "2026-05-08T11:00:13.123456Z");
    assert_eq!(graph["appDisplayName"], "Nightly Sync");
    assert_eq!(graph["resourceId"], "00000003-0000-0000-c000-000000000000");
    assert_eq!(graph["ipAddress"], "198.51.100.21");
    assert_eq!(graph["isInteractive"], false);
    assert_eq!(graph["status"], json!({"errorCode": 0, "failureReason": null, "additionalDetails": null}));
    assert_eq!(graph["userPrincipalName"], "");
    assert_eq!(graph["servicePrincipalName"], "Nightly Sync");
    for beta_only in ["signInEventTypes", "clientCredentialType", "servicePrincipalCredentialKeyId"] {
        assert!(graph.get(beta_only).is_none(), "{beta_only} is beta only");
    }
}

#[test]
fn beta_adds_the_kind_and_the_credential_ids() {
    let record = service_principal_sign_in();
    let graph = record.to_graph(GraphVersion::Beta);
    assert_eq!(graph["signInEventTypes"], json!(["servicePrincipal"]));
    assert_eq!(graph["clientCredentialType"], "certificate");
    assert_eq!(graph["servicePrincipalCredentialKeyId"], record.credential.key_id.unwrap().to_string());
    assert_eq!(graph["servicePrincipalCredentialThumbprint"], "A1B2C3");
    assert_eq!(graph["federatedCredentialId"], "");
    assert_eq!(graph["managedServiceIdentity"], Value::Null);
    assert_eq!(
        graph["authenticationProcessingDetails"],
        json!([{"key": "Oauth Scope Info", "value": "[\".default\"]"}])
    );
    let managed = SignIn { event_type: SignInEventType::ManagedIdentity, ..record };
    assert_eq!(managed.to_graph(GraphVersion::Beta)["managedServiceIdentity"]["msiType"], "userAssigned");
}

#[test]
fn a_failure_keeps_its_code_and_first_sentence() {
    let status = SignInStatus::failure(
        7_000_215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.",
    );
    assert_eq!(status.failure_reason.as_deref(), Some("Invalid client secret provided."));
    assert!(!status.succeeded());
    let record = SignIn { status, ..service_principal_sign_in() };
    assert_eq!(record.to_graph(GraphVersion::V1)["status"]["errorCode"], 7_000_215);
    assert_eq!(first_sentence("No period"), "No period");
    assert_eq!(first_sentence(&"x".repeat(1000)).len(), MAX_LOGGED_TEXT);
    assert_eq!(cut("a\0b\nc"), "abc", "control characters (U+0000 above all) never reach the store");
}

#[test]
fn user_sign_ins_name_the_user_in_lower_case() {
    let record = SignIn {
        event_type: SignInEventType::InteractiveUser,
        user: Some(SignInUser {
            id: Some(ObjectId::new_random()),
            principal_name: "Alice@Contoso.com".to_owned(),
            display_name: Some("Alice".to_owned()),
        }),
        app: SignInApp { service_principal: None, ..service_principal_sign_in().app },
        login_hint_present: true,
        scopes: Vec::new(),
        ..service_principal_sign_in()
    };
    let graph = record.to_graph(GraphVersion::Beta);
    assert_eq!(graph["userPrincipalName"], "alice@contoso.com");
    assert_eq!(graph["isInteractive"], true);
    assert_eq!(graph["clientAppUsed"], "Browser");
    assert_eq!(graph["servicePrincipalId"], "");
    assert_eq!(graph["userType"], "member");
    assert_eq!(
        graph["authenticationProcessingDetails"],
        json!([{"key": "Login Hint Present", "value": "True"}])
    );
}

#[test]
fn kinds_round_trip_and_the_stored_form_reads_back() {
    for kind in SignInEventType::ALL {
        assert_eq!(SignInEventType::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(SignInEventType::parse("ServicePrincipal"), None, "Graph compares exactly");
    let record = service_principal_sign_in();
    let stored: SignIn = serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
    assert_eq!(stored, record);
}

#[test]
fn ids_carry_the_microsecond_time_and_sort_with_it() {
    let (first, at) = id_and_time(datetime!(2026-05-08 11:00:13.123456789 UTC));
    assert_eq!(at, datetime!(2026-05-08 11:00:13.123456 UTC));
    assert_eq!(first.get_version_num(), 7);
    let (seconds, nanos) = first.get_timestamp().expect("a v7 id has a time").to_unix();
    assert_eq!((seconds, nanos / 1_000_000), (at.unix_timestamp() as u64, 123));
    let (later, _) = id_and_time(datetime!(2026-05-08 11:00:13.124 UTC));
    let (much_later, _) = id_and_time(datetime!(2026-05-09 00:00 UTC));
    assert!(first < later && later < much_later);
    assert_ne!(id_and_time(at).0, id_and_time(at).0, "two records made at once get two ids");
}

#[test]
fn the_user_agent_is_kept_cut_and_rendered() {
    assert_eq!(
        user_agent(Some(b"azsdk-python-identity/1.19.0 Python/3.11.2")).as_deref(),
        Some("azsdk-python-identity/1.19.0 Python/3.11.2")
    );
    assert_eq!(user_agent(Some(&[b'a'; 300])).map(|ua| ua.len()), Some(MAX_LOGGED_TEXT));
    for left_out in [None, Some(&b""[..]), Some(b"   "), Some(b"\xff\xfe")] {
        assert_eq!(user_agent(left_out), None);
    }
    let mut record = service_principal_sign_in();
    assert_eq!(record.to_graph(GraphVersion::V1)["userAgent"], "");
    record.user_agent = Some("MSAL.Python/1.31.0".to_owned());
    assert_eq!(record.to_graph(GraphVersion::Beta)["userAgent"], "MSAL.Python/1.31.0");
}

//! The mapping of §4 on Graph records shaped as custos (and Microsoft) write them.

use super::*;

const TENANT: &str = "48622b8f-44d3-420c-b4a2-510c8165767e";

#[test]
fn an_app_initiated_grant_becomes_a_record_type_8_with_microsofts_lists() {
    let graph = json!({"id":"Directory_4349d310-67d3-4bf8-835c-60e36b35bac4_U7DT3_22818033","category":"ApplicationManagement",
      "correlationId":"4349d310-67d3-4bf8-835c-60e36b35bac4","result":"success","resultReason":"",
      "activityDisplayName":"Add app role assignment to service principal","activityDateTime":"2026-07-19T14:46:48.608604Z",
      "loggedByService":"Core Directory","operationType":"Assign",
      "initiatedBy":{"user":null,"app":{"appId":null,"displayName":"homelab-agentic-mgmt",
        "servicePrincipalId":"8f35f4e9-5c91-42db-a1f7-d77ada4cc0a2","servicePrincipalName":null}},
      "targetResources":[{"id":"62cb17e7-d25e-4356-ad51-a861585f8634","displayName":"Microsoft Graph","type":"ServicePrincipal",
        "userPrincipalName":null,"groupType":null,"modifiedProperties":[
        {"displayName":"AppRole.Id","oldValue":null,"newValue":"\"242607bd-1d2c-432c-82eb-bdb27baa23ab\""},
        {"displayName":"AppRole.Value","oldValue":null,"newValue":"\"TeamSettings.Read.All\""},
        {"displayName":"TargetId.ServicePrincipalNames","oldValue":null,"newValue":"[\"https://graph.microsoft.com\",\"00000003-0000-0000-c000-000000000000\"]"}]}],
      "additionalDetails":[{"key":"User-Agent","value":"custos-cli/1"}]});
    let record = directory_audit(TENANT, &graph).unwrap();
    let id = uuid_v5(AUDIT_ID_NAMESPACE, "Directory_4349d310-67d3-4bf8-835c-60e36b35bac4_U7DT3_22818033")
        .to_string();
    assert_eq!(record["Id"], id.as_str());
    assert_eq!(id, directory_audit(TENANT, &graph).unwrap()["Id"], "deterministic");
    assert_eq!(record["CreationTime"], "2026-07-19T14:46:48");
    assert_eq!(record["Operation"], "Add app role assignment to service principal.");
    assert_eq!(record["RecordType"], 8);
    assert_eq!(record["ResultStatus"], "Success");
    assert_eq!(record["UserId"], "ServicePrincipal_8f35f4e9-5c91-42db-a1f7-d77ada4cc0a2");
    assert_eq!(record["UserKey"], "Not Available");
    assert_eq!(record["UserType"], 4);
    assert_eq!(record["ClientIP"], "");
    assert_eq!(record["ObjectId"], "https://graph.microsoft.com;00000003-0000-0000-c000-000000000000");
    assert_eq!(record["InterSystemsId"], "4349d310-67d3-4bf8-835c-60e36b35bac4");
    assert_eq!(record["OrganizationId"], TENANT);
    assert_eq!(
        record["ExtendedProperties"],
        json!([{"Name":"additionalDetails","Value":"{\"User-Agent\":\"custos-cli/1\"}"},
               {"Name":"extendedAuditEventCategory","Value":"ServicePrincipal"}])
    );
    assert_eq!(
        record["Actor"],
        json!([{"ID":"homelab-agentic-mgmt","Type":1},
               {"ID":"ServicePrincipal_8f35f4e9-5c91-42db-a1f7-d77ada4cc0a2","Type":2},
               {"ID":"8f35f4e9-5c91-42db-a1f7-d77ada4cc0a2","Type":2},{"ID":"ServicePrincipal","Type":2}])
    );
    assert_eq!(
        record["Target"],
        json!([{"ID":"ServicePrincipal_62cb17e7-d25e-4356-ad51-a861585f8634","Type":2},
               {"ID":"62cb17e7-d25e-4356-ad51-a861585f8634","Type":2},{"ID":"ServicePrincipal","Type":2},
               {"ID":"Microsoft Graph","Type":1},
               {"ID":"https://graph.microsoft.com;00000003-0000-0000-c000-000000000000","Type":4}])
    );
    assert_eq!(
        record["ModifiedProperties"][0],
        json!({"Name":"AppRole.Id","NewValue":"242607bd-1d2c-432c-82eb-bdb27baa23ab","OldValue":""})
    );
    assert_eq!(
        record["ModifiedProperties"][2]["NewValue"],
        "[\r\n  \"https://graph.microsoft.com\",\r\n  \"00000003-0000-0000-c000-000000000000\"\r\n]"
    );
}

#[test]
fn a_user_initiated_role_assignment_names_user_and_role() {
    let graph = json!({"id":"a1","activityDisplayName":"Add member to role","activityDateTime":"2021-02-04T16:31:54.1Z",
      "result":"failure","correlationId":"c",
      "initiatedBy":{"user":{"id":"21119711-1517-43d4-8138-b537dafad016","userPrincipalName":"root@contoso.example",
        "ipAddress":"20.190.129.100"},"app":null},
      "targetResources":[{"id":"6d4c","type":"User","userPrincipalName":"newuser@contoso.example","modifiedProperties":[
          {"displayName":"Role.DisplayName","oldValue":null,"newValue":"\"Helpdesk Administrator\""}]},
        {"id":"79bc","type":"Role","displayName":null,"modifiedProperties":[]}]});
    let record = directory_audit(TENANT, &graph).unwrap();
    assert_eq!(record["ResultStatus"], "Failure");
    assert_eq!(
        (record["UserId"].as_str(), record["UserType"].as_u64()),
        (Some("root@contoso.example"), Some(0))
    );
    assert_eq!(record["UserKey"], "21119711-1517-43d4-8138-b537dafad016");
    assert_eq!(
        (record["ClientIP"].as_str(), record["ActorIpAddress"].as_str()),
        (Some("20.190.129.100"), Some("20.190.129.100"))
    );
    assert_eq!(record["ObjectId"], "newuser@contoso.example");
    assert_eq!(
        record["Actor"],
        json!([{"ID":"root@contoso.example","Type":5},{"ID":"User_21119711-1517-43d4-8138-b537dafad016","Type":2},
               {"ID":"21119711-1517-43d4-8138-b537dafad016","Type":2},{"ID":"User","Type":2}])
    );
    assert_eq!(
        record["Target"],
        json!([{"ID":"User_6d4c","Type":2},{"ID":"6d4c","Type":2},{"ID":"User","Type":2},
               {"ID":"newuser@contoso.example","Type":5},
               {"ID":"Role_79bc","Type":2},{"ID":"79bc","Type":2},{"ID":"Role","Type":2}])
    );
    assert_eq!(record["ModifiedProperties"][0]["NewValue"], "Helpdesk Administrator");
    assert_eq!(record["ExtendedProperties"][0]["Value"], "{}");
}

#[test]
fn operation_names_and_values_follow_the_ual() {
    assert_eq!(operation_name("Reset user password"), "Reset user password.");
    let secrets = "Update application \u{2013} Certificates and secrets management ";
    assert_eq!(operation_name(secrets), secrets);
    assert_eq!(ual_value(&Value::Null), "");
    assert_eq!(ual_value(&json!("\"True\"")), "True");
    assert_eq!(ual_value(&json!("[true]")), "[\r\n  true\r\n]");
    assert_eq!(ual_value(&json!("[]")), "[]");
    assert_eq!(ual_value(&json!("plain")), "plain");
    assert!(directory_audit(TENANT, &json!({"id": "x"})).is_none(), "no time");
}

fn graph_sign_in(code: i64) -> Value {
    json!({"id":"66ea54eb-6301-4ee5-be62-ff5a759b0100","createdDateTime":"2020-03-13T19:15:41.6195833Z",
      "userDisplayName":"Test Contoso","userPrincipalName":"testaccount1@contoso.com","userId":"26be570a-ae82-4189-b4e2-a37c6808512d",
      "appId":"de8bc8b5-d9f9-48b1-a8ad-b748da725064","appDisplayName":"Graph explorer","ipAddress":"131.107.159.37",
      "correlationId":"d79f5bee-5860-4832-928f-3133e22ae912","isInteractive":true,
      "resourceId":"00000003-0000-0000-c000-000000000000",
      "status":{"errorCode":code,"failureReason":null,"additionalDetails":null},
      "deviceDetail":{"deviceId":"","operatingSystem":"Windows 10","browser":"Edge 80.0.361"}})
}

#[test]
fn a_user_sign_in_becomes_a_record_type_15() {
    let record = sign_in(TENANT, &graph_sign_in(0)).unwrap();
    assert_eq!(
        record,
        json!({"CreationTime":"2020-03-13T19:15:41","Id":"66ea54eb-6301-4ee5-be62-ff5a759b0100","Operation":"UserLoggedIn",
          "OrganizationId":TENANT,"RecordType":15,"ResultStatus":"Success",
          "UserKey":"26be570a-ae82-4189-b4e2-a37c6808512d","UserType":0,"Version":1,"Workload":"AzureActiveDirectory",
          "ClientIP":"131.107.159.37","ObjectId":"00000003-0000-0000-c000-000000000000","UserId":"testaccount1@contoso.com",
          "AzureActiveDirectoryEventType":1,
          "ExtendedProperties":[{"Name":"ResultStatusDetail","Value":"Success"},{"Name":"UserAgent","Value":""},
            {"Name":"UserAuthenticationMethod","Value":"1"},{"Name":"RequestType","Value":"Login:login"},
            {"Name":"KeepMeSignedIn","Value":"false"}],
          "ModifiedProperties":[],
          "Actor":[{"ID":"26be570a-ae82-4189-b4e2-a37c6808512d","Type":0},{"ID":"testaccount1@contoso.com","Type":5}],
          "ActorContextId":TENANT,"ActorIpAddress":"131.107.159.37",
          "InterSystemsId":"d79f5bee-5860-4832-928f-3133e22ae912","IntraSystemId":"66ea54eb-6301-4ee5-be62-ff5a759b0100",
          "SupportTicketId":"","Target":[{"ID":"00000003-0000-0000-c000-000000000000","Type":0}],"TargetContextId":TENANT,
          "ApplicationId":"de8bc8b5-d9f9-48b1-a8ad-b748da725064",
          "DeviceProperties":[{"Name":"OS","Value":"Windows 10"},{"Name":"BrowserType","Value":"Edge"},
            {"Name":"IsCompliant","Value":"False"},{"Name":"IsCompliantAndManaged","Value":"False"}],
          "ErrorNumber":"0"})
    );
}

#[test]
fn failed_sign_ins_carry_the_logon_error_and_workload_sign_ins_are_left_out() {
    let failed = sign_in(TENANT, &graph_sign_in(50126)).unwrap();
    assert_eq!(
        (failed["Operation"].as_str(), failed["ResultStatus"].as_str()),
        (Some("UserLoginFailed"), Some("Failed"))
    );
    assert_eq!(
        (failed["ErrorNumber"].as_str(), failed["LogonError"].as_str()),
        (Some("50126"), Some("InvalidUserNameOrPassword"))
    );
    assert_eq!(failed["ExtendedProperties"][0]["Value"], "UserError");
    let mut service = graph_sign_in(0);
    service["userId"] = json!("");
    assert!(sign_in(TENANT, &service).is_none());
}

#[test]
fn installation_changes_have_a_system_actor() {
    let graph = json!({"id":"i1","activityDisplayName":"Add application","activityDateTime":"2026-12-07T15:19:49Z",
      "result":"success","initiatedBy":{"user":null,"app":{"appId":null,"displayName":"custos","servicePrincipalId":""}},
      "targetResources":[{"id":"a1","type":"Application","displayName":"Reader","modifiedProperties":[]}]});
    let record = directory_audit(TENANT, &graph).unwrap();
    assert_eq!(
        (record["UserId"].as_str(), record["UserKey"].as_str(), record["UserType"].as_u64()),
        (Some("custos"), Some("Not Available"), Some(4))
    );
    assert_eq!(record["Actor"], json!([{"ID":"custos","Type":1}]));
    assert_eq!(record["ObjectId"], "Not Available");
}

#[test]
fn workload_sign_ins_map_only_when_asked_for() {
    let graph = json!({"id":"5d4e3f2a-1b0c-4d8e-9f6a-5b4c3d2e0100","createdDateTime":"2026-05-08T11:00:13Z",
      "appId":"0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f","servicePrincipalId":"3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b",
      "userId":"","userPrincipalName":"","isInteractive":false,"signInEventTypes":["servicePrincipal"],
      "ipAddress":"198.51.100.21","resourceId":"00000003-0000-0000-c000-000000000000",
      "status":{"errorCode":0}});
    assert!(sign_in(TENANT, &graph).is_none());
    let record = workload_sign_in(TENANT, &graph).unwrap();
    assert_eq!(record["UserId"], "ServicePrincipal_3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b");
    assert_eq!((record["UserKey"].as_str(), record["UserType"].as_u64()), (Some("Not Available"), Some(6)));
    assert_eq!(
        record["Actor"],
        json!([{"ID":"3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b","Type":0},{"ID":"0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f","Type":2}])
    );
    assert_eq!(
        (record["Operation"].as_str(), record["RecordType"].as_u64()),
        (Some("UserLoggedIn"), Some(15))
    );
    assert_eq!(record["ApplicationId"], "0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f");
    assert_eq!(record["ExtendedProperties"][3], json!({"Name":"RequestType","Value":"OAuth2:Token"}));
    assert!(workload_sign_in(TENANT, &graph_sign_in(0)).is_none(), "a user sign-in");
}

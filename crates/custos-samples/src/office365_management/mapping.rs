//! Graph `directoryAudit` and `signIn` records → Management Activity records in the common schema
//! (`audit-and-activity.md` §4): RecordType 8 for directory audits, 15 for user sign-ins. Pure and
//! deterministic, so a record derived twice is byte-identical (consumers dedupe on `Id`).

use custos_core::aadsts::TokenError;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::feed::format_record_time;

/// The namespace of the UUIDv5 `Id`s derived from directory-audit ids (custos' own, fixed).
pub const AUDIT_ID_NAMESPACE: Uuid = uuid::uuid!("3f4bd0a4-7c55-5b8e-9d0e-6a1c2b3d4e5f");

/// A record's `CreationTime`-relevant instant, if it parses.
fn instant(raw: Option<&Value>) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(raw?.as_str()?, &Rfc3339).ok()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn id_entry(id: &str, kind: u8) -> Value {
    json!({"ID": id, "Type": kind})
}

/// UUIDv5 (SHA-1, RFC 9562 §5.5) of `name` in `namespace`.
pub fn uuid_v5(namespace: Uuid, name: &str) -> Uuid {
    let mut input = namespace.as_bytes().to_vec();
    input.extend_from_slice(name.as_bytes());
    let digest = custos_jose::hash::sha1(&input);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// `Operation` for a Graph activity name: the name and a period, except the en-dash
/// certificates-and-secrets activity, which keeps its trailing space and gets none (§4.3).
pub fn operation_name(activity: &str) -> String {
    if activity.contains('\u{2013}') { activity.to_owned() } else { format!("{activity}.") }
}

/// A Graph `modifiedProperties` value as the UAL writes it (§4.4): null → `""`, a JSON string
/// literal unquoted, a JSON array pretty-printed with CRLF and two spaces, anything else as is.
pub fn ual_value(graph: &Value) -> String {
    let Some(raw) = graph.as_str() else {
        return if graph.is_null() { String::new() } else { graph.to_string() };
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::String(inner)) => inner,
        Ok(array @ Value::Array(_)) => {
            serde_json::to_string_pretty(&array).unwrap_or_else(|_| raw.to_owned()).replace('\n', "\r\n")
        }
        _ => raw.to_owned(),
    }
}

/// The identity entries of one target resource (§4.2), by its `type`.
fn target_entries(target: &Value) -> Vec<Value> {
    let kind = text(target, "type");
    let oid = text(target, "id");
    let name = target.get("displayName").and_then(Value::as_str);
    let mut entries = vec![id_entry(&format!("{kind}_{oid}"), 2), id_entry(oid, 2), id_entry(kind, 2)];
    match kind {
        "User" => {
            if let Some(upn) = target.get("userPrincipalName").and_then(Value::as_str) {
                entries.push(id_entry(upn, 5));
            }
        }
        _ => {
            if let Some(name) = name {
                entries.push(id_entry(name, 1));
            }
            if kind == "ServicePrincipal"
                && let Some(spns) = service_principal_names(target)
            {
                entries.push(id_entry(&spns, 4));
            }
        }
    }
    entries
}

/// `TargetId.ServicePrincipalNames` of a service-principal target, `;`-joined, when recorded.
fn service_principal_names(target: &Value) -> Option<String> {
    let property = target
        .get("modifiedProperties")?
        .as_array()?
        .iter()
        .find(|p| text(p, "displayName") == "TargetId.ServicePrincipalNames")?;
    let value = ual_value(property.get("newValue")?);
    let names: Vec<String> = match serde_json::from_str::<Vec<String>>(&value.replace("\r\n", "\n")) {
        Ok(list) => list,
        Err(_) => vec![value],
    };
    Some(names.join(";")).filter(|s| !s.is_empty())
}

/// `ObjectId` for the first target (§4.1).
fn object_id(target: Option<&Value>) -> String {
    let Some(target) = target else { return "Directory".to_owned() };
    match text(target, "type") {
        "User" => {
            target.get("userPrincipalName").and_then(Value::as_str).unwrap_or(text(target, "id")).to_owned()
        }
        "ServicePrincipal" => {
            service_principal_names(target).unwrap_or_else(|| text(target, "id").to_owned())
        }
        "Application" => "Not Available".to_owned(),
        "Role" => "Directory".to_owned(),
        _ => target.get("displayName").and_then(Value::as_str).unwrap_or(text(target, "id")).to_owned(),
    }
}

/// Who acted: `(UserId, UserKey, UserType, Actor, ip)`.
fn actor(initiated_by: Option<&Value>) -> (String, String, u8, Vec<Value>, String) {
    let user = initiated_by.and_then(|i| i.get("user")).filter(|u| u.is_object());
    let app = initiated_by.and_then(|i| i.get("app")).filter(|a| a.is_object());
    if let Some(user) = user {
        let (upn, oid) = (text(user, "userPrincipalName"), text(user, "id"));
        let actor = vec![
            id_entry(upn, 5),
            id_entry(&format!("User_{oid}"), 2),
            id_entry(oid, 2),
            id_entry("User", 2),
        ];
        return (upn.to_owned(), oid.to_owned(), 0, actor, text(user, "ipAddress").to_owned());
    }
    if let Some(app) = app.filter(|a| !text(a, "servicePrincipalId").is_empty()) {
        let oid = text(app, "servicePrincipalId");
        let mut actor = vec![id_entry(text(app, "displayName"), 1)];
        if let Some(app_id) = app.get("appId").and_then(Value::as_str) {
            actor.push(id_entry(app_id, 2));
        }
        actor.extend([
            id_entry(&format!("ServicePrincipal_{oid}"), 2),
            id_entry(oid, 2),
            id_entry("ServicePrincipal", 2),
        ]);
        let ip = text(app, "ipAddress").to_owned();
        return (format!("ServicePrincipal_{oid}"), "Not Available".to_owned(), 4, actor, ip);
    }
    // A system actor (custos' own installation changes): named by its display name, as
    // Microsoft's system records name theirs (`Certificate`, `Microsoft Azure AD Internal - …`).
    let name = app.map(|a| text(a, "displayName")).filter(|n| !n.is_empty()).unwrap_or("Not Available");
    let ip = app.map(|a| text(a, "ipAddress").to_owned()).unwrap_or_default();
    (name.to_owned(), "Not Available".to_owned(), 4, vec![id_entry(name, 1)], ip)
}

/// A Graph `directoryAudit` as a RecordType 8 record of `tenant` (`None` if it has no id or time).
pub fn directory_audit(tenant: &str, record: &Value) -> Option<Value> {
    let graph_id = record.get("id")?.as_str()?;
    let at = instant(record.get("activityDateTime"))?;
    let id = uuid_v5(AUDIT_ID_NAMESPACE, graph_id).to_string();
    let targets: Vec<Value> =
        record.get("targetResources").and_then(Value::as_array).cloned().unwrap_or_default();
    let first = targets.first();
    let (user_id, user_key, user_type, actor, ip) = actor(record.get("initiatedBy"));
    let details: Map<String, Value> = record
        .get("additionalDetails")
        .and_then(Value::as_array)
        .map(|pairs| {
            pairs
                .iter()
                .map(|p| (text(p, "key").to_owned(), Value::String(text(p, "value").to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let category = first.map_or("Directory", |t| text(t, "type"));
    let modified: Vec<Value> = first
        .and_then(|t| t.get("modifiedProperties"))
        .and_then(Value::as_array)
        .map(|properties| {
            properties
                .iter()
                .map(|p| {
                    json!({
                        "Name": text(p, "displayName"),
                        "NewValue": ual_value(p.get("newValue").unwrap_or(&Value::Null)),
                        "OldValue": ual_value(p.get("oldValue").unwrap_or(&Value::Null)),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let result = if text(record, "result") == "success" { "Success" } else { "Failure" };
    Some(json!({
        "CreationTime": format_record_time(at),
        "Id": id,
        "Operation": operation_name(text(record, "activityDisplayName")),
        "OrganizationId": tenant,
        "RecordType": 8,
        "ResultStatus": result,
        "UserKey": user_key,
        "UserType": user_type,
        "Version": 1,
        "Workload": "AzureActiveDirectory",
        "ClientIP": ip,
        "ObjectId": object_id(first),
        "UserId": user_id,
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [
            {"Name": "additionalDetails", "Value": Value::Object(details).to_string()},
            {"Name": "extendedAuditEventCategory", "Value": category},
        ],
        "ModifiedProperties": modified,
        "Actor": actor,
        "ActorContextId": tenant,
        "ActorIpAddress": ip,
        "InterSystemsId": text(record, "correlationId"),
        "IntraSystemId": id,
        "SupportTicketId": "",
        "Target": targets.iter().flat_map(target_entries).collect::<Vec<_>>(),
        "TargetContextId": tenant,
    }))
}

/// The short `LogonError` name of a failed sign-in's AADSTS code (§4.5).
fn logon_error(code: i64) -> String {
    match code {
        50126 => "InvalidUserNameOrPassword".to_owned(),
        50155 => "DeviceAuthenticationFailed".to_owned(),
        500011 => "InvalidResourceServicePrincipalNotFound".to_owned(),
        _ => u32::try_from(code)
            .ok()
            .and_then(TokenError::lookup)
            .map(|e| format!("{e:?}").chars().take_while(char::is_ascii_alphanumeric).collect())
            .unwrap_or_else(|| format!("AADSTS{code}")),
    }
}

/// Who signed in, as a RecordType 15 record names them.
struct Signer {
    user_id: String,
    user_key: String,
    user_type: u8,
    actor: Vec<Value>,
}

/// A Graph `signIn` of a user as a RecordType 15 record of `tenant`; `None` for sign-ins without a
/// user (service principals and managed identities, §4.6: see [`workload_sign_in`]) or without id
/// or time.
pub fn sign_in(tenant: &str, record: &Value) -> Option<Value> {
    let user_id = text(record, "userId");
    if user_id.is_empty() {
        return None;
    }
    let upn = text(record, "userPrincipalName");
    let signer = Signer {
        user_id: upn.to_owned(),
        user_key: user_id.to_owned(),
        user_type: 0,
        actor: vec![id_entry(user_id, 0), id_entry(upn, 5)],
    };
    sts_logon(tenant, record, signer)
}

/// A Graph (beta) service-principal or managed-identity `signIn` as a RecordType 15 record: the
/// custos extension `--include-workload-sign-ins` (§4.6; Microsoft's feed shows none). `None` for
/// user sign-ins or records without id or time.
pub fn workload_sign_in(tenant: &str, record: &Value) -> Option<Value> {
    let sp = text(record, "servicePrincipalId");
    if sp.is_empty() || !text(record, "userId").is_empty() {
        return None;
    }
    let app_id = text(record, "appId");
    let signer = Signer {
        user_id: format!("ServicePrincipal_{sp}"),
        user_key: "Not Available".to_owned(),
        user_type: 6,
        actor: vec![id_entry(sp, 0), id_entry(app_id, 2)],
    };
    sts_logon(tenant, record, signer)
}

/// The RecordType 15 fields of a sign-in by `signer` (§4.5).
fn sts_logon(tenant: &str, record: &Value, signer: Signer) -> Option<Value> {
    let id = record.get("id")?.as_str()?;
    let at = instant(record.get("createdDateTime"))?;
    let code = record.pointer("/status/errorCode").and_then(Value::as_i64).unwrap_or(0);
    let (operation, result, detail) = if code == 0 {
        ("UserLoggedIn", "Success", "Success")
    } else {
        ("UserLoginFailed", "Failed", "UserError")
    };
    let resource = Some(text(record, "resourceId")).filter(|r| !r.is_empty()).unwrap_or("Unknown");
    let request_type = if record.get("isInteractive").and_then(Value::as_bool) == Some(true) {
        "Login:login"
    } else {
        "OAuth2:Token"
    };
    let device = record.get("deviceDetail").cloned().unwrap_or(Value::Null);
    let browser = text(&device, "browser").split(' ').next().unwrap_or("").to_owned();
    let mut device_properties = vec![
        json!({"Name": "OS", "Value": text(&device, "operatingSystem")}),
        json!({"Name": "BrowserType", "Value": browser}),
        json!({"Name": "IsCompliant", "Value": "False"}),
        json!({"Name": "IsCompliantAndManaged", "Value": "False"}),
    ];
    if let Some(session) = record.get("sessionId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        device_properties.push(json!({"Name": "SessionId", "Value": session}));
    }
    let ip = text(record, "ipAddress");
    let context = |key: &str| Some(text(record, key)).filter(|t| !t.is_empty()).unwrap_or(tenant).to_owned();
    let mut out = json!({
        "CreationTime": format_record_time(at),
        "Id": id,
        "Operation": operation,
        "OrganizationId": tenant,
        "RecordType": 15,
        "ResultStatus": result,
        "UserKey": signer.user_key,
        "UserType": signer.user_type,
        "Version": 1,
        "Workload": "AzureActiveDirectory",
        "ClientIP": ip,
        "ObjectId": resource,
        "UserId": signer.user_id,
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [
            {"Name": "ResultStatusDetail", "Value": detail},
            {"Name": "UserAgent", "Value": text(record, "userAgent")},
            {"Name": "UserAuthenticationMethod", "Value": "1"},
            {"Name": "RequestType", "Value": request_type},
            {"Name": "KeepMeSignedIn", "Value": "false"},
        ],
        "ModifiedProperties": [],
        "Actor": signer.actor,
        "ActorContextId": context("homeTenantId"),
        "ActorIpAddress": ip,
        "InterSystemsId": text(record, "correlationId"),
        "IntraSystemId": id,
        "SupportTicketId": "",
        "Target": [id_entry(resource, 0)],
        "TargetContextId": context("resourceTenantId"),
        "ApplicationId": text(record, "appId"),
        "DeviceProperties": device_properties,
        "ErrorNumber": code.to_string(),
    });
    if code != 0 {
        out["LogonError"] = Value::String(logon_error(code));
    }
    Some(out)
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;

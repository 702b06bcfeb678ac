//! Errors of the admin CLI, each saying what happened and what to do about it.
//!
//! Server answers become `<server> answered <status> <code>: <message>` with a hint chosen by
//! status (401: credentials, 403: the missing app role); transport failures become "is the
//! server running?" or "pass --ca". No message ever contains a secret or a token.

use super::connection::ConfigError;
use std::path::PathBuf;

/// The appId of the built-in directory API resource (Microsoft Graph's well-known id).
pub(crate) const DIRECTORY_API_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

#[derive(Debug, thiserror::Error)]
pub(crate) enum AdminError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{server} answered {status} {code}: {message}{}", hint_line(hint.as_deref()))]
    Api { server: String, status: u16, code: String, message: String, hint: Option<String> },
    #[error("cannot connect to {server} ({detail})\nhint: is `custos serve` running at {server}?")]
    Unreachable { server: String, detail: String },
    #[error(
        "TLS with {server} failed ({detail})\nhint: if the server uses the development CA, pass --ca \
         DIR/tls/ca.pem (or set CUSTOS_CA) where DIR is its data directory"
    )]
    Tls { server: String, detail: String },
    #[error("request to {server} failed: {detail}")]
    Transport { server: String, detail: String },
    #[error("{server} answered {status} with a body that is not the expected JSON")]
    UnexpectedBody { server: String, status: u16 },
    #[error("cannot use the CA file {}: {detail}", path.display())]
    CaFile { path: PathBuf, detail: String },
    #[error(
        "no {kind} matches '{input}'\nhint: give its appId, object id or exact display name; \
         `custos {command} list` shows them"
    )]
    NotFound { kind: &'static str, command: &'static str, input: String },
    #[error(
        "{count} {kind}s are named '{input}': {candidates}\nhint: give the appId or object id instead",
        count = candidates.len(), candidates = candidates.join(", ")
    )]
    Ambiguous { kind: &'static str, input: String, candidates: Vec<String> },
    #[error(
        "application '{name}' ({app_id}) has no service principal in this tenant\nhint: run \
         `custos sp create {app_id}` first"
    )]
    NoServicePrincipal { name: String, app_id: String },
    #[error(
        "'{resource}' defines no enabled application role '{role}' (it has: {})",
        list_or_none(available)
    )]
    UnknownRole { resource: String, role: String, available: Vec<String> },
    #[error("the server answered a token that is not a JWT ({0})")]
    NotAJwt(&'static str),
    #[error("{0}")]
    Usage(String),
}

fn hint_line(hint: Option<&str>) -> String {
    hint.map_or_else(String::new, |h| format!("\nhint: {h}"))
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none".to_owned() } else { items.join(", ") }
}

/// What the caller of a request is, for hints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) profile: Option<&'a std::path::Path>,
}

/// The hint for a failed answer to `method path` (path without the server).
pub(crate) fn hint_for(
    status: u16,
    code: &str,
    method: &str,
    path: &str,
    caller: Caller<'_>,
) -> Option<String> {
    if path.contains("/oauth2/") {
        return token_hint(status, code, caller);
    }
    match status {
        401 => Some(credentials_hint(caller)),
        403 => {
            let role = required_role(method, path);
            Some(format!(
                "the app {client} lacks the app role {role} on the directory API; grant it with \
                 `custos role assign --client {client} --resource {DIRECTORY_API_APP_ID} --role {role}`",
                client = caller.client_id
            ))
        }
        _ => None,
    }
}

/// Hints for the token endpoint's OAuth error codes (entra-wire.md §8).
fn token_hint(status: u16, code: &str, caller: Caller<'_>) -> Option<String> {
    match code {
        "invalid_client" => Some(credentials_hint(caller)),
        "invalid_tenant" => Some("check --tenant: a tenant GUID or domain of this server (`custos tenant list`)".to_owned()),
        "unauthorized_client" => Some(format!(
            "check --client-id and --tenant: application {} must exist and be enabled in this tenant",
            caller.client_id
        )),
        "invalid_scope" | "invalid_resource" => Some(
            "check --scope/--resource (an Application ID URI or appId, with /.default for --scope) and that the \
             resource has a service principal (`custos sp create`)"
                .to_owned(),
        ),
        "invalid_grant" => Some(
            "the client may need an app role on the resource: `custos role assign --client APP --resource APP --role VALUE`"
                .to_owned(),
        ),
        _ if status == 401 => Some(credentials_hint(caller)),
        _ => None,
    }
}

fn credentials_hint(caller: Caller<'_>) -> String {
    format!(
        "check the client id and secret (--client-id/--client-secret, CUSTOS_CLIENT_ID/CUSTOS_CLIENT_SECRET{})",
        caller.profile.map_or_else(String::new, |p| format!(", or the profile {}", p.display()))
    )
}

/// The directory-API app role a call needs, as Microsoft Graph defines it (and `Custos.Admin`
/// for custos's own admin API).
pub(crate) fn required_role(method: &str, path: &str) -> &'static str {
    let read = method.eq_ignore_ascii_case("GET");
    if path.starts_with("/admin/") {
        "Custos.Admin"
    } else if path.contains("/appRoleAssignedTo") || path.contains("/appRoleAssignments") {
        if read { "Application.Read.All" } else { "AppRoleAssignment.ReadWrite.All" }
    } else if path.contains("/auditLogs/") {
        "AuditLog.Read.All"
    } else if read {
        "Application.Read.All"
    } else {
        "Application.ReadWrite.All"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: Caller<'_> = Caller { client_id: "c1", profile: None };

    fn api_error(status: u16, code: &str, method: &str, path: &str) -> AdminError {
        AdminError::Api {
            server: "https://localhost:8443".to_owned(),
            status,
            code: code.to_owned(),
            message: "the message".to_owned(),
            hint: hint_for(status, code, method, path, CALLER),
        }
    }

    #[test]
    fn unauthorized_answers_point_at_the_credentials() {
        let caller = Caller { client_id: "c1", profile: Some(std::path::Path::new("/d/admin.json")) };
        let err = AdminError::Api {
            server: "https://localhost:8443".to_owned(),
            status: 401,
            code: "invalid_client".to_owned(),
            message: "AADSTS7000215: Invalid client secret provided.".to_owned(),
            hint: hint_for(401, "invalid_client", "POST", "/t/oauth2/v2.0/token", caller),
        };
        assert_eq!(
            err.to_string(),
            "https://localhost:8443 answered 401 invalid_client: AADSTS7000215: Invalid client secret provided.\n\
             hint: check the client id and secret (--client-id/--client-secret, \
             CUSTOS_CLIENT_ID/CUSTOS_CLIENT_SECRET, or the profile /d/admin.json)"
        );
    }

    #[test]
    fn forbidden_answers_name_the_missing_role() {
        let err = api_error(403, "Authorization_RequestDenied", "POST", "/v1.0/applications");
        assert_eq!(
            err.to_string(),
            "https://localhost:8443 answered 403 Authorization_RequestDenied: the message\n\
             hint: the app c1 lacks the app role Application.ReadWrite.All on the directory API; grant it with \
             `custos role assign --client c1 --resource 00000003-0000-0000-c000-000000000000 \
             --role Application.ReadWrite.All`"
        );
    }

    #[test]
    fn token_endpoint_errors_point_at_the_option_to_fix() {
        let hint = |code| hint_for(400, code, "POST", "/t/oauth2/v2.0/token", CALLER).unwrap();
        assert_eq!(
            hint("invalid_tenant"),
            "check --tenant: a tenant GUID or domain of this server (`custos tenant list`)"
        );
        assert_eq!(
            hint("unauthorized_client"),
            "check --client-id and --tenant: application c1 must exist and be enabled in this tenant"
        );
        assert!(hint("invalid_scope").starts_with("check --scope/--resource"));
        assert!(hint("invalid_client").starts_with("check the client id and secret"));
        assert_eq!(hint_for(400, "unsupported_grant_type", "POST", "/t/oauth2/token", CALLER), None);
    }

    #[test]
    fn other_answers_have_no_hint() {
        let err = api_error(404, "Request_ResourceNotFound", "GET", "/v1.0/applications/x");
        assert_eq!(
            err.to_string(),
            "https://localhost:8443 answered 404 Request_ResourceNotFound: the message"
        );
    }

    #[test]
    fn roles_follow_graph_permissions() {
        assert_eq!(required_role("GET", "/v1.0/applications"), "Application.Read.All");
        assert_eq!(required_role("PATCH", "/v1.0/servicePrincipals/x"), "Application.ReadWrite.All");
        assert_eq!(
            required_role("POST", "/v1.0/servicePrincipals/x/appRoleAssignedTo"),
            "AppRoleAssignment.ReadWrite.All"
        );
        assert_eq!(
            required_role("DELETE", "/v1.0/servicePrincipals/x/appRoleAssignedTo/y"),
            "AppRoleAssignment.ReadWrite.All"
        );
        assert_eq!(
            required_role("GET", "/v1.0/servicePrincipals/x/appRoleAssignments"),
            "Application.Read.All"
        );
        assert_eq!(required_role("GET", "/admin/v1/tenants"), "Custos.Admin");
        assert_eq!(required_role("GET", "/v1.0/auditLogs/signIns"), "AuditLog.Read.All");
    }

    #[test]
    fn transport_errors_say_what_to_do() {
        let refused = AdminError::Unreachable {
            server: "https://localhost:9".to_owned(),
            detail: "connection refused".to_owned(),
        };
        assert_eq!(
            refused.to_string(),
            "cannot connect to https://localhost:9 (connection refused)\nhint: is `custos serve` running at https://localhost:9?"
        );
        let tls = AdminError::Tls {
            server: "https://localhost:9".to_owned(),
            detail: "invalid peer certificate: UnknownIssuer".to_owned(),
        };
        assert!(
            tls.to_string()
                .ends_with("pass --ca DIR/tls/ca.pem (or set CUSTOS_CA) where DIR is its data directory")
        );
    }

    #[test]
    fn resolution_errors_explain_the_accepted_forms() {
        let err = AdminError::NotFound { kind: "application", command: "app", input: "Payroll".to_owned() };
        assert_eq!(
            err.to_string(),
            "no application matches 'Payroll'\nhint: give its appId, object id or exact display name; `custos app list` shows them"
        );
        let err = AdminError::Ambiguous {
            kind: "application",
            input: "P".to_owned(),
            candidates: vec!["a".to_owned(), "b".to_owned()],
        };
        assert_eq!(
            err.to_string(),
            "2 applications are named 'P': a, b\nhint: give the appId or object id instead"
        );
        let err =
            AdminError::UnknownRole { resource: "api".to_owned(), role: "X".to_owned(), available: vec![] };
        assert_eq!(err.to_string(), "'api' defines no enabled application role 'X' (it has: none)");
    }
}

//! Directory audits: the record of one directory change, written by the store in the same
//! transaction as the change itself (`custos_store::Store`: every mutating method takes the
//! [`DirectoryAudit`] of its change), and rendered in Microsoft Graph's `directoryAudit` shape
//! ([`DirectoryAudit::to_graph`]).
//!
//! - **What happened**: one [`Activity`] from the catalogue below, the one place that holds
//!   Entra's activity names, categories and operation types (handlers never write the strings).
//!   The names are Entra's byte for byte (`"Update application – Certificates and secrets
//!   management "` carries its en dash and trailing space). Changes Entra has no activity for are
//!   named in Entra's style and marked *custos* in their docs (tenants, signing keys).
//! - **Who**: an [`Initiator`]: the calling application (its service principal), the signed-in
//!   user of a delegated token, or the installation itself (start-up provisioning, key
//!   rotation, offline recovery), each with the client's IP address when there was a request.
//! - **On what**: [`AuditTarget`]s with their [`ModifiedProperty`]s, whose values are
//!   JSON-encoded strings exactly as Graph sends them: attributes of the target as JSON arrays
//!   (`"[\"Payroll\"]"`, `"[]"` before creation), link properties (`AppRole.Value`, `Role.*`,
//!   `ServicePrincipal.*`) as JSON string literals (`"\"Payroll.Read\""`).
//! - **Never a secret**: credentials are described by their `keyId`, type, display name and
//!   hint ([`credential_properties`]); nothing here accepts a secret value, a password or a
//!   token, and `Update user` lists a changed password only by name.
//!
//! Only successful changes are recorded: a refused request changes nothing and writes no
//! record, so [`DirectoryAudit::to_graph`] always says `"result": "success"`. The record's `id`
//! has Graph's form, `Directory_<correlationId>_<5 letters or digits>_<integer>`.
//!
//! Scope: a record belongs to one tenant ([`DirectoryAudit::tenant_id`]), or, for the
//! installation-wide signing keys, to no tenant (`None`); readers see only their own tenant's.

use crate::ids::{AppId, ObjectId, TenantId};
use crate::model::Application;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::IpAddr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Graph's `loggedByService` of every custos directory audit.
pub const LOGGED_BY_SERVICE: &str = "Core Directory";

/// `additionalDetails` key custos sets on the records of managed identities' objects.
pub const SERVICE_PRINCIPAL_TYPE_DETAIL: &str = "ServicePrincipalType";

macro_rules! activities {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $category:literal, $op:literal;)*) => {
        /// What a directory change was: Entra's catalogue of audit activities, as far as custos
        /// makes such changes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Activity {
            $($(#[$doc])* $variant,)*
        }

        impl Activity {
            /// Every activity, in catalogue order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// Graph's `activityDisplayName`, byte for byte.
            pub fn display_name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// Graph's `category`.
            pub fn category(self) -> &'static str {
                match self { $(Self::$variant => $category,)* }
            }

            /// Graph's `operationType`.
            pub fn operation_type(self) -> &'static str {
                match self { $(Self::$variant => $op,)* }
            }
        }
    };
}

activities! {
    /// An application registration was created.
    AddApplication => "Add application", "ApplicationManagement", "Add";
    /// Descriptive properties of an application changed (also its federated identity
    /// credentials, as Entra has no activity of their own).
    UpdateApplication => "Update application", "ApplicationManagement", "Update";
    /// A client secret or certificate of an application was added or removed.
    UpdateApplicationCredentials =>
        "Update application \u{2013} Certificates and secrets management ", "ApplicationManagement", "Update";
    /// An application registration was deleted.
    DeleteApplication => "Delete application", "ApplicationManagement", "Delete";
    /// A service principal was created (also a managed identity's).
    AddServicePrincipal => "Add service principal", "ApplicationManagement", "Add";
    /// A service principal changed.
    UpdateServicePrincipal => "Update service principal", "ApplicationManagement", "Update";
    /// A service principal was deleted.
    RemoveServicePrincipal => "Remove service principal", "ApplicationManagement", "Delete";
    /// An owner was added to an application.
    AddOwnerToApplication => "Add owner to application", "ApplicationManagement", "Assign";
    /// An owner was removed from an application.
    RemoveOwnerFromApplication => "Remove owner from application", "ApplicationManagement", "Unassign";
    /// An owner was added to a service principal.
    AddOwnerToServicePrincipal => "Add owner to service principal", "ApplicationManagement", "Assign";
    /// An owner was removed from a service principal.
    RemoveOwnerFromServicePrincipal =>
        "Remove owner from service principal", "ApplicationManagement", "Unassign";
    /// An app role was assigned to a service principal.
    AddAppRoleAssignment => "Add app role assignment to service principal", "ApplicationManagement", "Assign";
    /// An app role assignment was removed.
    RemoveAppRoleAssignment =>
        "Remove app role assignment from service principal", "ApplicationManagement", "Unassign";
    /// Someone consented to an application (the sign-in pages or the admin API).
    ConsentToApplication => "Consent to application", "ApplicationManagement", "Assign";
    /// A delegated permission grant was created.
    AddDelegatedPermissionGrant => "Add delegated permission grant", "ApplicationManagement", "Assign";
    /// The scopes of a delegated permission grant changed.
    UpdateDelegatedPermissionGrant => "Update delegated permission grant", "ApplicationManagement", "Update";
    /// A delegated permission grant was removed.
    RemoveDelegatedPermissionGrant => "Remove delegated permission grant", "ApplicationManagement", "Unassign";
    /// A user was created.
    AddUser => "Add user", "UserManagement", "Add";
    /// A user's properties changed.
    UpdateUser => "Update user", "UserManagement", "Update";
    /// A user was deleted.
    DeleteUser => "Delete user", "UserManagement", "Delete";
    /// An administrator set a user's password.
    ResetUserPassword => "Reset user password", "UserManagement", "Update";
    /// What was issued to a user before now stopped working (`revokeSignInSessions`).
    UpdateStsRefreshTokenValidFrom => "Update StsRefreshTokenValidFrom Timestamp", "UserManagement", "Update";
    /// A directory role was assigned.
    AddMemberToRole => "Add member to role", "RoleManagement", "Assign";
    /// A directory role assignment was removed.
    RemoveMemberFromRole => "Remove member from role", "RoleManagement", "Unassign";
    /// A tenant was created (Entra's name for a new tenant's first record).
    CreateCompany => "Create company", "DirectoryManagement", "Add";
    /// A tenant's settings (user consent, the password grant, assertion replay) changed; Entra
    /// logs its user-consent setting under this name.
    UpdateAuthorizationPolicy => "Update authorization policy", "Policy", "Update";
    /// *custos*: a token-signing key was generated (published before it signs).
    AddSigningKey => "Add signing key", "KeyManagement", "Add";
    /// *custos*: a token-signing key changed state (started signing, retired).
    UpdateSigningKey => "Update signing key", "KeyManagement", "Update";
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Initiator {
    /// An application with an app-only token: its service principal.
    App {
        /// The client id.
        app_id: AppId,
        /// The service principal's display name, when it could be read.
        display_name: Option<String>,
        /// The service principal's object id (`oid` of the token).
        service_principal_id: ObjectId,
        /// The client's address.
        ip: Option<IpAddr>,
    },
    /// A signed-in user (a delegated token, or the sign-in pages).
    User {
        /// The user's object id.
        id: ObjectId,
        /// The user's principal name, when it could be read.
        upn: Option<String>,
        /// The client's address.
        ip: Option<IpAddr>,
    },
    /// custos itself, without a request: provisioning at start-up (`init`, `serve --demo`,
    /// built-in resources), signing-key rotation, offline recovery (`recover-admin`).
    Installation,
}

/// The display name of [`Initiator::Installation`] in `initiatedBy.app`.
pub const INSTALLATION_DISPLAY_NAME: &str = "custos";

/// Graph's `targetResource.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetType {
    /// An application registration.
    Application,
    /// A service principal (also a managed identity's).
    ServicePrincipal,
    /// A user.
    User,
    /// A directory role.
    Role,
    /// The tenant.
    Directory,
    /// A policy (the tenant's settings).
    Policy,
    /// Anything else (a signing key).
    Other,
}

impl TargetType {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "Application",
            Self::ServicePrincipal => "ServicePrincipal",
            Self::User => "User",
            Self::Role => "Role",
            Self::Directory => "Directory",
            Self::Policy => "Policy",
            Self::Other => "Other",
        }
    }
}

/// One property a change touched. Values are already JSON-encoded strings (see the module docs);
/// build them with [`ModifiedProperty::attribute`] or [`ModifiedProperty::link`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifiedProperty {
    /// The property's name, e.g. `DisplayName`, `AppRole.Value`.
    pub display_name: String,
    /// The value before, or `None`.
    pub old_value: Option<String>,
    /// The value after, or `None`.
    pub new_value: Option<String>,
}

impl ModifiedProperty {
    /// An attribute of the target: old and new value as compact JSON arrays (`"[]"` when the
    /// attribute had no value, as on creation).
    pub fn attribute(name: &str, old: Option<Value>, new: Option<Value>) -> Self {
        let array = |value: Option<Value>| match value {
            None | Some(Value::Null) => "[]".to_owned(),
            Some(Value::Array(items)) => Value::Array(items).to_string(),
            Some(one) => Value::Array(vec![one]).to_string(),
        };
        Self { display_name: name.to_owned(), old_value: Some(array(old)), new_value: Some(array(new)) }
    }

    /// A link or assignment property: no old value, the new one as a JSON string literal.
    pub fn link(name: &str, value: impl AsRef<str>) -> Self {
        Self {
            display_name: name.to_owned(),
            old_value: None,
            new_value: Some(Value::String(value.as_ref().to_owned()).to_string()),
        }
    }

    /// A link property whose value went away (removals): the old value as a JSON string literal.
    pub fn unlinked(name: &str, value: impl AsRef<str>) -> Self {
        Self {
            display_name: name.to_owned(),
            old_value: Some(Value::String(value.as_ref().to_owned()).to_string()),
            new_value: None,
        }
    }

    /// `Included Updated Properties`: the names of the changed attributes, joined with `, `.
    pub fn included(names: &[&str]) -> Self {
        Self::link("Included Updated Properties", names.join(", "))
    }
}

/// One object a change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTarget {
    /// The object's id (an object id; a `kid` for signing keys; an assignment id).
    pub id: String,
    /// Its display name, when it has one.
    pub display_name: Option<String>,
    /// What it is.
    pub kind: TargetType,
    /// A user target's principal name.
    pub user_principal_name: Option<String>,
    /// What changed on it.
    pub modified_properties: Vec<ModifiedProperty>,
}

impl AuditTarget {
    /// A target of `kind` with no modified properties yet.
    pub fn new(kind: TargetType, id: impl ToString, display_name: Option<&str>) -> Self {
        Self {
            id: id.to_string(),
            display_name: display_name.map(str::to_owned),
            kind,
            user_principal_name: None,
            modified_properties: Vec::new(),
        }
    }

    /// A user target.
    pub fn user(id: ObjectId, display_name: &str, upn: &str) -> Self {
        Self {
            user_principal_name: Some(upn.to_owned()),
            ..Self::new(TargetType::User, id, Some(display_name))
        }
    }

    /// The same target with these modified properties added.
    #[must_use]
    pub fn with(mut self, properties: impl IntoIterator<Item = ModifiedProperty>) -> Self {
        self.modified_properties.extend(properties);
        self
    }
}

/// The record of one directory change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryAudit {
    /// Graph's record id, `Directory_<correlationId>_<5 alnum>_<integer>`.
    pub id: String,
    /// The tenant the change belongs to; `None` for installation-wide changes (signing keys).
    pub tenant_id: Option<TenantId>,
    /// What happened.
    pub activity: Activity,
    /// When (the injected clock's time).
    #[serde(with = "time::serde::rfc3339")]
    pub activity_time: OffsetDateTime,
    /// The request's `client-request-id`, or a new GUID; shared by the records of one operation.
    pub correlation_id: Uuid,
    /// Who.
    pub initiated_by: Initiator,
    /// On what; the first is the main target.
    pub targets: Vec<AuditTarget>,
    /// Graph's `additionalDetails` (`key`, `value`).
    pub additional_details: Vec<(String, String)>,
}

/// Who acted, when and under which correlation id: everything a record needs besides what
/// happened. One per request (or start-up task); [`AuditContext::record`] makes its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContext {
    /// Who.
    pub initiator: Initiator,
    /// Shared by every record of the request.
    pub correlation_id: Uuid,
    /// When.
    pub now: OffsetDateTime,
}

impl AuditContext {
    /// The context of work custos does by itself at `now` (a new correlation id).
    pub fn installation(now: OffsetDateTime) -> Self {
        Self { initiator: Initiator::Installation, correlation_id: Uuid::new_v4(), now }
    }

    /// A record of `activity` in `tenant` on `target`.
    pub fn record(&self, tenant: TenantId, activity: Activity, target: AuditTarget) -> DirectoryAudit {
        self.record_in(Some(tenant), activity, vec![target])
    }

    /// A record of `activity` in `tenant` (or, `None`, installation-wide) on `targets`.
    pub fn record_in(
        &self,
        tenant: Option<TenantId>,
        activity: Activity,
        targets: Vec<AuditTarget>,
    ) -> DirectoryAudit {
        DirectoryAudit {
            id: record_id(self.correlation_id),
            tenant_id: tenant,
            activity,
            // Kept to the microsecond, as the store keeps times.
            activity_time: self
                .now
                .replace_nanosecond(self.now.nanosecond() / 1_000 * 1_000)
                .unwrap_or(self.now),
            correlation_id: self.correlation_id,
            initiated_by: self.initiator.clone(),
            targets,
            additional_details: Vec::new(),
        }
    }
}

/// A record id of Graph's form: `Directory_<correlationId>_<5 alnum>_<integer>`.
fn record_id(correlation_id: Uuid) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let random = Uuid::new_v4();
    let bytes = random.as_bytes();
    let letters: String =
        bytes[..5].iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    let number = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) % 100_000_000;
    format!("Directory_{correlation_id}_{letters}_{number}")
}

impl DirectoryAudit {
    /// The same record with one more `additionalDetails` entry.
    #[must_use]
    pub fn with_detail(mut self, key: &str, value: &str) -> Self {
        self.additional_details.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The record in Graph's `directoryAudit` shape (v1.0).
    pub fn to_graph(&self) -> Value {
        let ip = |ip: &Option<IpAddr>| ip.map_or_else(String::new, |ip| ip.to_string());
        let initiated_by = match &self.initiated_by {
            Initiator::App { app_id, display_name, service_principal_id, ip: address } => json!({
                "user": null,
                "app": {
                    "appId": app_id.to_string(),
                    "displayName": display_name,
                    "servicePrincipalId": service_principal_id.to_string(),
                    "servicePrincipalName": null,
                    "ipAddress": ip(address),
                },
            }),
            Initiator::User { id, upn, ip: address } => json!({
                "app": null,
                "user": {
                    "id": id.to_string(),
                    "displayName": null,
                    "userPrincipalName": upn,
                    "ipAddress": ip(address),
                },
            }),
            Initiator::Installation => json!({
                "user": null,
                "app": {
                    "appId": null,
                    "displayName": INSTALLATION_DISPLAY_NAME,
                    "servicePrincipalId": null,
                    "servicePrincipalName": null,
                },
            }),
        };
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "displayName": t.display_name,
                    "type": t.kind.as_str(),
                    "userPrincipalName": t.user_principal_name,
                    "groupType": null,
                    "modifiedProperties": t.modified_properties.iter().map(|p| json!({
                        "displayName": p.display_name,
                        "oldValue": p.old_value,
                        "newValue": p.new_value,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "id": self.id,
            "category": self.activity.category(),
            "correlationId": self.correlation_id.to_string(),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": self.activity.display_name(),
            "activityDateTime": graph_time(self.activity_time),
            "loggedByService": LOGGED_BY_SERVICE,
            "operationType": self.activity.operation_type(),
            "initiatedBy": initiated_by,
            "targetResources": targets,
            "additionalDetails": self.additional_details.iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect::<Vec<_>>(),
        })
    }
}

/// A UTC time as Graph writes it: RFC 3339 with `Z`.
pub(crate) fn graph_time(time: OffsetDateTime) -> String {
    time.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// `KeyDescription` and `FederatedIdentityCredentials` of an application before and after a
/// credential change, as old/new lists (Entra's way to show which key came or went): each secret
/// or certificate as `[KeyIdentifier=<keyId>,KeyType=Password|AsymmetricX509Cert,KeyUsage=Verify,
/// DisplayName=<name>]` (a secret also with its 3-character `Hint`, never its value), each
/// federated identity credential by name, issuer, subject and audiences. Only the lists that
/// differ are returned.
pub fn credential_properties(before: &Application, after: &Application) -> Vec<ModifiedProperty> {
    let keys = |app: &Application| -> Vec<Value> {
        let secrets = app.password_credentials.iter().map(|p| {
            Value::String(format!(
                "[KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName={},Hint={}]",
                p.key_id,
                p.display_name.as_deref().unwrap_or(""),
                p.hint
            ))
        });
        let certificates = app.key_credentials.iter().map(|k| {
            Value::String(format!(
                "[KeyIdentifier={},KeyType={},KeyUsage={},DisplayName={}]",
                k.key_id,
                k.key_type,
                k.usage,
                k.display_name.as_deref().unwrap_or("")
            ))
        });
        secrets.chain(certificates).collect()
    };
    let federated = |app: &Application| -> Vec<Value> {
        app.federated_identity_credentials
            .iter()
            .map(|f| json!({"Name": f.name, "Issuer": f.issuer, "Subject": f.subject, "Audiences": f.audiences}))
            .collect()
    };
    let mut changed = Vec::new();
    let (old_keys, new_keys) = (keys(before), keys(after));
    if old_keys != new_keys {
        changed.push(ModifiedProperty::attribute(
            "KeyDescription",
            Some(Value::Array(old_keys)),
            Some(Value::Array(new_keys)),
        ));
    }
    let (old_federated, new_federated) = (federated(before), federated(after));
    if old_federated != new_federated {
        changed.push(ModifiedProperty::attribute(
            "FederatedIdentityCredentials",
            Some(Value::Array(old_federated)),
            Some(Value::Array(new_federated)),
        ));
    }
    let names: Vec<&str> = changed.iter().map(|p| p.display_name.as_str()).collect();
    if !names.is_empty() {
        let included = ModifiedProperty::included(&names);
        changed.push(included);
    }
    changed
}

/// For tests that write to a store directly, where what the change's record says does not matter.
#[cfg(feature = "testing")]
pub mod testing {
    use super::{Activity, AuditContext, DirectoryAudit};

    /// One record of no particular change, as every mutating store method needs at least one.
    pub fn placeholder() -> [DirectoryAudit; 1] {
        [AuditContext::installation(time::OffsetDateTime::UNIX_EPOCH).record_in(
            None,
            Activity::AddApplication,
            Vec::new(),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn activity_names_are_entras_byte_for_byte() {
        assert_eq!(
            Activity::UpdateApplicationCredentials.display_name().as_bytes(),
            "Update application \u{2013} Certificates and secrets management ".as_bytes()
        );
        assert_eq!(
            Activity::AddAppRoleAssignment.display_name(),
            "Add app role assignment to service principal"
        );
        assert_eq!(Activity::AddMemberToRole.category(), "RoleManagement");
        assert_eq!(Activity::ResetUserPassword.display_name(), "Reset user password");
        let mut names: Vec<_> = Activity::ALL.iter().map(|a| a.display_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Activity::ALL.len(), "every activity has its own name");
    }

    #[test]
    fn property_values_are_json_strings_as_graph_sends_them() {
        let created = ModifiedProperty::attribute("DisplayName", None, Some(json!("Payroll")));
        assert_eq!(created.old_value.as_deref(), Some("[]"));
        assert_eq!(created.new_value.as_deref(), Some("[\"Payroll\"]"));
        let flag = ModifiedProperty::attribute("AccountEnabled", Some(json!(true)), Some(json!(false)));
        assert_eq!((flag.old_value.as_deref(), flag.new_value.as_deref()), (Some("[true]"), Some("[false]")));
        let link = ModifiedProperty::link("AppRole.Value", "Payroll.Read");
        assert_eq!((link.old_value, link.new_value.as_deref()), (None, Some("\"Payroll.Read\"")));
        assert_eq!(ModifiedProperty::included(&["A", "B"]).new_value.as_deref(), Some("\"A, B\""));
    }

    #[test]
    fn graph_shape_names_exactly_one_initiator_and_has_graphs_id_form() {
        let context = AuditContext {
            initiator: Initiator::App {
                app_id: AppId::new_random(),
                display_name: Some("admin".to_owned()),
                service_principal_id: ObjectId::new_random(),
                ip: Some("198.51.100.7".parse().unwrap()),
            },
            correlation_id: Uuid::new_v4(),
            now: datetime!(2026-07-19 14:46:48.608604 UTC),
        };
        let tenant = TenantId::new_random();
        let record = context.record(
            tenant,
            Activity::AddApplication,
            AuditTarget::new(TargetType::Application, ObjectId::new_random(), Some("Payroll")),
        );
        let graph = record.to_graph();
        assert_eq!(graph["activityDisplayName"], "Add application");
        assert_eq!(graph["category"], "ApplicationManagement");
        assert_eq!(graph["result"], "success");
        assert_eq!(graph["operationType"], "Add");
        assert_eq!(graph["activityDateTime"], "2026-07-19T14:46:48.608604Z");
        assert!(graph["initiatedBy"]["user"].is_null());
        assert_eq!(graph["initiatedBy"]["app"]["ipAddress"], "198.51.100.7");
        assert_eq!(graph["targetResources"][0]["type"], "Application");
        let id = record.id.strip_prefix(&format!("Directory_{}_", context.correlation_id)).unwrap();
        let (letters, number) = id.split_once('_').unwrap();
        assert_eq!(letters.len(), 5);
        assert!(letters.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(number.parse::<u32>().is_ok());
        let stored: DirectoryAudit = serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
        assert_eq!(stored, record);
    }
}

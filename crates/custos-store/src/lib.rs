//! Storage for custos.
//!
//! This crate owns persistence: the narrow [`Store`] trait, its one SQL implementation
//! ([`SqlStore`]) with a small dialect and migrations per database, SQLite ([`sqlite`]) and
//! PostgreSQL ([`postgres`]), and [`Directory`], the read-through cache that the token path
//! reads from and that every write invalidates, the batching [`SignInLog`] writer and the log
//! [`retention`] purge. It depends only on
//! `custos-core`; it knows nothing of HTTP, tokens or Graph JSON.
//!
//! **Directory audits.** Every method that changes the directory, its tenants, their settings
//! or the signing keys takes the records ([`DirectoryAudit`]) of the change, at least one, and
//! inserts them in the same database transaction as the change: all are committed, or nothing
//! (a refused change, e.g. NotFound or Conflict, writes no record; an empty list is
//! [`StoreError::InvalidInput`]). A change without its record is therefore
//! impossible, also across `kill -9`; and no caller can forget the record, as the method does not
//! exist without it. Records are read with [`Store::directory_audits`] (pages) and
//! [`Store::directory_audit`] (one, by id), and never changed (the
//! table refuses updates). Sign-in state (sessions, codes, refresh tokens) and assertion
//! replay markers are not directory changes and take no record.
//!
//! Every write is committed (SQLite in WAL mode with `synchronous=FULL`, PostgreSQL with the
//! server's default synchronous commit) before the method returns, so a response that depends on
//! a write never precedes it.

use async_trait::async_trait;
use custos_core::audit::DirectoryAudit;
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::sign_in_log::SignIn;
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};
pub use replay::{AssertionMarker, MarkerOutcome};
pub use sign_in::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated; the text names the rule (e.g. an identifier URI in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The object to update or delete does not exist.
    #[error("not found")]
    NotFound,
    /// A credential change ([`Store::modify_application`]) broke a rule; nothing was written.
    #[error("change refused: {0}")]
    Refused(#[from] ChangeRefused),
    /// The input cannot be stored as given; nothing was written and the database was not
    /// asked. Today: text containing U+0000 (NUL), which PostgreSQL cannot keep, refused on
    /// every backend alike (a lookup by such a key finds nothing instead). A caller's mistake,
    /// never a backend failure.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The database failed or could not be reached. Never shown to clients verbatim.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence of the directory and of signing keys. Implementation: [`SqlStore`], as
/// [`sqlite::SqliteStore`] and [`postgres::PostgresStore`]. All ids are scoped by tenant: an
/// object of another tenant is never returned, updated or deleted (no cross-tenant IDOR).
///
/// Conventions shared by both backends (checked by `tests/conformance.rs`):
/// - object ids (of tenants, applications, service principals, assignments) are unique across
///   tenants; appIds, identifier URIs and grants are unique per tenant, identifier URIs by
///   [`custos_core::scope::identifier_uri_key`] (so `api://x` and `API://x/` collide);
/// - a create naming a tenant or service principal that does not exist in the tenant fails with
///   [`StoreError::Conflict`] (a missing reference);
/// - times are kept to the microsecond: finer digits are dropped and any offset reads back as UTC;
/// - updates replace the mutable fields only: `tenant_id`, `app_id` and `created` of an
///   application or service principal never change;
/// - text containing U+0000 is never stored: a write carrying it fails with
///   [`StoreError::InvalidInput`] before reaching the database;
/// - every mutating method takes the change's records ([`DirectoryAudit`], at least one) and
///   commits them with the change (see the crate docs); they are written as given, except that
///   [`Store::modify_application`] adds the credential lists it changed
///   ([`custos_core::audit::credential_properties`]) to the first record's first target.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- tenants
    /// Creates a tenant. Conflict when the id or domain (case-insensitive) exists.
    async fn create_tenant(&self, tenant: &Tenant, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// A tenant by id.
    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>>;
    /// A tenant by domain name, compared case-insensitively.
    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>>;
    /// All tenants, oldest first.
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;

    // --- applications
    /// Creates an application. Conflict when an identifier URI is already used in the tenant,
    /// or the appId/object id exists.
    async fn create_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// Replaces the descriptive fields of an application (matched by tenant and object id):
    /// display name, description, identifier URIs, app roles, token version, sign-in audience,
    /// redirect URIs, required resource access and permission scopes. Its credentials (`password_credentials`, `key_credentials`,
    /// `federated_identity_credentials`) are left as stored, whatever `app` holds: they change
    /// only through [`Store::modify_application`], so that a PATCH built from an older read can
    /// never undo a concurrent credential change (Graph's PATCH cannot set secrets at all).
    /// NotFound when absent; Conflict on an identifier URI used by another application.
    async fn update_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// Applies one credential change to an application atomically and returns the application
    /// as written. NotFound when the application is absent; [`StoreError::Refused`] when the
    /// change breaks a rule of [`change`] (unknown `keyId` or credential id, a limit, a
    /// duplicate).
    ///
    /// Concurrency: the change is applied to the current row inside one write transaction that
    /// holds the row's lock from read to commit (SQLite: `BEGIN IMMEDIATE`, the database write
    /// lock; PostgreSQL: `SELECT ... FOR UPDATE`). Concurrent changes therefore queue and each
    /// sees the previous one: N concurrent additions all survive, and a removal is never undone
    /// by an addition that read the row earlier. Pessimistic locking is chosen over an
    /// optimistic version column because these writes are rare, short and contend only on one
    /// row, so waiting costs nothing measurable, while compare-and-swap would need a schema
    /// change and a retry loop in every caller.
    async fn modify_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        change: ApplicationChange,
        audit: &[DirectoryAudit],
    ) -> StoreResult<Application>;
    /// Deletes an application, its service principal and every assignment and delegated
    /// permission grant that names that principal. NotFound when absent.
    async fn delete_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// An application by object id.
    async fn application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<Application>>;
    /// An application by client id.
    async fn application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<Application>>;
    /// All applications of a tenant, oldest first.
    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>>;
    /// One page of a tenant's applications in the order of [`Store::applications`], after
    /// `query.after`, at most `query.limit` (capped at [`MAX_OBJECT_PAGE`]); with
    /// `query.skip_managed_identities`, without those whose service principal is a managed
    /// identity; with `query.display_name_prefix`, only those whose display name starts with
    /// it. `next` is set when the page is full. The SQL store reads one index range (the cost of
    /// a page does not grow with the tenant); this default reads the whole list.
    async fn applications_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<Application>> {
        let mut all = self.applications(query.tenant).await?;
        if query.skip_managed_identities {
            let managed: std::collections::HashSet<AppId> = self
                .service_principals(query.tenant)
                .await?
                .into_iter()
                .filter(|sp| {
                    sp.service_principal_type == custos_core::model::ServicePrincipalType::ManagedIdentity
                })
                .map(|sp| sp.app_id)
                .collect();
            all.retain(|app| !managed.contains(&app.app_id));
        }
        Ok(page::slice(
            all,
            query,
            &page::Listed { created: |a| a.created, display_name: |a| &a.display_name },
        ))
    }
    /// The applications of a tenant with these client ids (unknown ones are skipped), in no
    /// particular order: one read for a page of service principals. The SQL store asks once;
    /// this default asks per id.
    async fn applications_by_app_ids(
        &self,
        tenant: TenantId,
        app_ids: &[AppId],
    ) -> StoreResult<Vec<Application>> {
        let mut found = Vec::with_capacity(app_ids.len());
        for app_id in app_ids {
            found.extend(self.application_by_app_id(tenant, *app_id).await?);
        }
        Ok(found)
    }
    /// The registrations with this client id in any tenant, oldest first: how another tenant
    /// finds a multi-tenant application's home registration (its credentials and permissions).
    async fn applications_by_app_id(&self, app_id: AppId) -> StoreResult<Vec<Application>>;
    /// The application of `tenant` one of whose identifier URIs has the key of `uri`
    /// ([`custos_core::scope::identifier_uri_key`]: no trailing slashes, ASCII lower case); at
    /// most one, as keys are unique per tenant. It narrows a tenant to the one application an
    /// identifier can name; the caller still compares the URIs as the token path does (exactly,
    /// or with one trailing slash more or less). The SQL store reads the `(tenant_id, uri_key)`
    /// index; this default reads the whole list.
    async fn application_by_identifier_uri(
        &self,
        tenant: TenantId,
        uri: &str,
    ) -> StoreResult<Option<Application>> {
        let key = custos_core::scope::identifier_uri_key(uri);
        let all = self.applications(tenant).await?;
        Ok(all
            .into_iter()
            .find(|app| app.identifier_uris.iter().any(|u| custos_core::scope::identifier_uri_key(u) == key)))
    }
    /// How many applications and service principals `tenant` has (0 for an unknown tenant): the
    /// size by which [`Directory`] chooses between a whole-tenant snapshot and slices. The SQL
    /// store counts index entries; this default reads both lists.
    async fn directory_object_count(&self, tenant: TenantId) -> StoreResult<u64> {
        let applications = self.applications(tenant).await?.len();
        let service_principals = self.service_principals(tenant).await?.len();
        Ok((applications + service_principals) as u64)
    }

    // --- service principals
    /// Creates a service principal. Conflict when the tenant already has one for this appId.
    async fn create_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Replaces a service principal. NotFound when absent.
    async fn update_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Deletes a service principal, its assignments (both directions) and the delegated
    /// permission grants naming it as client or resource. NotFound when absent.
    async fn delete_service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// A service principal by object id.
    async fn service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
    ) -> StoreResult<Option<ServicePrincipal>>;
    /// A service principal by client id.
    async fn service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<ServicePrincipal>>;
    /// All service principals of a tenant, oldest first.
    async fn service_principals(&self, tenant: TenantId) -> StoreResult<Vec<ServicePrincipal>>;

    /// One page of a tenant's service principals in the order of [`Store::service_principals`],
    /// as [`Store::applications_page`] reads applications.
    async fn service_principals_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<ServicePrincipal>> {
        let all = self.service_principals(query.tenant).await?;
        Ok(page::slice(
            all,
            query,
            &page::Listed { created: |s| s.created, display_name: |s| &s.display_name },
        ))
    }

    // --- app role assignments
    /// Creates an assignment. Conflict when the same (principal, resource, role) exists.
    async fn create_assignment(
        &self,
        assignment: &AppRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Deletes an assignment by id. NotFound when absent.
    async fn delete_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Every assignment of a tenant, oldest first.
    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>>;
    /// The assignments of service principal `principal` on service principal `resource`,
    /// oldest first. The SQL store reads one index range; this default reads the whole list.
    async fn assignments_between(
        &self,
        tenant: TenantId,
        principal: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<AppRoleAssignment>> {
        let mut all = self.assignments(tenant).await?;
        all.retain(|a| a.principal_id == principal && a.resource_id == resource);
        Ok(all)
    }

    // --- owners (of applications and service principals; users or service principals)
    /// The owners of `object`, in the order added (empty when none or unknown). Deleting an
    /// application, service principal or user removes the rows naming it on either side.
    async fn owners(&self, tenant: TenantId, object: ObjectId) -> StoreResult<Vec<ObjectId>>;
    /// Makes `owner` an owner of `object` (the caller checks both exist). Conflict when it is
    /// one already.
    async fn add_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        created: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Removes `owner` from `object`'s owners. NotFound when it is not one.
    async fn remove_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;

    // --- users
    /// Creates a user with an Argon2id password hash. Conflict when the tenant has a user with
    /// the same user principal name (case-insensitive) or the id exists; Conflict when the
    /// tenant does not exist.
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Replaces a user's mutable fields (everything but `tenant_id`, `id` and `created`).
    /// NotFound when absent; Conflict on a user principal name another user has.
    async fn update_user(&self, user: &User, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// Replaces a user's password hash and voids what was issued before `tokens_valid_from`.
    /// NotFound when absent.
    async fn set_user_password(
        &self,
        tenant: TenantId,
        id: ObjectId,
        password_hash: &str,
        tokens_valid_from: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Deletes a user with their directory roles, their own delegated grants, sessions and
    /// refresh-token families. NotFound when absent.
    async fn delete_user(&self, tenant: TenantId, id: ObjectId, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// A user by object id.
    async fn user(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<User>>;
    /// A user by user principal name, compared case-insensitively.
    async fn user_by_upn(&self, tenant: TenantId, upn: &str) -> StoreResult<Option<User>>;
    /// All users of a tenant, oldest first.
    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>>;
    /// One page of a tenant's users in the order of [`Store::users`], as
    /// [`Store::applications_page`] reads applications (`query.skip_managed_identities` does not
    /// apply).
    async fn users_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<User>> {
        let all = self.users(query.tenant).await?;
        Ok(page::slice(
            all,
            query,
            &page::Listed { created: |u| u.created, display_name: |u| &u.display_name },
        ))
    }
    /// A user's password hash (for sign-in only).
    async fn user_password_hash(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<String>>;

    // --- directory roles
    /// Assigns a directory role. Conflict when the user already holds it or does not exist.
    async fn create_directory_role_assignment(
        &self,
        assignment: &DirectoryRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Removes a directory role assignment by id. NotFound when absent.
    async fn delete_directory_role_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Every directory role assignment of a tenant, oldest first.
    async fn directory_role_assignments(&self, tenant: TenantId)
    -> StoreResult<Vec<DirectoryRoleAssignment>>;

    // --- delegated permission grants
    /// Creates a grant. Conflict when one exists for the same (client, resource, principal), or
    /// a service principal it names does not exist in the tenant.
    async fn create_permission_grant(
        &self,
        grant: &OAuth2PermissionGrant,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Replaces a grant's `scope`. NotFound when absent.
    async fn update_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        scope: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Deletes a grant. NotFound when absent.
    async fn delete_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;
    /// Every grant of a tenant, oldest first.
    async fn permission_grants(&self, tenant: TenantId) -> StoreResult<Vec<OAuth2PermissionGrant>>;
    /// The grants to client service principal `client` on resource service principal
    /// `resource` (tenant-wide and per user), oldest first. The SQL store reads one index range;
    /// this default reads the whole list.
    async fn permission_grants_between(
        &self,
        tenant: TenantId,
        client: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        let mut all = self.permission_grants(tenant).await?;
        all.retain(|g| g.client_id == client && g.resource_id == resource);
        Ok(all)
    }

    // --- interactive sign-in state ([`sign_in`])
    /// Stores a browser session.
    async fn create_session(&self, session: &SignInSession) -> StoreResult<()>;
    /// The live session (`now < expires`) with this id hash.
    async fn session(&self, id_hash: &[u8; 32], now: i64) -> StoreResult<Option<SignInSession>>;
    /// Ends a session (no error when it does not exist).
    async fn delete_session(&self, id_hash: &[u8; 32]) -> StoreResult<()>;
    /// Stores a freshly issued authorization code.
    async fn insert_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()>;
    /// Spends a code, atomically: at most one redemption of a code ever succeeds, also across
    /// nodes. A second one revokes the refresh-token family the first started.
    async fn redeem_authorization_code(&self, code_hash: &[u8; 32], now: i64) -> StoreResult<CodeRedemption>;
    /// Starts a refresh-token family with its first token, unless a replayed code revoked the
    /// family first (then nothing is stored and [`StoreError::Conflict`] is returned).
    async fn start_refresh_grant(&self, grant: &RefreshGrant, first: &RefreshToken) -> StoreResult<()>;
    /// A refresh token and its family, without changing anything.
    async fn refresh_token(&self, token_hash: &[u8; 32]) -> StoreResult<Option<RefreshTokenState>>;
    /// Spends a refresh token and stores its successor (same family), atomically: of two
    /// concurrent uses exactly one rotates; presenting a spent token revokes the family.
    async fn rotate_refresh_token(
        &self,
        token_hash: &[u8; 32],
        successor: &RefreshToken,
        now: i64,
    ) -> StoreResult<RefreshUse>;
    /// Revokes the live refresh-token families of a user in a tenant (all clients, or one);
    /// returns how many.
    async fn revoke_refresh_grants(
        &self,
        tenant: TenantId,
        user: ObjectId,
        client: Option<AppId>,
        now: i64,
    ) -> StoreResult<u64>;
    /// Deletes sessions, codes and refresh tokens that are dead at `now`; returns how many rows.
    async fn purge_sign_in_state(&self, now: i64) -> StoreResult<u64>;

    // --- signing keys (global, not per tenant)
    /// Stores a new signing key. Conflict when the kid exists (a kid is never reused).
    async fn insert_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// Updates state and dates (`created`, `activates`, `retires`) of a key (matched by kid);
    /// the key material never changes, except that an ES256 companion is added to a key stored
    /// without one (and then never cleared or replaced). NotFound when absent.
    async fn update_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()>;
    /// All signing keys, oldest first, including retired ones.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;

    // --- tenant settings
    /// A tenant's settings; the defaults when none were stored (or the tenant does not exist).
    async fn tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings>;
    /// Replaces a tenant's settings. NotFound when the tenant does not exist.
    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()>;

    // --- client-assertion replay markers
    /// Records each marker unless a live one (`expires > now`) has its (tenant, client, jti);
    /// a dead one is overwritten. All in one transaction, committed durably before returning;
    /// markers are applied in order (a later duplicate in the slice sees an earlier one).
    /// Returns one outcome per marker, in order.
    async fn record_assertion_markers(
        &self,
        markers: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>>;
    /// Deletes the markers that are dead at `now` (`expires <= now`); returns how many.
    async fn purge_assertion_markers(&self, now: i64) -> StoreResult<u64>;

    // --- directory audits
    /// The directory audits `query` asks for, in its order (by time, then insertion order), with
    /// where the next page starts; only the records of `query.tenant` (or, for `None`, the
    /// installation-wide ones).
    async fn directory_audits(&self, query: &LogQuery) -> StoreResult<LogPage<DirectoryAudit>>;
    /// `tenant`'s directory audit with this `id` (Graph's record id), if it has one.
    async fn directory_audit(&self, tenant: TenantId, id: &str) -> StoreResult<Option<DirectoryAudit>>;

    // --- sign-in logs
    /// Appends sign-in records, all in one transaction (all are committed, or none). Records are
    /// never changed afterwards; no method updates or deletes one (only the retention purge).
    async fn append_sign_ins(&self, records: &[SignIn]) -> StoreResult<()>;
    /// The sign-ins `query` and `filter` ask for, in the query's order (by `created`, then
    /// insertion order, also across nodes sharing one database), with where the next page
    /// starts; only the records of `query.tenant` (`None` finds none: every sign-in has a tenant).
    async fn sign_ins(&self, query: &LogQuery, filter: &SignInFilter) -> StoreResult<LogPage<SignIn>>;
    /// One sign-in of `tenant` by id.
    async fn sign_in(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<SignIn>>;
    /// The retention purge, and the only way log records are deleted: at most `limit`
    /// sign-ins and directory audits of `tenant` recorded before `before`, oldest first;
    /// returns how many (fewer than `limit`: nothing older is left).
    async fn purge_logs(&self, tenant: TenantId, before: OffsetDateTime, limit: u32) -> StoreResult<u64>;

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// The changes every server sharing the database commits ([`change_feed`]); `None` where a
    /// database has one server (SQLite, test doubles).
    async fn change_feed(&self) -> StoreResult<Option<Box<dyn change_feed::ChangeFeed>>> {
        Ok(None)
    }
}

pub mod cache;
pub mod change;
pub mod change_feed;
mod codec;
pub mod log;
pub mod page;
pub mod postgres;
pub mod replay;
pub mod retention;
pub mod sign_in;
pub mod sign_in_log;
mod sql;
pub mod sqlite;

pub use cache::{Directory, Needs, TenantSnapshot};
pub use change::{
    ApplicationChange, ChangeRefused, FederatedUpdate, KeyEntry, MAX_FEDERATED_IDENTITY_CREDENTIALS,
    MAX_KEY_CREDENTIALS, MAX_PASSWORD_CREDENTIALS,
};
pub use log::{LogCursor, LogOrder, LogPage, LogQuery, MAX_LOG_PAGE, SignInFilter};
pub use page::{MAX_OBJECT_PAGE, ObjectQuery};
pub use sign_in_log::{SignInLog, SignInLogMetrics, WriterOptions};
pub use sql::SqlStore;

/// Opens the store a database URL names: `sqlite://PATH` (created when missing) or
/// `postgres://...`. Migrations run on open.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL scheme in '{}': use sqlite://PATH or postgres://...",
            url.split("://").next().unwrap_or(url)
        )))
    }
}

//! Listing `applications`, `servicePrincipals` and `users` without reading the whole tenant
//! where the query allows. A list request takes one of three reads ([`Read::of`]):
//!
//! - **pinned keys** ([`pinned`]): a `$filter` every match of which needs one of at most 15
//!   values of a key: `id` or `appId` (`eq`, `in`, an `or` of those, or an `and` with one; what
//!   az sends to resolve `--id`), `servicePrincipalNames/any(c: c eq …)` (an appId or an
//!   identifier URI; what az and the SDKs send to find a principal), `identifierUris/any(…)`,
//!   `userPrincipalName`. Only those objects are read, by key, and the whole query (even with
//!   `$orderby`, `$search` or `$count`) is evaluated in memory over them
//!   ([`crate::odata::Pager`], offset `$skiptoken`s over that small set).
//! - **keyset** ([`keyset`]): no `$search`, `$orderby` or counting. The stored order, read a
//!   store page at a time, any `$filter` (`startswith`, lambdas, `and`/`or`, …) evaluated on
//!   each page until `$top` matches are found; a required `startswith(displayName,'p')` is read
//!   from the store's display-name index. `$skiptoken`s are positions in the stored order.
//!   Memory is one store page and the response, whatever the tenant's size.
//! - **whole tenant** ([`whole`]): `$orderby`, `$search` and `$count` (and `/$count`): the whole
//!   tenant is read and rendered and the query evaluated in memory; its cost grows with the
//!   tenant (BENCHMARKS.md, issue 17 goal 5), so at most two run at once per server.
//!
//! Whichever read answers, the objects and their order are those of the whole-tenant read:
//! applications oldest first without the built-in ones and those behind a managed identity,
//! service principals and users oldest first.

mod keyset;
pub(crate) mod pinned;
mod whole;

pub(crate) use keyset::{applications_page, service_principals_page, users_page};
pub(crate) use pinned::Key;
pub use whole::WholeReads;

use crate::error::GraphError;
use crate::odata::ListQuery;
use crate::shapes;
use custos_core::model::{Application, ServicePrincipal};
use custos_core::{AppId, TenantId};
use custos_store::Store;
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::SemaphorePermit;

/// Which read answers a list request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read<'q> {
    /// Only the objects with these values of the key.
    Pinned(Key, Vec<&'q str>),
    /// Keyset pages in the stored order, filtered page by page.
    Keyset,
    /// The whole tenant, in memory.
    Whole,
}

impl<'q> Read<'q> {
    /// The read for `query`.
    pub(crate) fn of(query: &'q ListQuery) -> Self {
        if let Some(filter) = query.filter() {
            for key in Key::ALL {
                if let Some(values) = filter.pinned_values(key.property())
                    && values.iter().all(|v| key.reads(v))
                {
                    return Self::Pinned(key, values);
                }
            }
        }
        if query.reads_page_by_page() { Self::Keyset } else { Self::Whole }
    }

    /// What the read must hold while it runs: a whole-tenant read one of `reads`' permits
    /// (waiting for it), the others nothing.
    pub(crate) async fn permit<'r>(
        &self,
        reads: &'r WholeReads,
    ) -> Result<Option<SemaphorePermit<'r>>, GraphError> {
        match self {
            Self::Whole => Ok(Some(reads.admit().await?)),
            Self::Pinned(..) | Self::Keyset => Ok(None),
        }
    }
}

/// Service principals rendered with their applications (read in one go).
pub(crate) async fn render_service_principals(
    store: &dyn Store,
    tenant: TenantId,
    sps: &[ServicePrincipal],
) -> Result<Vec<Value>, GraphError> {
    let app_ids: Vec<AppId> = sps.iter().map(|sp| sp.app_id).collect();
    let apps: HashMap<AppId, Application> =
        store.applications_by_app_ids(tenant, &app_ids).await?.into_iter().map(|a| (a.app_id, a)).collect();
    Ok(sps.iter().map(|sp| shapes::service_principal(sp, apps.get(&sp.app_id))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::Eventual;
    use crate::shapes::SERVICE_PRINCIPAL;

    fn read_of(query: &str, eventual: bool) -> String {
        let query = ListQuery::parse_with(Some(query), &SERVICE_PRINCIPAL, Eventual(eventual)).unwrap();
        format!("{:?}", Read::of(&query))
    }

    #[test]
    fn each_query_takes_its_read() {
        let spn = "$filter=servicePrincipalNames/any(c:c eq 'api://x' or c eq 'API://Y')";
        assert_eq!(read_of(spn, false), r#"Pinned(ServicePrincipalName, ["api://x", "API://Y"])"#);
        let id = "$filter=id eq 'a' and servicePrincipalNames/any(c:c eq 'b')";
        assert_eq!(read_of(id, false), r#"Pinned(Id, ["a"])"#);
        // Pinned even where the rest needs every match: the pinned objects are all there is.
        assert_eq!(read_of("$filter=appId eq 'a'&$count=true", true), r#"Pinned(AppId, ["a"])"#);
        // A name the store folds differently from `$filter` is not pinned.
        assert_eq!(read_of("$filter=servicePrincipalNames/any(c:c eq 'api://é')", false), "Keyset");
        for keyset in [
            "",
            "$top=5&$select=id",
            "$filter=startswith(displayName,'a')",
            "$filter=servicePrincipalNames/any(c:startswith(c,'api://'))",
            "$filter=appId eq 'a' or startswith(displayName,'b')",
            "$count=true",
        ] {
            assert_eq!(read_of(keyset, false), "Keyset", "{keyset}");
        }
        for whole in [
            "$count=true",
            "$search=\"displayName:a\"",
            "$orderby=displayName&$count=true",
            "$filter=startswith(displayName,'a')&$count=true",
        ] {
            assert_eq!(read_of(whole, true), "Whole", "{whole}");
        }
    }
}

//! What every Business Central handler gets: the sample's database, the clock, and the scheme
//! the sample is served on (for the absolute URLs of `@odata.context` and `@odata.nextLink`).

use super::db::Db;
use custos_core::Clock;
use std::sync::Arc;

/// The state of the Business Central sample's routes.
#[derive(Debug, Clone)]
pub(crate) struct BcState {
    /// The sample's SQLite database.
    pub(crate) db: Db,
    /// The clock for `lastModifiedDateTime` and other instants.
    pub(crate) clock: Arc<dyn Clock>,
    /// `https` when the sample serves TLS, else `http`.
    pub(crate) scheme: &'static str,
}

impl BcState {
    /// The state over `db`, reading time from `clock`; `https` says how the sample is served.
    pub(crate) fn new(db: Db, clock: Arc<dyn Clock>, https: bool) -> Self {
        Self { db, clock, scheme: if https { "https" } else { "http" } }
    }
}

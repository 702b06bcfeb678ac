//! The whole-tenant read's cap. What only reading every object answers (`$orderby` and `$search`,
//! which need every match before the first page, `@odata.count` and `/$count`) reads and renders
//! the whole tenant per request, so its memory grows with the tenant: at most [`WHOLE_READS`]
//! run at once per server, and others wait for a permit. Memory is then bounded by that many
//! tenants' worth, not by the number of concurrent requests.

use crate::error::GraphError;
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Whole-tenant reads in flight at once per server.
pub(crate) const WHOLE_READS: usize = 2;

/// The permits of whole-tenant reads, shared by every clone of the directory state.
#[derive(Debug, Clone)]
pub struct WholeReads(Arc<Semaphore>);

impl Default for WholeReads {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(WHOLE_READS)))
    }
}

impl WholeReads {
    /// Waits for a permit; hold it until the response is rendered.
    pub(crate) async fn admit(&self) -> Result<SemaphorePermit<'_>, GraphError> {
        // The semaphore is never closed.
        self.0.acquire().await.map_err(|_| GraphError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_third_whole_read_waits_for_a_permit() {
        let reads = WholeReads::default();
        let first = reads.admit().await.unwrap();
        let _second = reads.clone().0.acquire_owned().await.unwrap();
        let third = reads.admit();
        tokio::pin!(third);
        tokio::select! {
            biased;
            _ = &mut third => panic!("a third read ran alongside two"),
            () = std::future::ready(()) => {}
        }
        drop(first);
        let _third = third.await.unwrap();
    }
}

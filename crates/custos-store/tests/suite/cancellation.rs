//! A write whose caller goes away (an HTTP client disconnecting drops the handler's future at any
//! `.await`) writes all or nothing and leaves every pooled connection usable. sqlx's `BEGIN` is
//! not cancel-safe: dropped after the command left but before the transaction came back, it used
//! to return a connection to the pool with a transaction still open, and every later write on it
//! failed ("attempted to call begin_with at non-zero transaction depth").

use super::*;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Polls `write` `polls` times (or until it finishes), then drops it; whether it finished.
fn poll_then_drop(write: impl Future, polls: usize) -> bool {
    let mut write = pin!(write);
    let mut context = Context::from_waker(Waker::noop());
    (0..polls).any(|_| matches!(write.as_mut().poll(&mut context), Poll::Ready(_)))
}

pub(crate) async fn a_dropped_write_leaves_the_pool_usable(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let mut built = vec![world.resource_app.clone(), world.client_app.clone()];
    let mut finished = Vec::new();
    for round in 0..40_i64 {
        let mut app = application(tenant, &format!("dropped-{round}"), round);
        app.identifier_uris = vec![format!("api://dropped-{round}")];
        // Cut off after 1..=4 polls: at the pool, at BEGIN, at an insert, at COMMIT.
        let polls = usize::try_from(round % 4 + 1).unwrap();
        if poll_then_drop(store.create_application(&app, &audit()), polls) {
            finished.push(app.id);
        }
        built.push(app);
        // Let the database side finish whatever the dropped future had started.
        tokio::task::yield_now().await;
    }
    for round in 0..8_i64 {
        let mut app = application(tenant, &format!("after-{round}"), 100 + round);
        app.identifier_uris = vec![format!("api://after-{round}")];
        store.create_application(&app, &audit()).await.expect("a write after dropped writes");
        assert_eq!(store.application(tenant, app.id).await.unwrap().as_ref(), Some(&app));
        built.push(app);
    }
    let stored = store.applications(tenant).await.unwrap();
    for id in &finished {
        assert!(stored.iter().any(|app| app.id == *id), "a write that returned is stored");
    }
    for app in &stored {
        let whole = built.iter().find(|b| b.id == app.id).expect("only what was written");
        assert_eq!(app, whole, "all or nothing");
    }
}

//! PostgreSQL connections shared by statements that stand alone. While one statement is in
//! flight on a connection, the next is sent on the same connection without waiting for it:
//! tokio-postgres pipelines them, so each side reads and writes several messages per system
//! call, and PostgreSQL serves a worker from a few busy backends instead of many that each
//! wake for one statement. A connection is shared only while statements are in flight on it:
//! when the last one finishes it goes back to the pool, where transactions (and the token
//! cleanup's long batches) check connections out for themselves.
//!
//! Sharing is bounded like the pool: a slot carries at most [`PIPELINE_DEPTH`] statements at
//! once, and a statement that finds no place within the checkout timeout fails as unavailable,
//! as a pool checkout would. A statement stuck in the database (behind a lock, say) therefore
//! holds up at most the few queued behind it, never an unbounded pile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use admin_domain::StoreError;
use deadpool::managed::{PoolError, TimeoutType};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use tokio::sync::{Mutex, Semaphore, SemaphorePermit};

use super::errors;

/// Most statements in flight at once on one shared connection.
pub const PIPELINE_DEPTH: usize = 8;

type Pooled = Object<AsyncPgConnection>;

/// A few slots, each naming the connection its statements share while any is in flight.
pub struct SharedConnections {
    slots: Box<[Slot]>,
    next: AtomicUsize,
    checkout_timeout: Duration,
}

struct Slot {
    current: Mutex<Weak<Pooled>>,
    places: Semaphore,
}

impl SharedConnections {
    /// Slots for half of a pool of `pool_size` (at least one): the other half stays free for
    /// transactions however busy the statements are.
    pub fn for_pool(pool_size: usize, checkout_timeout: Duration) -> Self {
        let slot = || Slot {
            current: Mutex::new(Weak::new()),
            places: Semaphore::new(PIPELINE_DEPTH),
        };
        Self {
            slots: (0..(pool_size / 2).max(1)).map(|_| slot()).collect(),
            next: AtomicUsize::new(0),
            checkout_timeout,
        }
    }

    /// A place on the next slot's connection: the one in flight there, else one checked out
    /// of `pool`.
    pub async fn connection(
        &self,
        pool: &Pool<AsyncPgConnection>,
    ) -> Result<Shared<'_>, StoreError> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let place = tokio::time::timeout(self.checkout_timeout, slot.places.acquire())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| errors::pool(PoolError::Timeout(TimeoutType::Wait)))?;
        let mut current = slot.current.lock().await;
        let connection = match current.upgrade() {
            Some(connection) => connection,
            None => {
                let connection = Arc::new(pool.get().await.map_err(errors::pool)?);
                *current = Arc::downgrade(&connection);
                connection
            }
        };
        Ok(Shared {
            connection,
            slot,
            _place: place,
        })
    }

    /// Statements in flight on the shared connections now.
    pub fn in_flight(&self) -> usize {
        self.slots
            .iter()
            .map(|slot| PIPELINE_DEPTH.saturating_sub(slot.places.available_permits()))
            .sum()
    }
}

/// One statement's place on a shared connection.
pub struct Shared<'a> {
    connection: Arc<Pooled>,
    slot: &'a Slot,
    _place: SemaphorePermit<'a>,
}

impl Shared<'_> {
    /// The connection, to run one statement on (`&mut &AsyncPgConnection` pipelines).
    pub fn connection(&self) -> &AsyncPgConnection {
        &self.connection
    }

    /// Passes the statement's result through; when it says the connection is gone, the slot
    /// stops handing that connection out, so the statements after it get a new one.
    pub async fn finish<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Unavailable(_)) = result {
            let mut current = self.slot.current.lock().await;
            if Weak::ptr_eq(&current, &Arc::downgrade(&self.connection)) {
                *current = Weak::new();
            }
        }
        result
    }
}

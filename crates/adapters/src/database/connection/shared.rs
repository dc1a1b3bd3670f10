//! PostgreSQL connections shared by statements that stand alone. While one statement is in
//! flight on a connection, the next is sent on the same connection without waiting for it:
//! tokio-postgres pipelines them, so each side reads and writes several messages per system
//! call, and PostgreSQL serves a worker from a few busy backends instead of many that each
//! wake for one statement. A connection is shared only while statements are in flight on it:
//! when the last one finishes it goes back to the pool, where transactions (and the token
//! cleanup's long batches) check connections out for themselves.
//!
//! Sharing is bounded like the pool. A slot carries at most [`PIPELINE_DEPTH`] statements at
//! once; a statement that finds no place and connection within the checkout timeout fails as
//! unavailable, as a pool checkout would. And since PostgreSQL starts a statement's timeout
//! only when it reaches the statement, a statement queued behind a stuck one is given up on
//! once the statement timeout has passed since it was sent: no request waits on the database
//! longer than one statement timeout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use admin_domain::StoreError;
use deadpool::managed::{PoolError, TimeoutType};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use thiserror::Error;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::{Instant, timeout, timeout_at};

use crate::database::connection::settings::PoolSettings;
use crate::database::connection::writable::Writable;
use crate::database::errors;

/// Most statements in flight at once on one shared connection.
pub const PIPELINE_DEPTH: usize = 8;

type Pooled = Object<AsyncPgConnection>;

/// Why a statement on a shared connection was given up on.
#[derive(Debug, Error)]
enum Unanswered {
    #[error("no place on a shared database connection within the checkout timeout")]
    NoPlace,
    #[error("no answer from the database within the statement timeout")]
    NoAnswer,
}

/// A few slots, each naming the connection its statements share while any is in flight.
pub struct SharedConnections {
    slots: Box<[Slot]>,
    next: AtomicUsize,
    checkout_timeout: Duration,
    statement_timeout: Duration,
}

struct Slot {
    /// The connection shared now, if any statement holds it.
    current: Mutex<Weak<Pooled>>,
    /// Taken to check out a connection for the slot: one checkout at a time, which the
    /// statements waiting meanwhile then share.
    checkout: tokio::sync::Mutex<()>,
    places: Semaphore,
}

impl Slot {
    fn current(&self) -> Option<Arc<Pooled>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .upgrade()
    }

    /// Shares `fresh` from now on.
    fn share(&self, fresh: Pooled) -> Arc<Pooled> {
        let fresh = Arc::new(fresh);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Arc::downgrade(&fresh);
        fresh
    }

    /// Stops sharing `lost`, if it is still the one shared.
    fn forget(&self, lost: &Arc<Pooled>) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if Weak::ptr_eq(&current, &Arc::downgrade(lost)) {
            *current = Weak::new();
        }
    }
}

impl SharedConnections {
    /// Slots for half of a pool of `settings.max_size` (at least one): the other half stays
    /// free for transactions however busy the statements are. (With a pool of one,
    /// transactions wait for the statements in flight to finish.)
    pub fn for_pool(settings: &PoolSettings) -> Self {
        let slot = || Slot {
            current: Mutex::new(Weak::new()),
            checkout: tokio::sync::Mutex::new(()),
            places: Semaphore::new(PIPELINE_DEPTH),
        };
        Self {
            slots: (0..(settings.max_size / 2).max(1))
                .map(|_| slot())
                .collect(),
            next: AtomicUsize::new(0),
            checkout_timeout: settings.checkout_timeout,
            statement_timeout: settings.statement_timeout,
        }
    }

    /// A place on the next slot in turn, once it has room (strict turns: the other choices
    /// measured stalled, docs/performance.md); on the connection in flight there, else one
    /// checked out of `pool`. Waits at most the checkout timeout in all.
    /// A shared connection made before its server was found not to accept writes is shared
    /// no more (`writable`).
    pub async fn place(
        &self,
        pool: &Pool<AsyncPgConnection>,
        writable: &Writable,
    ) -> Result<Place<'_>, StoreError> {
        let deadline = Instant::now() + self.checkout_timeout;
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let place = timeout_at(deadline, slot.places.acquire())
            .await
            .map_err(|_| StoreError::Unavailable(Box::new(Unanswered::NoPlace)))?
            .map_err(|closed| StoreError::Unavailable(Box::new(closed)))?;
        let timed_out = || errors::pool(PoolError::Timeout(TimeoutType::Wait));
        let current = || {
            slot.current().filter(|connection| {
                let stale = writable.stale(Object::metrics(connection).created);
                if stale {
                    slot.forget(connection);
                }
                !stale
            })
        };
        let connection = match current() {
            Some(connection) => connection,
            None => {
                let _turn = timeout_at(deadline, slot.checkout.lock())
                    .await
                    .map_err(|_| timed_out())?;
                match current() {
                    Some(checked_out_meanwhile) => checked_out_meanwhile,
                    None => slot.share(
                        timeout_at(deadline, pool.get())
                            .await
                            .map_err(|_| timed_out())?
                            .map_err(errors::pool)?,
                    ),
                }
            }
        };
        Ok(Place {
            connection,
            slot,
            statement_timeout: self.statement_timeout,
            _place: place,
        })
    }

    /// Statements holding a place on a shared connection now (sent, or about to be).
    pub fn in_flight(&self) -> usize {
        self.slots
            .iter()
            .map(|slot| PIPELINE_DEPTH.saturating_sub(slot.places.available_permits()))
            .sum()
    }
}

/// One caller's place on a shared connection.
pub struct Place<'a> {
    connection: Arc<Pooled>,
    slot: &'a Slot,
    statement_timeout: Duration,
    _place: SemaphorePermit<'a>,
}

impl Place<'_> {
    /// The connection, to run statements on (`&mut &AsyncPgConnection` pipelines them). Each
    /// stands alone: a transaction begun here would take in other callers' statements.
    pub fn connection(&self) -> &AsyncPgConnection {
        &self.connection
    }

    /// Runs `statements`, giving up on them once the statement timeout has passed. When the
    /// connection turns out lost or unanswering, the slot stops sharing it, so the statements
    /// after them get a new one.
    pub async fn run<T>(
        &self,
        statements: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let result = timeout(self.statement_timeout, statements)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable(Box::new(Unanswered::NoAnswer))));
        // A connection lost, or one that answered nothing within the statement timeout (its
        // server may be gone from the network without a word): the statements after these get
        // another.
        if let Err(StoreError::Unavailable(source)) = &result
            && (source.downcast_ref::<Unanswered>().is_some()
                || source
                    .downcast_ref::<diesel::result::Error>()
                    .is_some_and(errors::connection_lost))
        {
            self.slot.forget(&self.connection);
        }
        result
    }
}

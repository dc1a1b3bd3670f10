//! The appends that accompany no change (audited reads, dry runs, a seed's summary), committed
//! together: each caller still waits until its own event is committed, but the events that
//! arrive while one batch commits go into the next, so the chain's head is locked and a commit
//! flushed once a batch instead of once an event (docs/audit.md, "The chain").
//!
//! One thread per [`Database`] value (shared by the pools `another_pool` makes from it), with
//! a runtime and two connections of its own, made on its first such append; it ends when the
//! last clone of that value is dropped.

use std::sync::Mutex;

use admin_domain::{AuditEntry, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::{mpsc, oneshot};

use super::audit::{AuditRow, append};
use super::errors;
use super::pools::{Database, Pools, in_transaction};
use super::schema::{audit_events, audit_head};

/// The most events one batch commits.
const MOST: usize = 256;

/// The appender's own connections.
const CONNECTIONS: usize = 2;

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

type Job = (AuditEntry, oneshot::Sender<Result<(), StoreError>>);

/// A database's batching appender: the way to its task, once there is one.
#[derive(Debug, Default)]
pub struct Appender {
    jobs: Mutex<Option<mpsc::UnboundedSender<Job>>>,
}

impl Appender {
    /// Appends `entry` in the next batch of `db`'s task, and waits until that batch commits.
    pub async fn append(&self, db: &Database, entry: &AuditEntry) -> Result<(), StoreError> {
        let (done, committed) = oneshot::channel();
        let mut job = (entry.clone(), done);
        for _ in 0..2 {
            let jobs = self.jobs(db);
            match jobs.send(job) {
                Ok(()) => {
                    return committed.await.unwrap_or_else(|_| Err(gone()));
                }
                // The thread stopped: make another.
                Err(mpsc::error::SendError(returned)) => {
                    job = returned;
                    self.forget();
                }
            }
        }
        Err(gone())
    }

    fn jobs(&self, db: &Database) -> mpsc::UnboundedSender<Job> {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.get_or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            // A thread of its own, with connections of its own: on a busy worker, a batch's
            // every round trip would wait for the worker's other tasks.
            let own = db
                .another_pool(CONNECTIONS)
                .map(|pool| pool.without_appender());
            let started = std::thread::Builder::new()
                .name("audit-appender".to_owned())
                .spawn(move || match (own, runtime()) {
                    (Ok(db), Ok(runtime)) => runtime.block_on(run(db, receiver)),
                    (Err(error), _) => {
                        tracing::error!(%error, "the audit trail's appender has no pool");
                    }
                    (_, Err(error)) => {
                        tracing::error!(%error, "the audit trail's appender has no runtime");
                    }
                });
            if let Err(error) = started {
                tracing::error!(%error, "the audit trail's appender has no thread");
            }
            sender
        })
        .clone()
    }

    fn forget(&self) {
        *self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("the audit trail's appender stopped".into())
}

/// Commits the jobs in batches: every job waiting when a batch starts goes into it.
async fn run(db: Database, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit(&db, &batch).await;
        for (_, done) in batch {
            let _ = done.send(match &outcome {
                Ok(()) => Ok(()),
                Err(error) => Err(again(error)),
            });
        }
    }
}

/// Appends the batch's events in one transaction: on PostgreSQL with one statement each to
/// move the head by the whole batch, insert every event and set the head's hash, whatever the
/// batch's size; SQLite, local and with one writer, appends them one by one. A batch of reads
/// alone commits without waiting for its WAL to reach the disk (`synchronous_commit = off`):
/// a crash of the database server within a fraction of a second may lose the newest read
/// events, never an event of a change, and never a link of the chain (docs/audit.md).
async fn commit(db: &Database, batch: &[Job]) -> Result<(), StoreError> {
    let events: Vec<&AuditEntry> = batch.iter().map(|(event, _)| event).collect();
    match &db.pools {
        Pools::Postgres { pool, .. } => {
            let mut conn = pool.get().await.map_err(errors::pool)?;
            diesel_async::AsyncConnection::transaction(&mut *conn, async |conn| {
                if events.iter().all(|event| event.action.is_read()) {
                    diesel::sql_query("SET LOCAL synchronous_commit = off")
                        .execute(conn)
                        .await?;
                }
                let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
                let (last, mut prev): (i64, String) = diesel::update(audit_head::table)
                    .set(audit_head::seq.eq(audit_head::seq + count))
                    .returning((audit_head::seq, audit_head::hash))
                    .get_result(conn)
                    .await?;
                let mut rows = Vec::with_capacity(events.len());
                for (seq, event) in (last - count + 1..).zip(&events) {
                    let row = AuditRow::chained(event, seq, prev);
                    prev = row.hash.clone();
                    rows.push(row);
                }
                diesel::insert_into(audit_events::table)
                    .values(&rows)
                    .execute(conn)
                    .await?;
                diesel::update(audit_head::table)
                    .set(audit_head::hash.eq(prev))
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await
            .map_err(errors::query)
        }
        Pools::Sqlite(_) => in_transaction!(db, |conn, _backend| {
            for event in &events {
                append!(diesel_async::RunQueryDsl, conn, *event, await);
            }
            Ok(())
        }),
    }
}

/// The same failure, for each of a batch's callers.
fn again(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(source) => StoreError::Unavailable(source.to_string().into()),
        StoreError::Conflict(conflict) => StoreError::Conflict(*conflict),
        StoreError::NotFound(missing) => StoreError::NotFound(*missing),
        StoreError::Failed(source) => StoreError::Failed(source.to_string().into()),
    }
}

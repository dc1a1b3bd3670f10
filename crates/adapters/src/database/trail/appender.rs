//! The appends that accompany no change (audited reads, dry runs, a seed's summary), committed
//! together: each caller still waits until its own event is committed, but the events that
//! arrive while one batch commits go into the next, so the chain's head is locked and a commit
//! flushed once a batch instead of once an event (docs/audit.md, "The chain").
//!
//! One thread per appender (one per instance: the pools `Database::another_pool` makes share
//! it), with a runtime and two connections of its own, made on its first such append; it ends
//! when the appender is dropped.

use std::sync::Mutex;

use admin_domain::{AuditEntry, StoreError};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::{mpsc, oneshot};

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::database::connection::connections::{Connections, Pools, in_transaction};
use crate::database::connection::setup_errors::DatabaseError;
use crate::database::errors;
use crate::database::query::schema::audit_head;
use crate::database::query::sql_types::{DbInstant, DbUuid, Instant, Uuid};
use crate::database::trail::chain::{AuditRow, append};

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
    /// Appends `entry` in the next batch of the appender's task, and waits until that batch
    /// commits. The task, when there is none yet, runs on the connections `connect` opens
    /// (given how many).
    pub async fn append(
        &self,
        connect: impl Fn(usize) -> Result<Connections, DatabaseError>,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (done, committed) = oneshot::channel();
        let mut job = (entry.clone(), done);
        for _ in 0..2 {
            let jobs = self.jobs(&connect);
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

    fn jobs(
        &self,
        connect: impl Fn(usize) -> Result<Connections, DatabaseError>,
    ) -> mpsc::UnboundedSender<Job> {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.get_or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            // A thread of its own, with connections of its own: on a busy worker, a batch's
            // every round trip would wait for the worker's other tasks.
            let own = connect(CONNECTIONS);
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
async fn run(db: Connections, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut head = None;
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit(&db, &mut head, &batch).await;
        for (_, done) in batch {
            let _ = done.send(match &outcome {
                Ok(()) => Ok(()),
                Err(error) => Err(again(error)),
            });
        }
    }
}

/// Appends the batch's events. On PostgreSQL in one statement, on the head this appender saw
/// last ([`on_seen_head`]); when other appends keep moving the head, and always on SQLite
/// (local, with one writer), one by one under the head's lock, as a change's events are.
async fn commit(
    db: &Connections,
    head: &mut Option<Head>,
    batch: &[Job],
) -> Result<(), StoreError> {
    let events: Vec<&AuditEntry> = batch.iter().map(|(event, _)| event).collect();
    if let Pools::Postgres { pool, .. } = &db.pools {
        let mut conn = pool.get().await.map_err(errors::pool)?;
        let appended = on_seen_head(&mut conn, head, &events).await;
        db.writable.notice(&appended);
        if appended? {
            return Ok(());
        }
    }
    in_transaction!(db, |conn, _backend| {
        for event in &events {
            append!(diesel_async::RunQueryDsl, conn, *event, await);
        }
        Ok(())
    })
}

/// Chains `events` on `head` (read afresh when unknown) and appends them in one statement
/// ([`Append`]): whether they went in. When another instance or a change's transaction moved
/// the head meanwhile, the statement appends nothing, and the batch is chained again on the
/// head read afresh, at most [`ATTEMPTS`] times.
async fn on_seen_head(
    conn: &mut AsyncPgConnection,
    head: &mut Option<Head>,
    events: &[&AuditEntry],
) -> Result<bool, StoreError> {
    let relaxed = events.iter().all(|event| event.action.is_read());
    for _ in 0..ATTEMPTS {
        let from = match head.take() {
            Some(seen) => seen,
            None => audit_head::table
                .select((audit_head::seq, audit_head::hash))
                .first::<(i64, String)>(conn)
                .await
                .map(|(seq, hash)| Head { seq, hash })
                .map_err(errors::query)?,
        };
        let rows = chained(events, &from);
        let to = rows.last().map_or_else(|| from.clone(), Head::of);
        let count = rows.len();
        let append = Append {
            from: &from,
            to: &to,
            relaxed,
            rows: Columns::of(rows),
        };
        if append.execute(conn).await.map_err(errors::query)? == count {
            *head = Some(to);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Times a batch is chained on a head it read before it takes the head's row lock instead.
const ATTEMPTS: usize = 3;

/// The chain's head as this appender last saw it: the newest event's `seq` and hash.
#[derive(Debug, Clone)]
struct Head {
    seq: i64,
    hash: String,
}

impl Head {
    fn of(row: &AuditRow) -> Self {
        Self {
            seq: row.seq,
            hash: row.hash.clone(),
        }
    }
}

/// `events` as the rows that follow `head`.
fn chained(events: &[&AuditEntry], head: &Head) -> Vec<AuditRow> {
    let mut prev = head.hash.clone();
    (head.seq + 1..)
        .zip(events)
        .map(|(seq, event)| {
            let row = AuditRow::chained(event, seq, std::mem::take(&mut prev));
            prev.clone_from(&row.hash);
            row
        })
        .collect()
}

/// One statement that appends `rows` when, and only when, the head is still `from`: it moves
/// the head to `to` and inserts the rows, or does neither, and says how many rows it inserted.
/// A batch of reads alone (`relaxed`) commits without waiting for its WAL to reach the disk
/// (`synchronous_commit = off` for the statement's own transaction): a crash of the database
/// server within a fraction of a second may lose the newest read events, never an event of a
/// change, and never a link of the chain (docs/audit.md). Written by hand, because diesel has
/// no data-modifying `WITH`; every value is bound, the rows as one array a column.
struct Append<'a> {
    from: &'a Head,
    to: &'a Head,
    relaxed: bool,
    rows: Columns,
}

/// Declares [`Columns`]: each of the audit events' columns once, with its type in the rows
/// and in SQL, and from that the batch's arrays, how they are filled, and how they are inserted.
macro_rules! columns {
    ($($name:ident: $rust:ty => $sql:ty),+ $(,)?) => {
        /// A batch's rows, a column at a time.
        #[derive(Default)]
        struct Columns {
            $($name: Vec<$rust>,)+
        }

        impl Columns {
            fn of(rows: Vec<AuditRow>) -> Self {
                let mut columns = Self::default();
                for row in rows {
                    $(columns.$name.push(row.$name);)+
                }
                columns
            }

            /// `INSERT INTO audit_events (…) SELECT * FROM unnest(…)`, each column one array.
            fn insert<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                out.push_sql("INSERT INTO audit_events (");
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_sql(stringify!($name));
                )+
                out.push_sql(") SELECT * FROM unnest(");
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<Array<$sql>, _>(&self.$name)?;
                )+
                out.push_sql(")");
                Ok(())
            }
        }
    };
}

columns!(
    seq: i64 => BigInt,
    id: DbUuid => Uuid,
    at: DbInstant => Instant,
    action: String => Text,
    via: String => Text,
    actor_user_id: Option<DbUuid> => Nullable<Uuid>,
    actor_token_id: Option<DbUuid> => Nullable<Uuid>,
    target_type: Option<String> => Nullable<Text>,
    target_id: Option<DbUuid> => Nullable<Uuid>,
    details: String => Text,
    request_id: Option<String> => Nullable<Text>,
    prev_hash: String => Text,
    hash: String => Text,
);

impl QueryId for Append<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Append<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH durability AS (SELECT set_config('synchronous_commit', CASE WHEN ");
        out.push_bind_param::<Bool, _>(&self.relaxed)?;
        out.push_sql(" THEN 'off' ELSE current_setting('synchronous_commit') END, true) AS mode),");
        out.push_sql(" moved AS (UPDATE audit_head SET seq = ");
        out.push_bind_param::<BigInt, _>(&self.to.seq)?;
        out.push_sql(", hash = ");
        out.push_bind_param::<Text, _>(&self.to.hash)?;
        out.push_sql(" WHERE seq = ");
        out.push_bind_param::<BigInt, _>(&self.from.seq)?;
        out.push_sql(" AND hash = ");
        out.push_bind_param::<Text, _>(&self.from.hash)?;
        out.push_sql(" RETURNING 1) ");
        self.rows.insert(&mut out)?;
        out.push_sql(
            " WHERE EXISTS (SELECT 1 FROM moved) AND (SELECT mode IS NOT NULL FROM durability)",
        );
        Ok(())
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

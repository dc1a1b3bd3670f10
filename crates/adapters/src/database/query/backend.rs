//! Where PostgreSQL and SQLite must be told different things. Everything else is shared.

use crate::database::connection::connections::Pools;

/// Inserts `$rows` (a `Vec` of insertable rows), all or none, with `$events` (a
/// `&[AuditEntry]`) appended to the audit trail in the same transaction: chunk by chunk,
/// each chunk one multi-row statement built by `$statement` from `$part`. diesel-async cannot
/// run SQLite's multi-row inserts, so there they run on the blocking connection, in an
/// immediate transaction. diesel has no multi-row upsert on SQLite: the `upsert:` form runs
/// `$statement` on PostgreSQL a chunk at a time and on SQLite a row at a time (still one
/// transaction, one prepared statement).
macro_rules! insert_all {
    ($db:expr, $rows:expr, $events:expr, |$part:ident| $statement:expr) => {
        $crate::database::query::backend::insert_all!(@run $db, $rows, $events, |$part| $statement, |$part| $statement, chunks)
    };
    ($db:expr, $rows:expr, $events:expr, upsert: |$part:ident| $statement:expr) => {
        $crate::database::query::backend::insert_all!(@run $db, $rows, $events, |$part| $statement, |$part| $statement, rows)
    };
    (@run $db:expr, $rows:expr, $events:expr, |$pg_part:ident| $pg:expr, |$sqlite_part:ident| $sqlite:expr, $sqlite_by:ident) => {{
        let rows = $rows;
        let events: Vec<admin_domain::AuditEntry> = $events.to_vec();
        let connections: &$crate::database::connection::connections::Connections =
            ::core::convert::AsRef::as_ref(&$db);
        let chunk = $crate::database::query::backend::insert_chunk(&connections.pools);
        match &connections.pools {
            $crate::database::connection::connections::Pools::Postgres { pool, .. } => {
                $crate::database::connection::connections::postgres_transaction!(connections, pool, |conn| {
                    for $pg_part in rows.chunks(chunk) {
                        diesel_async::RunQueryDsl::execute($pg, conn).await?;
                    }
                    for event in &events {
                        $crate::database::trail::chain::append!(diesel_async::RunQueryDsl, conn, event, await);
                    }
                    Ok(())
                })
            }
            $crate::database::connection::connections::Pools::Sqlite(pool) => {
                let _turn = connections.sqlite_writer.take().await?;
                let mut conn = pool.get().await.map_err($crate::database::errors::pool)?;
                conn.spawn_blocking(move |conn| {
                    conn.immediate_transaction(|conn| {
                        for $sqlite_part in $crate::database::query::backend::insert_all!(@split rows, chunk, $sqlite_by) {
                            diesel::RunQueryDsl::execute($sqlite, conn)?;
                        }
                        for event in &events {
                            $crate::database::trail::chain::append!(diesel::RunQueryDsl, conn, event);
                        }
                        Ok(())
                    })
                })
                .await
                .map_err($crate::database::errors::query)
            }
        }
    }};
    (@split $rows:ident, $chunk:ident, chunks) => { $rows.chunks($chunk) };
    (@split $rows:ident, $chunk:ident, rows) => { $rows.iter() };
}
pub(crate) use insert_all;

/// Most rows one multi-row INSERT carries: PostgreSQL allows 65,535 bound values a statement,
/// SQLite 32,766; every table here has at most 7 columns.
pub fn insert_chunk(pools: &Pools) -> usize {
    match pools {
        Pools::Postgres { .. } => 8_000,
        Pools::Sqlite(_) => 4_000,
    }
}

/// The key of the transaction advisory lock PostgreSQL cleanup batches take turns with:
/// "batches" in ASCII.
pub const CLEANUP_TURN: i64 = 27_691_700_229_530_995;

/// Which backend a statement runs on, where the two must be told different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Backend {
    /// The advisory lock a cleanup batch's transaction takes first, where the backend needs
    /// one ([`CLEANUP_TURN`] on PostgreSQL): concurrent cleanups (two calls, or one beside the
    /// scheduled run) take turns a batch at a time, so each batch's statements see what the
    /// batch before deleted, and two never pick the same rows. One lock a batch replaces a row
    /// lock on each of its rows (`FOR UPDATE SKIP LOCKED`), which was a third of a deleted
    /// row's CPU (docs/performance.md). SQLite runs one writer at a time.
    pub fn cleanup_turn(self) -> Option<i64> {
        match self {
            Backend::Postgres => Some(CLEANUP_TURN),
            Backend::Sqlite => None,
        }
    }

    /// The statement deleting at most `$2` token records stale by `column` before `$1`, in a
    /// batch's transaction after `cleanup_turn`. On PostgreSQL the rows are deleted by their
    /// physical address (`ctid`, read in the same statement, under one snapshot), not by a
    /// primary key lookup per row (docs/performance.md); the staleness is checked again on the
    /// row deleted, as a row a revocation updated meanwhile is followed to its new version.
    pub fn delete_stale_tokens(self, column: StaleBy) -> String {
        let column = column.column();
        match self {
            Backend::Postgres => format!(
                "DELETE FROM tokens WHERE ctid = ANY(ARRAY(SELECT ctid FROM tokens \
                 WHERE {column} < $1 ORDER BY {column} LIMIT $2)) AND {column} < $1"
            ),
            Backend::Sqlite => format!(
                "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE {column} < ? \
                 ORDER BY {column} LIMIT ?)"
            ),
        }
    }
}

/// Which instant makes a token record stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleBy {
    /// It expired.
    Expiry,
    /// It was revoked.
    Revocation,
}

impl StaleBy {
    fn column(self) -> &'static str {
        match self {
            StaleBy::Expiry => "expires_at",
            StaleBy::Revocation => "revoked_at",
        }
    }
}

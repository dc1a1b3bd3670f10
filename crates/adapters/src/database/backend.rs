//! Where PostgreSQL and SQLite must be told different things. Everything else is shared.

use admin_domain::StoreError;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use super::errors;
use super::pools::Pools;
use super::sql_types::{DbInstant, Instant};

/// Inserts `$rows` (a `Vec` of insertable rows), all or none: chunk by chunk, each chunk one
/// multi-row statement built by `$statement` from `$part`. diesel-async cannot run SQLite's
/// multi-row inserts, so there they run on the blocking connection, in an immediate
/// transaction. diesel has no multi-row upsert on SQLite: the `upsert:` form runs `$statement`
/// on PostgreSQL a chunk at a time and on SQLite a row at a time (still one transaction, one
/// prepared statement).
macro_rules! insert_all {
    ($db:expr, $rows:expr, |$part:ident| $statement:expr) => {
        $crate::database::backend::insert_all!(@run $db, $rows, |$part| $statement, |$part| $statement, chunks)
    };
    ($db:expr, $rows:expr, upsert: |$part:ident| $statement:expr) => {
        $crate::database::backend::insert_all!(@run $db, $rows, |$part| $statement, |$part| $statement, rows)
    };
    (@run $db:expr, $rows:expr, |$pg_part:ident| $pg:expr, |$sqlite_part:ident| $sqlite:expr, $sqlite_by:ident) => {{
        let rows = $rows;
        let chunk = $crate::database::backend::insert_chunk(&$db.pools);
        match &$db.pools {
            $crate::database::pools::Pools::Postgres { pool, .. } => {
                let mut conn = pool.get().await.map_err($crate::database::errors::pool)?;
                diesel_async::AsyncConnection::transaction(&mut *conn, async |conn| {
                    for $pg_part in rows.chunks(chunk) {
                        diesel_async::RunQueryDsl::execute($pg, conn).await?;
                    }
                    Ok(())
                })
                .await
                .map_err($crate::database::errors::query)
            }
            $crate::database::pools::Pools::Sqlite(pool) => {
                let mut conn = pool.get().await.map_err($crate::database::errors::pool)?;
                conn.spawn_blocking(move |conn| {
                    conn.immediate_transaction(|conn| {
                        for $sqlite_part in $crate::database::backend::insert_all!(@split rows, chunk, $sqlite_by) {
                            diesel::RunQueryDsl::execute($sqlite, conn)?;
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

/// Deletes at most `batch` stale token records (expired, else revoked, before `cutoff`) and
/// returns how many. On PostgreSQL, rows another cleanup has locked are skipped, so concurrent
/// cleanups never wait for or double-count each other; SQLite runs one writer at a time.
/// PostgreSQL deletes the locked rows by their physical address (`ctid`, which cannot change
/// while we hold the lock), not by a primary key lookup per row (docs/performance.md).
pub async fn delete_stale_tokens(
    pools: &Pools,
    column: StaleBy,
    cutoff: admin_domain::Timestamp,
    batch: u32,
) -> Result<u64, StoreError> {
    let column = column.column();
    let deleted = match pools {
        Pools::Postgres { pool, .. } => {
            let mut conn = pool.get().await.map_err(errors::pool)?;
            diesel::sql_query(format!(
                "DELETE FROM tokens WHERE ctid = ANY(ARRAY(SELECT ctid FROM tokens \
                 WHERE {column} < $1 ORDER BY {column} LIMIT $2 FOR UPDATE SKIP LOCKED))"
            ))
            .bind::<Instant, _>(DbInstant(cutoff))
            .bind::<BigInt, _>(i64::from(batch))
            .execute(&mut *conn)
            .await
        }
        Pools::Sqlite(pool) => {
            let mut conn = pool.get().await.map_err(errors::pool)?;
            diesel::sql_query(format!(
                "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE {column} < ? \
                 ORDER BY {column} LIMIT ?)"
            ))
            .bind::<Instant, _>(DbInstant(cutoff))
            .bind::<BigInt, _>(i64::from(batch))
            .execute(&mut *conn)
            .await
        }
    };
    deleted.map(|n| n as u64).map_err(errors::query)
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

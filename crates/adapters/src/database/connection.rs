//! One connection for statements that stand alone, whichever backend a `Database` uses.

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$db` uses: on
/// PostgreSQL one shared with other statements in flight (see `shared`), on SQLite a pooled
/// one. The body's statements must each stand alone: never a transaction (use the pool for
/// those). Its `?` and `return` leave the body, not the caller. It is compiled once per
/// backend: write it once, portable.
macro_rules! with_connection {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.pools {
            $crate::database::pools::Pools::Postgres { pool, shared } => {
                let place = shared.place(pool).await?;
                let mut connection = place.connection();
                let $conn = &mut connection;
                place.run(async { $body }).await
            }
            $crate::database::pools::Pools::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $conn = &mut *pooled;
                async { $body }.await
            }
        }
    };
}
pub(crate) use with_connection;

//! The connections of one database: its pools, made and sized, the turn SQLite's writers
//! take, whether the primary's server still takes writes, and the connection a statement runs
//! on (`with_connection!`, `in_transaction!`). Unaware of what runs on them: the storage ports
//! are implemented on [`Database`](super::Database), which holds these.

use std::sync::Arc;

use admin_domain::PoolStatus;
use deadpool::managed::{Hook, HookError, Metrics};
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use crate::database::connection::connect::connect_postgres;
use crate::database::connection::settings::PoolSettings;
use crate::database::connection::setup_errors::DatabaseError;
use crate::database::connection::shared;
use crate::database::connection::url::{DatabaseUrl, Role};
use crate::database::connection::writable::Writable;
use crate::database::errors;

pub(in crate::database) type SqliteConnection = SyncConnectionWrapper<diesel::SqliteConnection>;

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$db` (any `AsRef<Connections>`) uses: on
/// PostgreSQL one shared with other statements in flight (see `shared`), on SQLite a pooled
/// one. The body's statements must each stand alone: never a transaction (use the pool for
/// those). Its `?` and `return` leave the body, not the caller. It is compiled once per
/// backend: write it once, portable.
macro_rules! with_connection {
    ($db:expr, |$conn:ident| $body:expr) => {{
        let connections: &$crate::database::connection::connections::Connections =
            ::core::convert::AsRef::as_ref(&$db);
        match &connections.pools {
            $crate::database::connection::connections::Pools::Postgres { pool, shared } => {
                let place = shared.place(pool, &connections.writable).await?;
                let mut connection = place.connection();
                let $conn = &mut connection;
                let result = place.run(async { $body }).await;
                connections.writable.notice(&result);
                result
            }
            $crate::database::connection::connections::Pools::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $conn = &mut *pooled;
                async { $body }.await
            }
        }
    }};
}
pub(crate) use with_connection;

/// Runs `$body` in one transaction on a pooled connection of whichever backend `$db` uses,
/// `$conn` bound to the connection and `$backend` to its [`Backend`](super::backend::Backend)
/// (for the statements the two are told differently). The body's errors are diesel's; any
/// error rolls it all back. Compiled once per backend, like `with_connection!`.
macro_rules! in_transaction {
    ($db:expr, |$conn:ident, $backend:ident| $body:expr) => {{
        let connections: &$crate::database::connection::connections::Connections =
            ::core::convert::AsRef::as_ref(&$db);
        match &connections.pools {
            $crate::database::connection::connections::Pools::Postgres { pool, .. } => {
                let $backend = $crate::database::query::backend::Backend::Postgres;
                $crate::database::connection::connections::postgres_transaction!(
                    connections,
                    pool,
                    |$conn| { $body }
                )
            }
            $crate::database::connection::connections::Pools::Sqlite(pool) => {
                let _turn = connections.sqlite_writer.take().await?;
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $backend = $crate::database::query::backend::Backend::Sqlite;
                diesel_async::AsyncConnection::transaction(&mut *pooled, async |$conn| $body)
                    .await
                    .map_err($crate::database::errors::query)
            }
        }
    }};
}
pub(crate) use in_transaction;

/// Runs `$body` in one transaction on a connection of `$pool`, PostgreSQL's pool of
/// `$connections`, noting a server found not to accept writes (see `writable`).
macro_rules! postgres_transaction {
    ($connections:expr, $pool:expr, |$conn:ident| $body:expr) => {{
        let mut pooled = $pool.get().await.map_err($crate::database::errors::pool)?;
        let result = diesel_async::AsyncConnection::transaction(&mut *pooled, async |$conn| $body)
            .await
            .map_err($crate::database::errors::query);
        $connections.writable.notice(&result);
        result
    }};
}
pub(crate) use postgres_transaction;

/// Per-connection SQLite settings: wait for the writer instead of failing at once (set before
/// WAL, which may itself wait), readers beside the writer, durable enough, and references
/// enforced (cascading deletes fire the count triggers of the rows they delete).
pub const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;\
     PRAGMA journal_mode = WAL;\
     PRAGMA synchronous = NORMAL;\
     PRAGMA foreign_keys = ON;";

/// Per-connection PostgreSQL settings: statements cancelled past `statement_timeout`, and
/// every prepared statement planned once, generically. Each query here is a few index lookups
/// whose best plan does not depend on the values bound; re-planning them on every execution
/// (PostgreSQL's default for the first executions, and beyond when it judges a custom plan
/// cheaper) cost more than running them.
pub fn postgres_session(statement_timeout: std::time::Duration) -> String {
    format!(
        "SET statement_timeout = {}; SET plan_cache_mode = force_generic_plan;",
        statement_timeout.as_millis()
    )
}

/// The connections of one backend. Queries reach them through `with_connection!` (statements
/// that stand alone) or by matching on this directly (transactions, batches).
#[derive(Clone)]
pub(in crate::database) enum Pools {
    Postgres {
        pool: Pool<AsyncPgConnection>,
        shared: Arc<shared::SharedConnections>,
    },
    Sqlite(Pool<SqliteConnection>),
}

/// The connections of one database, shared by every clone (cheap), and what every statement
/// run on them needs beside the pool: the writability of the primary's server and SQLite's
/// writer turn.
#[derive(Clone)]
pub(in crate::database) struct Connections {
    pub(in crate::database) pools: Pools,
    /// Shared by every pool of the instance: see `writable`.
    pub(in crate::database) writable: Arc<Writable>,
    /// SQLite has one writer at a time: the instance's transactions take turns here, in
    /// order, instead of racing for the file's lock and outwaiting its busy timeout. Shared
    /// by every pool of the instance.
    pub(in crate::database) sqlite_writer: Arc<WriterTurn>,
}

impl AsRef<Connections> for Connections {
    fn as_ref(&self) -> &Connections {
        self
    }
}

impl Connections {
    /// Pools of `settings.max_size` connections to `url` in `role`, sharing the instance's
    /// `writable` and SQLite writer turn (connections are made on first use).
    pub(in crate::database) fn open(
        url: &DatabaseUrl,
        role: Role,
        settings: PoolSettings,
        writable: Arc<Writable>,
        sqlite_writer: Arc<WriterTurn>,
    ) -> Result<Self, DatabaseError> {
        let pools = match url {
            DatabaseUrl::Postgres(url) => Pools::Postgres {
                pool: postgres_pool(url, role, settings, &writable)?,
                shared: Arc::new(shared::SharedConnections::for_pool(&settings)),
            },
            DatabaseUrl::Sqlite(path) => Pools::Sqlite(sqlite_pool(path, settings)?),
        };
        Ok(Self {
            pools,
            writable,
            sqlite_writer,
        })
    }

    /// The pools' occupancy.
    pub(in crate::database) fn status(&self) -> PoolStatus {
        let (status, pipelined) = match &self.pools {
            Pools::Postgres { pool, shared } => (pool.status(), shared.in_flight()),
            Pools::Sqlite(pool) => (pool.status(), 0),
        };
        PoolStatus {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
            pipelined,
        }
    }
}

/// The turn of an instance's SQLite transactions (see [`Connections::sqlite_writer`]).
#[derive(Debug, Default)]
pub(in crate::database) struct WriterTurn(tokio::sync::Mutex<()>);

/// The longest a SQLite transaction waits for its turn behind the instance's others before
/// the database counts as unavailable (503): far beyond any batch the service writes.
pub const SQLITE_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl WriterTurn {
    /// Waits for the turn, at most [`SQLITE_TURN_WAIT`].
    pub(in crate::database) async fn take(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, admin_domain::StoreError> {
        tokio::time::timeout(SQLITE_TURN_WAIT, self.0.lock())
            .await
            .map_err(|_| admin_domain::StoreError::Unavailable(Box::new(errors::Locked)))
    }
}

fn postgres_pool(
    url: &str,
    role: Role,
    settings: PoolSettings,
    writable: &Arc<Writable>,
) -> Result<Pool<AsyncPgConnection>, DatabaseError> {
    let session = postgres_session(settings.statement_timeout);
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let session = session.clone();
        async move {
            let mut conn = connect_postgres(url, role).await?;
            conn.batch_execute(&session)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    // Connections made before a server was found not to accept writes are dropped as they
    // come back out of the pool (`writable`).
    let writable = Arc::clone(writable);
    let fresh = Hook::sync_fn(move |_, metrics: &Metrics| {
        if writable.stale(metrics.created) {
            Err(HookError::Message(
                "made before its server stopped accepting writes".into(),
            ))
        } else {
            Ok(())
        }
    });
    build_pool(manager, settings.max_size, settings, Some(fresh))
}

fn sqlite_pool(
    path: &std::path::Path,
    settings: PoolSettings,
) -> Result<Pool<SqliteConnection>, DatabaseError> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|path| {
        async move {
            let mut conn = SqliteConnection::establish(path).await?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(path.to_string_lossy(), config);
    build_pool(manager, settings.max_size.min(4), settings, None)
}

fn build_pool<C>(
    manager: AsyncDieselConnectionManager<C>,
    max_size: usize,
    settings: PoolSettings,
    pre_recycle: Option<Hook<AsyncDieselConnectionManager<C>>>,
) -> Result<Pool<C>, DatabaseError>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    let builder = Pool::builder(manager);
    let builder = match pre_recycle {
        Some(hook) => builder.pre_recycle(hook),
        None => builder,
    };
    builder
        .max_size(max_size.max(1))
        .wait_timeout(Some(settings.checkout_timeout))
        .create_timeout(Some(settings.checkout_timeout))
        .recycle_timeout(Some(settings.checkout_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DatabaseError::Pool(Box::new(e)))
}

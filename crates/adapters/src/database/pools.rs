//! The pools of one database, behind [`Database`]: made, sized, asked how they are, and the
//! connection a statement that stands alone runs on (`with_connection!`).

use std::fmt;
use std::sync::Arc;

use deadpool::managed::{Hook, HookError, Metrics};
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::connect::connect_postgres;
use super::prefix::BroadPrefixes;
use super::replica::Replica;
use super::settings::{PoolSettings, PoolStatus};
use super::setup::DatabaseError;
use super::url::DatabaseUrl;
use super::url::Role;
use super::writable::{self, Writable};
use super::{errors, migrations, shared};

pub(super) type SqliteConnection = SyncConnectionWrapper<diesel::SqliteConnection>;

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$db` uses: on
/// PostgreSQL one shared with other statements in flight (see `shared`), on SQLite a pooled
/// one. The body's statements must each stand alone: never a transaction (use the pool for
/// those). Its `?` and `return` leave the body, not the caller. It is compiled once per
/// backend: write it once, portable.
macro_rules! with_connection {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.pools {
            $crate::database::pools::Pools::Postgres { pool, shared } => {
                let place = shared.place(pool, &$db.writable).await?;
                let mut connection = place.connection();
                let $conn = &mut connection;
                let result = place.run(async { $body }).await;
                $db.writable.notice(&result);
                result
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

/// Runs `$body` in one transaction on a pooled connection of whichever backend `$db` uses,
/// `$conn` bound to the connection and `$backend` to its [`Backend`](super::backend::Backend)
/// (for the statements the two are told differently). The body's errors are diesel's; any
/// error rolls it all back. Compiled once per backend, like `with_connection!`.
macro_rules! in_transaction {
    ($db:expr, |$conn:ident, $backend:ident| $body:expr) => {
        match &$db.pools {
            $crate::database::pools::Pools::Postgres { pool, .. } => {
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $backend = $crate::database::backend::Backend::Postgres;
                let result =
                    diesel_async::AsyncConnection::transaction(&mut *pooled, async |$conn| $body)
                        .await
                        .map_err($crate::database::errors::query);
                $db.writable.notice(&result);
                result
            }
            $crate::database::pools::Pools::Sqlite(pool) => {
                let _turn = $db.sqlite_writer.take().await?;
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $backend = $crate::database::backend::Backend::Sqlite;
                diesel_async::AsyncConnection::transaction(&mut *pooled, async |$conn| $body)
                    .await
                    .map_err($crate::database::errors::query)
            }
        }
    };
}
pub(crate) use in_transaction;

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
pub(super) enum Pools {
    Postgres {
        pool: Pool<AsyncPgConnection>,
        shared: Arc<shared::SharedConnections>,
    },
    Sqlite(Pool<SqliteConnection>),
}

/// A pool of connections to PostgreSQL or SQLite, implementing the storage ports.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Database {
    pub(super) pools: Pools,
    pub(super) url: DatabaseUrl,
    pub(super) role: Role,
    pub(super) settings: PoolSettings,
    pub(super) appender: Arc<super::appender::Appender>,
    /// Shared by every pool of the instance: see `writable`.
    pub(super) writable: Arc<Writable>,
    /// Where reads may go instead: see `replica`.
    pub(super) replica: Option<Replica>,
    /// SQLite has one writer at a time: the instance's transactions take turns here, in
    /// order, instead of racing for the file's lock and outwaiting its busy timeout. Shared
    /// by every pool of the instance.
    pub(super) sqlite_writer: Arc<WriterTurn>,
    /// The prefixes found broad lately: see `prefix::BroadPrefixes`. Shared by every pool of
    /// the instance.
    pub(super) broad_prefixes: Arc<BroadPrefixes>,
}

/// The turn of an instance's SQLite transactions (see [`Database::sqlite_writer`]).
#[derive(Debug, Default)]
pub(super) struct WriterTurn(tokio::sync::Mutex<()>);

/// The longest a SQLite transaction waits for its turn behind the instance's others before
/// the database counts as unavailable (503): far beyond any batch the service writes.
pub const SQLITE_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl WriterTurn {
    /// Waits for the turn, at most [`SQLITE_TURN_WAIT`].
    pub(super) async fn take(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, ()>, admin_domain::StoreError> {
        tokio::time::timeout(SQLITE_TURN_WAIT, self.0.lock())
            .await
            .map_err(|_| admin_domain::StoreError::Unavailable(Box::new(errors::Locked)))
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens a pool (connections are made on first use). On SQLite, creates the file (`0600`)
    /// and its folder (`0700`) when missing, and applies pending migrations: the embedded
    /// database is ready as soon as it is opened.
    pub async fn open(url: DatabaseUrl, settings: PoolSettings) -> Result<Self, DatabaseError> {
        if let DatabaseUrl::Sqlite(path) = &url {
            create_sqlite_file(path)?;
            migrations::run(&url).await?;
        }
        Self::pool(url, Role::Primary, settings, Arc::default())
    }

    /// Another pool on the same database, of at most `max_size` connections (say, one per
    /// HTTP worker, so each worker's connections are driven on its own thread). It shares this
    /// one's appender: the batches of events that accompany no change gather every worker's.
    pub fn another_pool(&self, max_size: usize) -> Result<Self, DatabaseError> {
        let settings = PoolSettings {
            max_size,
            ..self.settings
        };
        let replica = match &self.replica {
            Some(replica) => Some(Replica {
                db: Box::new(replica.db.another_pool(max_size)?),
                state: Arc::clone(&replica.state),
            }),
            None => None,
        };
        Ok(Self {
            appender: Arc::clone(&self.appender),
            sqlite_writer: Arc::clone(&self.sqlite_writer),
            broad_prefixes: Arc::clone(&self.broad_prefixes),
            replica,
            ..Self::pool(
                self.url.clone(),
                self.role,
                settings,
                Arc::clone(&self.writable),
            )?
        })
    }

    /// Pools on a replica: connections to any server its URL names (see `url::Role`).
    pub(super) fn replica_pool(
        url: DatabaseUrl,
        settings: PoolSettings,
    ) -> Result<Self, DatabaseError> {
        match url {
            DatabaseUrl::Postgres(_) => Self::pool(url, Role::Replica, settings, Arc::default()),
            DatabaseUrl::Sqlite(_) => Err(DatabaseError::Url),
        }
    }

    fn pool(
        url: DatabaseUrl,
        role: Role,
        settings: PoolSettings,
        writable: Arc<Writable>,
    ) -> Result<Self, DatabaseError> {
        let pools = match &url {
            DatabaseUrl::Postgres(url) => Pools::Postgres {
                pool: postgres_pool(url, role, settings, &writable)?,
                shared: Arc::new(shared::SharedConnections::for_pool(&settings)),
            },
            DatabaseUrl::Sqlite(path) => Pools::Sqlite(sqlite_pool(path, settings)?),
        };
        Ok(Self {
            pools,
            url,
            role,
            settings,
            appender: Arc::default(),
            writable,
            replica: None,
            sqlite_writer: Arc::default(),
            broad_prefixes: Arc::default(),
        })
    }

    /// The same pools with an appender of their own, never used: what the appender's task
    /// holds, so that it does not keep itself alive.
    pub(super) fn without_appender(&self) -> Self {
        Self {
            appender: Arc::default(),
            ..self.clone()
        }
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies pending migrations; returns how many it applied.
    pub async fn migrate(&self) -> Result<usize, DatabaseError> {
        Ok(migrations::run(&self.url).await?)
    }

    /// Reverts the latest applied migrations (their `down.sql`), newest first, through the one
    /// whose folder starts with `version`; returns how many.
    #[cfg(feature = "testing")]
    pub async fn revert_migrations_through(
        &self,
        version: &'static str,
    ) -> Result<usize, DatabaseError> {
        Ok(migrations::revert_through(&self.url, version).await?)
    }

    /// How many migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, DatabaseError> {
        Ok(migrations::pending(&self.url).await?)
    }

    /// Whether the database answers now, and, for the primary on PostgreSQL, still accepts
    /// writes there (neither a standby nor read-only): a server that no longer does is marked
    /// (see `writable`) and the answer is unavailable.
    pub async fn ping(&self) -> Result<(), admin_domain::StoreError> {
        use diesel_async::RunQueryDsl;
        let writes = match (&self.pools, self.role) {
            (Pools::Postgres { .. }, Role::Primary) => with_connection!(self, |conn| {
                diesel::sql_query(writable::ASK)
                    .get_result::<writable::Writes>(conn)
                    .await
                    .map(|answer| answer.writes)
                    .map_err(errors::query)
            })?,
            _ => with_connection!(self, |conn| {
                diesel::sql_query("SELECT 1")
                    .execute(conn)
                    .await
                    .map(|_| true)
                    .map_err(errors::query)
            })?,
        };
        if writes {
            Ok(())
        } else {
            self.writable.lose();
            Err(admin_domain::StoreError::Unavailable(
                "the primary's server no longer accepts writes".into(),
            ))
        }
    }

    /// The pool's occupancy.
    pub fn pool_status(&self) -> PoolStatus {
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

/// Creates the SQLite file, private to its owner, unless it exists (SQLite gives its WAL and
/// shared-memory files the database file's permissions). An existing file others can read
/// is warned about: it holds every email and token record.
fn create_sqlite_file(path: &std::path::Path) -> Result<(), DatabaseError> {
    let folder_error = |folder: &std::path::Path| {
        let path = folder.to_owned();
        move |source| DatabaseError::Folder { path, source }
    };
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        crate::files::private_folder(folder).map_err(folder_error(folder))?;
    }
    match crate::files::create_private_file(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            if crate::files::open_to_others(path) {
                tracing::warn!(
                    path = %path.display(),
                    "the SQLite database can be read by other users: chmod 600 it"
                );
            }
            Ok(())
        }
        Err(source) => Err(folder_error(path)(source)),
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

#[cfg(feature = "testing")]
impl Database {
    /// Runs `sql` (statements separated by `;`) as it stands, on either backend: for tests that
    /// change the database behind the service's back (a trigger, a tampered row).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), admin_domain::StoreError> {
        match &self.pools {
            Pools::Postgres { pool, .. } => {
                let mut conn = pool.get().await.map_err(errors::pool)?;
                conn.batch_execute(sql).await.map_err(errors::query)
            }
            Pools::Sqlite(pool) => {
                let mut conn = pool.get().await.map_err(errors::pool)?;
                conn.batch_execute(sql).await.map_err(errors::query)
            }
        }
    }

    /// Whether this is a PostgreSQL database (else SQLite), for tests whose SQL differs.
    pub fn is_postgres(&self) -> bool {
        matches!(self.pools, Pools::Postgres { .. })
    }
}

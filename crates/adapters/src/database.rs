//! The storage adapter: one [`Database`] implements the admin access, token store and platform
//! directory ports against PostgreSQL or SQLite. Queries are written once, with diesel, and run
//! on whichever backend the URL names (see [`with_connection!`]); where the two must differ, the
//! difference is in `backend`.

mod access;
mod backend;
mod directory;
mod errors;
mod migrations;
mod rows;
mod schema;
mod shared;
mod sql_types;
mod tokens;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use thiserror::Error;

pub use migrations::MigrationError;
pub use shared::PIPELINE_DEPTH;

type SqliteConnection = SyncConnectionWrapper<diesel::SqliteConnection>;

/// Where the data lives, parsed from a `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
    /// `sqlite://PATH`: a file (created with its folder when missing).
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Reads `postgres://…`, `postgresql://…` or `sqlite://PATH`.
    pub fn parse(url: &str) -> Result<Self, DatabaseError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.is_empty()) {
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(DatabaseError::Url)
        }
    }

    /// Which backend: `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Never prints a password: PostgreSQL URLs show only their backend.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(_) => f.write_str("Postgres(<redacted>)"),
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

/// How the pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once (SQLite uses at most 4: it has one writer anyway).
    pub max_size: usize,
    /// Longest wait for a free connection, and to open a new one, before answering unavailable.
    pub checkout_timeout: Duration,
    /// Longest a statement may run before PostgreSQL cancels it.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            checkout_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The pool's occupancy, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most connections it may hold.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Connections open and idle.
    pub available: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
    /// Statements in flight on connections they share (PostgreSQL pipelines them).
    pub pipelined: usize,
}

/// Setting up storage failed.
#[derive(Debug, Error)]
pub enum DatabaseError {
    /// The URL names no supported backend.
    #[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")]
    Url,
    /// The SQLite file, or its folder, cannot be created.
    #[error("cannot create the SQLite database {path}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The pool cannot be built.
    #[error("cannot build the connection pool")]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached.
    #[error("the database is unreachable")]
    Unreachable(#[source] admin_domain::StoreError),
    /// Migrations failed.
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

/// The connections of one backend. Queries reach them through `with_connection!` (statements
/// that stand alone) or by matching on this directly (transactions, batches).
#[derive(Clone)]
enum Pools {
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
    pools: Pools,
    url: DatabaseUrl,
    settings: PoolSettings,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$db` uses: on
/// PostgreSQL one shared with other statements in flight (see `shared`), on SQLite a pooled
/// one. The body's statements must each stand alone: never a transaction (use the pool for
/// those). Its `?` and `return` leave the body, not the caller. It is compiled once per
/// backend: write it once, portable.
macro_rules! with_connection {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.pools {
            $crate::database::Pools::Postgres { pool, shared } => {
                let place = shared.place(pool).await?;
                let mut connection = place.connection();
                let $conn = &mut connection;
                place.run(async { $body }).await
            }
            $crate::database::Pools::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::database::errors::pool)?;
                let $conn = &mut *pooled;
                async { $body }.await
            }
        }
    };
}
pub(crate) use with_connection;

impl Database {
    /// Opens a pool (connections are made on first use). On SQLite, creates the file (`0600`)
    /// and its folder (`0700`) when missing, and applies pending migrations: the embedded
    /// database is ready as soon as it is opened.
    pub async fn open(url: DatabaseUrl, settings: PoolSettings) -> Result<Self, DatabaseError> {
        if let DatabaseUrl::Sqlite(path) = &url {
            create_sqlite_file(path)?;
            migrations::run(&url).await?;
        }
        Self::pool(url, settings)
    }

    /// Another pool on the same database, of at most `max_size` connections (say, one per
    /// HTTP worker, so each worker's connections are driven on its own thread).
    pub fn another_pool(&self, max_size: usize) -> Result<Self, DatabaseError> {
        let settings = PoolSettings {
            max_size,
            ..self.settings
        };
        Self::pool(self.url.clone(), settings)
    }

    fn pool(url: DatabaseUrl, settings: PoolSettings) -> Result<Self, DatabaseError> {
        let pools = match &url {
            DatabaseUrl::Postgres(url) => Pools::Postgres {
                pool: postgres_pool(url, settings)?,
                shared: Arc::new(shared::SharedConnections::for_pool(&settings)),
            },
            DatabaseUrl::Sqlite(path) => Pools::Sqlite(sqlite_pool(path, settings)?),
        };
        Ok(Self {
            pools,
            url,
            settings,
        })
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies pending migrations; returns how many it applied.
    pub async fn migrate(&self) -> Result<usize, DatabaseError> {
        Ok(migrations::run(&self.url).await?)
    }

    /// How many migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, DatabaseError> {
        Ok(migrations::pending(&self.url).await?)
    }

    /// Whether the database answers a trivial query now.
    pub async fn ping(&self) -> Result<(), admin_domain::StoreError> {
        use diesel_async::RunQueryDsl;
        with_connection!(self, |conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .await
                .map(|_| ())
                .map_err(errors::query)
        })
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
    settings: PoolSettings,
) -> Result<Pool<AsyncPgConnection>, DatabaseError> {
    let session = backend::postgres_session(settings.statement_timeout);
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let session = session.clone();
        async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.batch_execute(&session)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    build_pool(manager, settings.max_size, settings)
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
            conn.batch_execute(backend::SQLITE_PRAGMAS)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(path.to_string_lossy(), config);
    build_pool(manager, settings.max_size.min(4), settings)
}

fn build_pool<C>(
    manager: AsyncDieselConnectionManager<C>,
    max_size: usize,
    settings: PoolSettings,
) -> Result<Pool<C>, DatabaseError>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    Pool::builder(manager)
        .max_size(max_size.max(1))
        .wait_timeout(Some(settings.checkout_timeout))
        .create_timeout(Some(settings.checkout_timeout))
        .recycle_timeout(Some(settings.checkout_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DatabaseError::Pool(Box::new(e)))
}

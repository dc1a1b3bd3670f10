//! [`Database`]: the storage ports' one implementation, opened, sized and asked how it is. It
//! holds its parts, each unaware of it: its connections (`connections`), the watcher of the
//! primary's writability (`writable`), a replica to read from (`replica`), the audit trail's
//! appender (`appender`) and the prefixes found broad (`prefix`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use admin_domain::{PoolStatus, ReplicaStatus};

use super::connection::connections::{Connections, Pools, with_connection};
use super::connection::migrations;
use super::connection::replica::{self, Replica, ReplicaState};
use super::connection::settings::PoolSettings;
use super::connection::setup_errors::DatabaseError;
use super::connection::url::{DatabaseUrl, Role};
use super::connection::writable;
use super::errors;
use super::query::prefix::BroadPrefixes;
use super::trail::appender::Appender;

/// A pool of connections to PostgreSQL or SQLite, implementing the storage ports.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Database {
    pub(super) connections: Connections,
    pub(super) url: DatabaseUrl,
    pub(super) role: Role,
    pub(super) settings: PoolSettings,
    pub(super) appender: Arc<Appender>,
    /// Where reads may go instead: see `replica`.
    pub(super) replica: Option<Replica<Database>>,
    /// The prefixes found broad lately: see `prefix::BroadPrefixes`. Shared by every pool of
    /// the instance.
    pub(super) broad_prefixes: Arc<BroadPrefixes>,
}

impl AsRef<Connections> for Database {
    fn as_ref(&self) -> &Connections {
        &self.connections
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
        Self::pool(url, Role::Primary, settings)
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
            connections: self.connections_of_their_own(max_size)?,
            settings,
            replica,
            ..self.clone()
        })
    }

    /// Pools on a replica: connections to any server its URL names (see `url::Role`).
    pub(super) fn replica_pool(
        url: DatabaseUrl,
        settings: PoolSettings,
    ) -> Result<Self, DatabaseError> {
        match url {
            DatabaseUrl::Postgres(_) => Self::pool(url, Role::Replica, settings),
            DatabaseUrl::Sqlite(_) => Err(DatabaseError::Url),
        }
    }

    /// The pools of a database of its own: its own writability, writer turn, appender and
    /// remembered prefixes.
    fn pool(url: DatabaseUrl, role: Role, settings: PoolSettings) -> Result<Self, DatabaseError> {
        Ok(Self {
            connections: Connections::open(&url, role, settings, Arc::default(), Arc::default())?,
            url,
            role,
            settings,
            appender: Arc::default(),
            replica: None,
            broad_prefixes: Arc::default(),
        })
    }

    /// Connections of their own, `max_size` at most, beside this database's (sharing what
    /// every pool of the instance shares): the appender's.
    pub(super) fn connections_of_their_own(
        &self,
        max_size: usize,
    ) -> Result<Connections, DatabaseError> {
        let settings = PoolSettings {
            max_size,
            ..self.settings
        };
        Connections::open(
            &self.url,
            self.role,
            settings,
            Arc::clone(&self.connections.writable),
            Arc::clone(&self.connections.sqlite_writer),
        )
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

    /// Whether the database answers now, and, for the primary on PostgreSQL, still accepts
    /// writes there (neither a standby nor read-only): a server that no longer does is marked
    /// (see `writable`) and the answer is unavailable.
    pub async fn ping(&self) -> Result<(), admin_domain::StoreError> {
        use diesel_async::RunQueryDsl;
        let writes = match (&self.connections.pools, self.role) {
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
            self.connections.writable.lose();
            Err(admin_domain::StoreError::Unavailable(
                "the primary's server no longer accepts writes".into(),
            ))
        }
    }

    /// The pool's occupancy.
    pub fn pool_status(&self) -> PoolStatus {
        self.connections.status()
    }

    /// This primary, with reads that may go to the replica at `url` (a PostgreSQL server, a
    /// standby or not) while it is at most `max_lag` behind. Nothing is read there until
    /// [`Database::watch_replica`] has measured it.
    pub fn with_replica(self, url: DatabaseUrl, max_lag: Duration) -> Result<Self, DatabaseError> {
        let replica = Replica {
            db: Box::new(Database::replica_pool(url, self.settings)?),
            state: Arc::new(ReplicaState::new(max_lag)),
        };
        Ok(Self {
            replica: Some(replica),
            ..self
        })
    }

    /// The replica, when there is one fit to read from now.
    pub(super) fn fit_replica(&self) -> Option<&Database> {
        self.replica
            .as_ref()
            .filter(|replica| replica.state.fit())
            .map(|replica| &*replica.db)
    }

    /// A read on the replica failed: none go there until the watcher finds it fit again.
    pub(super) fn replica_failed(&self, error: &dyn std::fmt::Display) {
        tracing::warn!(%error, "a read failed on the replica: reading from the primary");
        if let Some(replica) = &self.replica {
            replica.state.set_aside();
        }
    }

    /// Measures the replica's lag every second, for as long as it runs (`None` without a
    /// replica). One per instance.
    pub fn watch_replica(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let replica = self.replica.as_ref()?;
        Some(replica::watch(
            self.connections.clone(),
            replica.db.connections.clone(),
            Arc::clone(&replica.state),
        ))
    }

    /// The replica at the last measure, if there is one.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        Some(self.replica.as_ref()?.state.status())
    }

    /// Asks every second whether the server the primary's connections were made to still
    /// accepts writes (see `writable`). `None` but for a PostgreSQL primary. One per instance.
    pub fn watch_primary(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let DatabaseUrl::Postgres(url) = &self.url else {
            return None;
        };
        (self.role == Role::Primary).then(|| {
            writable::watch(
                url.clone(),
                Arc::clone(&self.connections.writable),
                self.settings.statement_timeout,
            )
        })
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

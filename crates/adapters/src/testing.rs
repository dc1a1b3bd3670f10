//! Fresh databases for tests: each test gets its own, migrated, dropped afterwards.
//!
//! PostgreSQL tests use the server at `TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create `admin_test_<random>` databases.
//! When that server cannot be reached they are skipped with a note on stderr, unless `CI` is
//! `true`, where a missing PostgreSQL fails the test.

mod busy;
pub mod hostile;

pub use busy::BusyLoops;

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::database::{Database, DatabaseUrl, PoolSettings};

/// The default server for PostgreSQL tests.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh database on the test PostgreSQL server.
    Postgres,
    /// A fresh SQLite file in a temporary folder.
    Sqlite,
}

/// A fresh, migrated database, removed when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    /// The database.
    pub database: Database,
    /// Its URL, for processes a test starts.
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
}

impl TestDatabase {
    /// A fresh database of `backend`, or `None` when PostgreSQL is wanted but not reachable
    /// outside CI.
    pub async fn new(backend: Backend) -> Option<Self> {
        let db = Self::unmigrated(backend).await?;
        db.database.migrate().await.expect("migrations apply");
        Some(db)
    }

    /// Like [`TestDatabase::new`], without applying migrations (SQLite applies its own when
    /// opened).
    pub async fn unmigrated(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }

    async fn sqlite() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("admin.db").display());
        let database = open(&url).await;
        Self {
            database,
            url,
            cleanup: Cleanup::Sqlite(folder),
        }
    }

    async fn postgres() -> Option<Self> {
        let admin_url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let mut admin = match AsyncPgConnection::establish(&admin_url).await {
            Ok(admin) => admin,
            Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!(
                    "CI needs PostgreSQL for these tests, and {admin_url:?} is unreachable: {error}"
                )
            }
            Err(_) => {
                eprintln!(
                    "note: PostgreSQL at {admin_url} is unreachable: PostgreSQL test skipped"
                );
                return None;
            }
        };
        let name = format!("admin_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE");
        let url = with_database(&admin_url, &name);
        let database = open(&url).await;
        Some(Self {
            database,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// The backend it runs on.
    pub fn backend(&self) -> Backend {
        match self.cleanup {
            Cleanup::Postgres { .. } => Backend::Postgres,
            Cleanup::Sqlite(_) => Backend::Sqlite,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // A thread of its own: the test's runtime may be shutting down.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                    admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()
                })
            });
            let _ = dropped.join();
        }
    }
}

async fn open(url: &str) -> Database {
    let parsed = DatabaseUrl::parse(url).expect("a database URL");
    let settings = PoolSettings {
        max_size: 4,
        checkout_timeout: Duration::from_secs(10),
        ..PoolSettings::default()
    };
    Database::open(parsed, settings)
        .await
        .expect("the database opens")
}

/// Brings the planner's statistics and the visibility map of the database at `url` up to
/// date, as autovacuum does in time on a live database. PostgreSQL only.
pub async fn analyze(url: &str) {
    let mut session = AsyncPgConnection::establish(url)
        .await
        .expect("the session connects");
    session
        .batch_execute("VACUUM ANALYZE")
        .await
        .expect("VACUUM ANALYZE runs");
}

/// How many scans of `index` PostgreSQL has counted in the database at `url`, once every
/// session that scanned it has reported: see [`statistic_above`].
pub async fn index_scans_above(url: &str, index: &str, above: i64) -> i64 {
    let sql = "SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = $1";
    statistic_above(url, sql, index, above).await
}

/// How many rows of `table` PostgreSQL has counted as read from the table by index scans (not
/// by index-only ones, nor rows an index passed over) in the database at `url`: see
/// [`statistic_above`].
pub async fn rows_fetched_above(url: &str, table: &str, above: i64) -> i64 {
    let sql = "SELECT idx_tup_fetch AS n FROM pg_stat_user_tables WHERE relname = $1";
    statistic_above(url, sql, table, above).await
}

/// The count `sql` reads for `name` (its one parameter) from PostgreSQL's statistics: polls for
/// up to 20 s until it passes `above` (an idle session reports within about 10 s, one that
/// closes at once), then answers what it last read.
async fn statistic_above(url: &str, sql: &str, name: &str, above: i64) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut session = AsyncPgConnection::establish(url)
        .await
        .expect("the statistics' session connects");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        session
            .batch_execute("SELECT pg_stat_clear_snapshot()")
            .await
            .expect("the snapshot clears");
        let count = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result::<Count>(&mut session)
            .await
            .expect("the statistic is kept")
            .n;
        if count > above || std::time::Instant::now() > deadline {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A scheduled cleanup run as `cleanup_runs` records it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct RecordedRun {
    /// The instance that ran it.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub instance: String,
    /// When it started, in microseconds since the Unix epoch.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub started: i64,
    /// When it finished, if it did.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub finished: Option<i64>,
    /// The rows it deleted (so far, for one that did not finish).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub deleted: i64,
}

/// Every scheduled cleanup run of the PostgreSQL database at `url`, oldest first.
pub async fn cleanup_runs(url: &str) -> Vec<RecordedRun> {
    use diesel_async::RunQueryDsl;
    let mut session = AsyncPgConnection::establish(url)
        .await
        .expect("the session connects");
    let micros = |column: &str| format!("(extract(epoch FROM {column}) * 1000000)::bigint");
    diesel::sql_query(format!(
        "SELECT instance, {} AS started, {} AS finished, deleted_count AS deleted \
         FROM cleanup_runs ORDER BY started_at",
        micros("started_at"),
        micros("finished_at"),
    ))
    .load(&mut session)
    .await
    .expect("the runs read")
}

/// A session of its own holding a table locked (`ACCESS EXCLUSIVE`, in a transaction): every
/// statement on that table waits until [`TableLock::release`]. PostgreSQL only.
pub struct TableLock {
    session: AsyncPgConnection,
}

impl TableLock {
    /// Connects to `url` and locks `table`.
    pub async fn take(url: &str, table: &str) -> Self {
        let mut session = AsyncPgConnection::establish(url)
            .await
            .expect("the lock's session connects");
        session
            .batch_execute(&format!(
                "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
            ))
            .await
            .expect("the table locks");
        Self { session }
    }

    /// The process ids of the database's sessions waiting on a lock now.
    pub async fn waiting(&mut self) -> Vec<i32> {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        // Inside a transaction, activity statistics are a snapshot taken at first use: drop it.
        self.session
            .batch_execute("SELECT pg_stat_clear_snapshot()")
            .await
            .expect("the snapshot clears");
        diesel::sql_query(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND datname = current_database()",
        )
        .load::<Waiting>(&mut self.session)
        .await
        .expect("pg_stat_activity reads")
        .into_iter()
        .map(|w| w.pid)
        .collect()
    }

    /// Ends the sessions of `pids`, as an administrator would.
    pub async fn terminate(&mut self, pids: &[i32]) {
        for pid in pids {
            self.session
                .batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
                .await
                .expect("the session ends");
        }
    }

    /// Commits, releasing the lock.
    pub async fn release(&mut self) {
        self.session
            .batch_execute("COMMIT")
            .await
            .expect("the lock releases");
    }
}

impl std::fmt::Debug for TableLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableLock").finish_non_exhaustive()
    }
}

/// `admin_url` with its database name replaced by `name`.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs each named test (an `async fn(TestDatabase)` in scope) once per backend, as
/// `postgres::<name>` and `sqlite::<name>`: one suite, two backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(db) = $crate::testing::TestDatabase::new($crate::testing::Backend::Postgres).await {
                        super::$test(db).await;
                    }
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(db) = $crate::testing::TestDatabase::new($crate::testing::Backend::Sqlite).await {
                        super::$test(db).await;
                    }
                }
            )*
        }
    };
}

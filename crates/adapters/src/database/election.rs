//! Scheduled cleanups: one run per interval however many instances keep the schedule.
//!
//! On PostgreSQL a run is elected with a session advisory lock, taken on a connection of the
//! schedule's own and held for as long as the run lasts. Under the lock, `cleanup_runs` says
//! when the last run started: the instance that holds the lock runs only when that is an
//! interval ago, so a second instance cannot run beside the first (it does not get the lock),
//! nor right after it (the last start is too recent). When the running instance dies, its
//! session ends and the lock with it; the next instance to tick after the interval runs. A
//! lock rather than a lease row: nothing has to expire or be renewed, and no run can outlive
//! its holder's session. SQLite serves one instance: the same record, no lock.

use std::time::Duration;

use admin_domain::{ClaimedRun, CleanupElection, StoreError, Timestamp};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::connection::connect::connect_postgres;
use super::connection::connections::with_connection;
use super::connection::url::DatabaseUrl;
use super::connection::url::Role;
use super::errors;
use super::query::schema::cleanup_runs;
use super::query::sql_types::{DbInstant, DbUuid};
use super::store::Database;

/// The advisory lock's key: "cleanup" in ASCII, on any database of this schema.
const LOCK: i64 = 0x0063_6c65_616e_7570;

/// One instance's side of the schedule.
pub struct CleanupSchedule {
    database: Database,
    instance: String,
    /// The PostgreSQL session the lock is taken on, kept between runs.
    session: Option<AsyncPgConnection>,
}

impl std::fmt::Debug for CleanupSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanupSchedule")
            .field("instance", &self.instance)
            .field("session", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

impl CleanupSchedule {
    /// The schedule of the instance named `instance`, on `database`.
    pub fn new(database: Database, instance: impl Into<String>) -> Self {
        Self {
            database,
            instance: instance.into(),
            session: None,
        }
    }
}

/// On PostgreSQL the lock is held from `claim` until `finish`.
impl CleanupElection for CleanupSchedule {
    async fn claim(&mut self, interval: Duration) -> Result<Option<ClaimedRun>, StoreError> {
        if !self.lock().await? {
            return Ok(None);
        }
        match self.start_if_due(interval).await {
            Ok(Some(run)) => Ok(Some(run)),
            Ok(None) => {
                self.unlock().await?;
                Ok(None)
            }
            Err(error) => {
                // Dropping the session ends it, and the lock with it.
                self.session = None;
                Err(error)
            }
        }
    }

    async fn progress(&self, run: &ClaimedRun, deleted: u64) -> Result<(), StoreError> {
        let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
        with_connection!(self.database, |conn| {
            diesel::update(cleanup_runs::table.find(DbUuid(run.id())))
                .set(cleanup_runs::deleted_count.eq(deleted))
                .execute(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(())
    }

    async fn finish(&mut self, run: ClaimedRun, deleted: u64) -> Result<(), StoreError> {
        let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
        let finished = with_connection!(self.database, |conn| {
            diesel::update(cleanup_runs::table.find(DbUuid(run.id())))
                .set((
                    cleanup_runs::deleted_count.eq(deleted),
                    cleanup_runs::finished_at.eq(Some(DbInstant(Timestamp::now()))),
                ))
                .execute(conn)
                .await
                .map_err(errors::query)
        });
        let unlocked = self.unlock().await;
        finished?;
        unlocked
    }
}

impl CleanupSchedule {
    /// Takes the lock (PostgreSQL); whether it was free.
    async fn lock(&mut self) -> Result<bool, StoreError> {
        let DatabaseUrl::Postgres(url) = self.database.url() else {
            return Ok(true);
        };
        if self.session.is_none() {
            let session = connect_postgres(url, Role::Primary)
                .await
                .map_err(errors::connection)?;
            self.session = Some(session);
        }
        let Some(session) = self.session.as_mut() else {
            return Ok(false);
        };
        let locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(LOCK)
            .get_result::<Locked>(session)
            .await;
        match locked {
            Ok(Locked { locked }) => Ok(locked),
            Err(error) => {
                self.session = None;
                Err(errors::query(error))
            }
        }
    }

    /// Lets the lock go (PostgreSQL); on failure, ends the session, which lets it go too.
    async fn unlock(&mut self) -> Result<(), StoreError> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
            .bind::<BigInt, _>(LOCK)
            .get_result::<Locked>(session)
            .await;
        if unlocked.is_err() {
            self.session = None;
        }
        unlocked.map(|_| ()).map_err(errors::query)
    }

    /// Records a run as started now, unless one started within `interval`.
    async fn start_if_due(&self, interval: Duration) -> Result<Option<ClaimedRun>, StoreError> {
        let now = Timestamp::now();
        let since = DbInstant(now.saturating_sub(interval));
        let run = ClaimedRun::new(uuid::Uuid::new_v4());
        let started = with_connection!(self.database, |conn| {
            let recent: i64 = cleanup_runs::table
                .filter(cleanup_runs::started_at.gt(since))
                .count()
                .get_result(conn)
                .await
                .map_err(errors::query)?;
            if recent > 0 {
                return Ok(false);
            }
            diesel::insert_into(cleanup_runs::table)
                .values((
                    cleanup_runs::id.eq(DbUuid(run.id())),
                    cleanup_runs::instance.eq(&self.instance),
                    cleanup_runs::started_at.eq(DbInstant(now)),
                ))
                .execute(conn)
                .await
                .map_err(errors::query)?;
            Ok(true)
        })?;
        Ok(started.then_some(run))
    }
}

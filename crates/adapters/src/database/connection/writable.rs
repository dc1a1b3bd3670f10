//! Keeping the primary's connections on the server that accepts writes.
//!
//! A connection to the primary is made to whichever of `DATABASE_URL`'s hosts accepts writes
//! (`target_session_attrs=read-write`, `url::postgres_config`). The server it was made to may
//! stop accepting writes later while the connection stays open: demoted by a failover manager,
//! or fenced with `default_transaction_read_only`. When any statement meets such a server (a
//! write refused as read-only, or the readiness probe finding it so), the instance marks the
//! moment: from then on every pool drops the connections it made before, as it hands them out
//! (a `pre_recycle` hook), shared connections made before stop being shared, and the request
//! that met it is answered 503, so that the next connections are made to the writable server.
//!
//! Reads alone never meet the fence, and authentication is a read: so one watcher per instance
//! (`watch`, started by `Database::watch_primary`) asks every second, on a session of its own, whether the server
//! still accepts writes and which timeline it writes on. A server that does not, or a timeline
//! newer than the last one seen (a standby was promoted: the watcher's own session had moved to
//! it), marks the moment too, so that no read is served from a fenced old primary for longer.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use admin_domain::StoreError;
use diesel::QueryableByName;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::database::connection::connect::connect_postgres;
use crate::database::connection::settings::WATCH_EVERY;
use crate::database::connection::url::Role;

/// When the primary's connections last met a server that no longer accepts writes: shared by
/// every pool of an instance.
#[derive(Debug, Default)]
pub struct Writable {
    lost: Mutex<Option<Instant>>,
}

impl Writable {
    /// Whether a connection made at `created` may be on a server that no longer accepts
    /// writes: it was made before one was met.
    pub fn stale(&self, created: Instant) -> bool {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|lost| created <= lost)
    }

    /// Marks now as the moment a server was found not to accept writes.
    pub fn lose(&self) {
        let now = Instant::now();
        *self.lost.lock().unwrap_or_else(PoisonError::into_inner) = Some(now);
        tracing::warn!(
            "the primary's server no longer accepts writes: its connections are being replaced"
        );
    }

    /// Marks the moment when `result` failed because the server no longer accepts writes.
    pub fn notice<T>(&self, result: &Result<T, StoreError>) {
        if let Err(StoreError::Unavailable(source)) = result
            && source.downcast_ref::<Error>().is_some_and(read_only)
        {
            self.lose();
        }
    }
}

/// What the watcher and the readiness probe ask the primary's server: whether it accepts
/// writes, and the timeline of its WAL (hex, when it writes).
pub(in crate::database) const ASK: &str = "SELECT NOT pg_is_in_recovery() \
    AND current_setting('transaction_read_only') = 'off' AS writes, \
    CASE WHEN pg_is_in_recovery() THEN NULL \
    ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS timeline";

/// The answer to [`ASK`].
#[derive(QueryableByName)]
pub(in crate::database) struct Writes {
    #[diesel(sql_type = Bool)]
    pub(in crate::database) writes: bool,
    #[diesel(sql_type = Nullable<Text>)]
    timeline: Option<String>,
}

/// Whether the server `session` is on accepts writes, and its timeline.
async fn ask(session: &mut AsyncPgConnection) -> Result<(bool, Option<u32>), Error> {
    let answer: Writes = diesel::sql_query(ASK).get_result(session).await?;
    let timeline = answer
        .timeline
        .and_then(|hex| u32::from_str_radix(&hex, 16).ok());
    Ok((answer.writes, timeline))
}

/// Asks every [`WATCH_EVERY`], on a session of its own to the primary at `url`, whether its
/// server still accepts writes, and marks on `writable` the moment when it does not or when a
/// newer timeline shows a promotion (see the module); each question waits at most
/// `statement_timeout`. Runs for as long as it is polled.
pub(in crate::database) async fn watch(
    url: String,
    writable: Arc<Writable>,
    statement_timeout: Duration,
) {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut session, mut newest) = (None::<AsyncPgConnection>, None::<u32>);
    loop {
        ticks.tick().await;
        if session.is_none() {
            session = connect_postgres(&url, Role::Primary).await.ok();
        }
        let Some(current) = session.as_mut() else {
            continue;
        };
        match tokio::time::timeout(statement_timeout, ask(current)).await {
            Ok(Ok((true, timeline))) => {
                if let (Some(seen), Some(now)) = (newest, timeline)
                    && now > seen
                {
                    writable.lose();
                }
                newest = newest.max(timeline);
            }
            Ok(Ok((false, _))) => {
                writable.lose();
                session = None;
            }
            Ok(Err(_)) | Err(_) => session = None,
        }
    }
}

/// Whether `error` is a write refused because the server accepts no writes.
fn read_only(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_made_before_a_read_only_server_was_met_are_stale() {
        let writable = Writable::default();
        let before = Instant::now();
        assert!(!writable.stale(before), "nothing met yet");
        let refused: Result<(), StoreError> =
            Err(StoreError::Unavailable(Box::new(Error::DatabaseError(
                DatabaseErrorKind::ReadOnlyTransaction,
                Box::new("cannot execute UPDATE in a read-only transaction".to_owned()),
            ))));
        writable.notice(&refused);
        assert!(writable.stale(before));
        assert!(!writable.stale(Instant::now()), "made after");
        let other: Result<(), StoreError> = Err(StoreError::Unavailable("refused".into()));
        let writable = Writable::default();
        writable.notice(&other);
        assert!(!writable.stale(before), "another failure marks nothing");
    }
}

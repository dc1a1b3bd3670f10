//! Reads from a replica (`DATABASE_REPLICA_URL`), and the primary whenever the replica is
//! down or further behind than allowed.
//!
//! The platform listings, single-resource reads and the audit-events listing may run on the
//! replica (`on_replica!`); everything else, authentication and token listings included,
//! stays on the primary, so a revocation or a demotion holds on the next request. A watcher
//! (`watch`, started by `Database::watch_replica`) measures, once a second, how far behind the replica is: the
//! primary's WAL position is sampled with the time, and the replica's lag is how long ago the
//! primary first held WAL the replica has not replayed yet (zero when it has replayed all the
//! primary held at the last sample). A replica that does not answer, or lags more than
//! `max_lag`, is not read from until it answers and catches up; a read on the replica that
//! fails is run on the primary at once, and the replica set aside until the watcher finds it
//! fit again. No error ever comes from the replica alone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use admin_domain::{ReplicaStatus, StoreError};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::RunQueryDsl;

/// Runs `$read` (a future of a `Result`, with `$on` bound to the database to read from) on the
/// replica of `$db` when there is one fit to read from, else on `$db`, the primary; a read the
/// replica fails, whatever the failure (unreachable, or a statement a standby cancels for a
/// conflict with recovery), runs on the primary at once: no error comes from the replica.
macro_rules! on_replica {
    ($db:expr, |$on:ident| $read:expr) => {{
        let primary: &$crate::database::Database = $db;
        let mut answered = None;
        if let Some($on) = primary.fit_replica() {
            match $read.await {
                Err(error) => primary.replica_failed(&error),
                answer => answered = Some(answer),
            }
        }
        match answered {
            Some(answer) => answer,
            None => {
                let $on = primary;
                $read.await
            }
        }
    }};
}
pub(crate) use on_replica;

use crate::database::connection::connections::{Connections, with_connection};
use crate::database::connection::settings::WATCH_EVERY;
use crate::database::errors;

/// How many of the primary's positions the watcher keeps: a lag longer than this many
/// samples is known only to be longer.
const SAMPLES: usize = 600;

/// A replica's database `D` (its pools, with the ports implemented on them), and what every
/// pool of the instance knows of it.
#[derive(Clone)]
pub(in crate::database) struct Replica<D> {
    pub(in crate::database) db: Box<D>,
    pub(in crate::database) state: Arc<ReplicaState>,
}

/// What the watcher last found.
#[derive(Debug)]
pub(in crate::database) struct ReplicaState {
    max_lag: Duration,
    watched: Mutex<Watched>,
}

#[derive(Debug, Default)]
struct Watched {
    /// Whether reads go to the replica now.
    fit: bool,
    /// Its lag at the last measure; `None` while it does not answer, or cannot be trusted.
    lag: Option<Duration>,
    /// The primary's WAL positions, newest last.
    samples: VecDeque<(Instant, u64)>,
    /// The primary's cluster (`system_identifier`), once read.
    cluster: Option<String>,
}

/// What the watcher read of the primary.
#[derive(Debug)]
struct Sample {
    /// Its WAL position.
    position: u64,
    /// Its cluster: a physical replica of it has the same.
    cluster: String,
}

/// What the watcher read of the replica.
#[derive(Debug)]
struct Replay {
    /// Its cluster.
    cluster: String,
    /// How far it has replayed; `None` when it is not a standby (a promoted one, say).
    replayed: Option<u64>,
}

impl ReplicaState {
    /// Nothing measured yet: not read from until the watcher finds it fit.
    pub(in crate::database) fn new(max_lag: Duration) -> Self {
        Self {
            max_lag,
            watched: Mutex::default(),
        }
    }

    /// The replica at the last measure.
    pub(in crate::database) fn status(&self) -> ReplicaStatus {
        let watched = self.watched();
        ReplicaStatus {
            lag: watched.lag,
            in_use: watched.fit,
        }
    }

    fn watched(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(in crate::database) fn fit(&self) -> bool {
        self.watched().fit
    }

    /// A read on it failed: none go there until the watcher finds it fit.
    pub(in crate::database) fn set_aside(&self) {
        self.watched().fit = false;
    }

    /// Records a measure begun at `now`: what was read of the primary and of the replica
    /// (`None`: it did not answer). The lag is trusted only for a replica of the primary's
    /// cluster: a server of another one is never read from, and a server of the same one that
    /// is no standby is as fresh as the primary (a standby promoted since). While the primary
    /// does not answer, the lag counts at least from its last sample: nothing newer is known.
    fn measured(&self, now: Instant, primary: Option<Sample>, replica: Option<Replay>) {
        let mut watched = self.watched();
        let sampled = primary.is_some();
        if let Some(sample) = primary {
            watched.samples.push_back((now, sample.position));
            if watched.samples.len() > SAMPLES {
                watched.samples.pop_front();
            }
            watched.cluster = Some(sample.cluster);
        }
        let lag = match replica {
            Some(replay) if watched.cluster.as_ref() == Some(&replay.cluster) => {
                match replay.replayed {
                    Some(replayed) => Some(lag(&watched.samples, now, replayed)),
                    None => Some(Duration::ZERO),
                }
            }
            Some(replay) => {
                if watched.cluster.is_some() {
                    tracing::warn!(
                        cluster = %replay.cluster,
                        "DATABASE_REPLICA_URL names a server of another cluster: not read from"
                    );
                }
                None
            }
            None => None,
        };
        let unsampled = match (sampled, watched.samples.back()) {
            (false, Some((last, _))) => now.saturating_duration_since(*last),
            _ => Duration::ZERO,
        };
        watched.lag = lag.map(|lag| lag.max(unsampled));
        watched.fit = watched.lag.is_some_and(|lag| lag <= self.max_lag);
    }
}

/// How long ago the primary first held WAL past `replayed`, by its `samples` (oldest first):
/// zero when the replica has replayed all it held at the newest.
fn lag(samples: &VecDeque<(Instant, u64)>, now: Instant, replayed: u64) -> Duration {
    match samples.iter().find(|(_, position)| *position > replayed) {
        Some((since, _)) => now.saturating_duration_since(*since),
        None => Duration::ZERO,
    }
}

/// A WAL position as PostgreSQL writes it (`16/B374D848`), as a number.
fn position(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Nullable<Text>)]
    position: Option<String>,
    #[diesel(sql_type = Text)]
    cluster: String,
}

#[derive(QueryableByName)]
struct Replayed {
    #[diesel(sql_type = Nullable<Text>)]
    position: Option<String>,
    #[diesel(sql_type = Bool)]
    recovering: bool,
    #[diesel(sql_type = Text)]
    cluster: String,
}

/// Measures the replica's lag every [`WATCH_EVERY`] into `state`, reading the primary's WAL
/// position on `primary` and the replay on `replica`. Runs for as long as it is polled.
pub(in crate::database) async fn watch(
    primary: Connections,
    replica: Connections,
    state: Arc<ReplicaState>,
) {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (sample, replay) =
            futures_util::future::join(wal_position(&primary), replayed(&replica)).await;
        state.measured(Instant::now(), sample.ok(), replay.ok());
    }
}

/// The primary's WAL position now, and its cluster.
async fn wal_position(primary: &Connections) -> Result<Sample, StoreError> {
    let answer: Position = with_connection!(primary, |conn| {
        diesel::sql_query(
            "SELECT pg_current_wal_lsn()::text AS position, \
             (SELECT system_identifier FROM pg_control_system())::text AS cluster",
        )
        .get_result(conn)
        .await
        .map_err(errors::query)
    })?;
    let position = answer
        .position
        .as_deref()
        .and_then(position)
        .ok_or_else(|| StoreError::Failed("the primary has no WAL position".into()))?;
    Ok(Sample {
        position,
        cluster: answer.cluster,
    })
}

/// Which cluster the replica is of, and how far it has replayed.
async fn replayed(replica: &Connections) -> Result<Replay, StoreError> {
    let answer: Replayed = with_connection!(replica, |conn| {
        diesel::sql_query(
            "SELECT pg_is_in_recovery() AS recovering, \
             pg_last_wal_replay_lsn()::text AS position, \
             (SELECT system_identifier FROM pg_control_system())::text AS cluster",
        )
        .get_result(conn)
        .await
        .map_err(errors::query)
    })?;
    let replayed = match (
        answer.recovering,
        answer.position.as_deref().and_then(position),
    ) {
        (false, _) => None,
        (true, Some(replayed)) => Some(replayed),
        (true, None) => {
            return Err(StoreError::Failed(
                "the replica has replayed nothing".into(),
            ));
        }
    };
    Ok(Replay {
        cluster: answer.cluster,
        replayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_positions_read_as_numbers() {
        assert_eq!(position("0/0"), Some(0));
        assert_eq!(position("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(position("nonsense"), None);
    }

    #[test]
    fn the_lag_is_how_long_ago_the_primary_first_held_what_the_replica_lacks() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let samples: VecDeque<(Instant, u64)> =
            [(at(0), 100), (at(1), 100), (at(2), 250), (at(3), 400)].into();
        assert_eq!(lag(&samples, at(4), 400), Duration::ZERO, "all replayed");
        assert_eq!(
            lag(&samples, at(4), 500),
            Duration::ZERO,
            "ahead of the samples"
        );
        assert_eq!(lag(&samples, at(4), 250), Duration::from_secs(1));
        assert_eq!(lag(&samples, at(4), 100), Duration::from_secs(2));
        assert_eq!(lag(&samples, at(4), 50), Duration::from_secs(4));
    }

    #[test]
    fn a_replica_is_read_from_while_it_answers_and_keeps_up() {
        let state = ReplicaState {
            max_lag: Duration::from_secs(2),
            watched: Mutex::default(),
        };
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let primary = |position| {
            Some(Sample {
                position,
                cluster: "7".to_owned(),
            })
        };
        let replica = |replayed| {
            Some(Replay {
                cluster: "7".to_owned(),
                replayed: Some(replayed),
            })
        };
        assert!(!state.fit(), "not before it is measured");
        state.measured(at(0), primary(10), replica(10));
        assert!(state.fit());
        state.measured(at(1), primary(20), replica(10));
        state.measured(at(3), primary(30), replica(10));
        assert!(state.fit(), "2 s behind");
        state.measured(at(4), primary(40), replica(10));
        assert!(!state.fit(), "3 s behind");
        state.measured(at(5), primary(50), replica(50));
        assert!(state.fit(), "caught up");
        state.measured(at(6), primary(50), None);
        assert!(!state.fit(), "not answering");
        assert_eq!(state.watched().lag, None);
        state.measured(at(7), None, replica(50));
        assert!(
            state.fit(),
            "the primary unanswered for a second: its last sample holds"
        );
        state.measured(at(9), None, replica(50));
        assert!(
            !state.fit(),
            "unanswered for 4 s: the replica may be 4 s behind"
        );
        state.measured(at(10), primary(50), replica(50));
        assert!(state.fit());
        state.set_aside();
        assert!(!state.fit());
        state.measured(
            at(11),
            primary(60),
            Some(Replay {
                cluster: "7".to_owned(),
                replayed: None,
            }),
        );
        assert!(
            state.fit(),
            "a standby of the cluster promoted since is as fresh as the primary"
        );
        state.measured(
            at(12),
            primary(60),
            Some(Replay {
                cluster: "8".to_owned(),
                replayed: None,
            }),
        );
        assert!(
            !state.fit(),
            "a server of another cluster is never read from"
        );
    }
}

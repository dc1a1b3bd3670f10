//! The cleanup schedule each instance keeps when `ADMIN_API_CLEANUP_INTERVAL` is set: it
//! ticks, and when the store elects it for this interval's run ([`CleanupElection`]), it
//! deletes the stale token records in batches paced by [`Pace`], recording its progress after
//! every batch. A drain (SIGTERM) stops it between two batches.

use std::time::Duration;

use actix_web::web::Data;
use admin_domain::{AdminService, ClaimedRun, CleanupElection, Origin, Ports};
use tokio::time::{Instant, sleep_until};

use crate::errors::error_chain;
use crate::metrics::{Trigger, observe_cleanup};
use crate::readiness::Health;

/// The longest a tick waits: also how soon a drain is noticed.
const STEP: Duration = Duration::from_millis(100);

/// A batch holds this share of a second's rate: short statements, so that traffic beside a
/// run waits behind a small one at worst (docs/performance.md, "Scheduled cleanup").
const BATCHES_PER_SECOND: usize = 20;

/// After each batch a run waits at least this many times as long as the batch took, so that
/// it keeps the database busy a fifth of its time at most: when requests slow the database
/// down, its batches take longer and the run slows down with them (docs/operations.md,
/// "Scheduled cleanup").
const YIELD: u32 = 4;

/// One instance's scheduler, on the ports `P` and the election `E`.
pub struct Scheduler<P: Ports, E> {
    /// How often one instance cleans.
    pub interval: Duration,
    /// Rows per second a run is paced to.
    pub rate: usize,
    /// The use cases it runs the cleanup through.
    pub service: Data<AdminService<P>>,
    /// Its side of the election.
    pub schedule: E,
    /// Whether the instance is draining.
    pub health: Health,
    /// This instance's id, which its runs' events carry.
    pub instance: String,
}

impl<P: Ports, E> std::fmt::Debug for Scheduler<P, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("interval", &self.interval)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl<P: Ports, E: CleanupElection> Scheduler<P, E> {
    /// Ticks until the instance drains: every tenth of the interval (between 100 ms and 1 s),
    /// so that when the instance that ran last dies, another runs soon after the interval.
    pub async fn run(mut self) {
        let tick = (self.interval / 10).clamp(STEP, Duration::from_secs(1));
        while !self.health.is_draining() {
            match self.schedule.claim(self.interval).await {
                Ok(Some(run)) => self.clean(run).await,
                Ok(None) => {}
                Err(error) => {
                    let error = error_chain(&error);
                    tracing::warn!(%error, "scheduled cleanup: cannot reach the schedule");
                }
            }
            wait_until(&self.health, Instant::now() + tick).await;
        }
    }

    /// The run this instance was elected for: batches paced by [`Pace`], its progress
    /// recorded after each, until a batch comes back short or the instance drains.
    async fn clean(&mut self, claimed: ClaimedRun) {
        let started = Instant::now();
        let pace = Pace::new(self.rate);
        let origin = Origin::Scheduler {
            instance: self.instance.clone(),
        };
        let mut run = self.service.start_cleanup(&origin, claimed.id(), false);
        tracing::info!(run = %claimed, "scheduled cleanup started");
        let outcome = loop {
            let (began, before) = (Instant::now(), run.deleted());
            match self.service.cleanup_batch(&mut run, pace.rows()).await {
                Err(error) => break Err(error),
                Ok(false) => break Ok(()),
                Ok(true) => {}
            }
            let due = pace.next(began, run.deleted() - before, Instant::now());
            if let Err(error) = self.schedule.progress(&claimed, run.deleted()).await {
                let error = error_chain(&error);
                tracing::warn!(%error, "scheduled cleanup: progress not recorded");
            }
            wait_until(&self.health, due).await;
            if self.health.is_draining() {
                break Ok(());
            }
        };
        let deleted = run.deleted();
        if let Err(error) = self.schedule.finish(claimed, deleted).await {
            let error = error_chain(&error);
            tracing::warn!(%error, "scheduled cleanup: its end not recorded");
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let outcome = match outcome {
            Ok(()) => self.service.finish_cleanup(run).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(report) => {
                observe_cleanup(&report, Trigger::Scheduler);
                let stopped_early = self.health.is_draining();
                tracing::info!(
                    deleted,
                    elapsed_ms,
                    stopped_early,
                    "scheduled cleanup finished"
                );
            }
            Err(error) => {
                let error = error_chain(&error);
                tracing::warn!(%error, deleted, elapsed_ms, "scheduled cleanup failed");
            }
        }
    }
}

/// How a run paces its batches: each asks for a twentieth of a second's rate, and the next
/// starts when both the rate and [`YIELD`] allow, whichever is later: the rows the batch
/// deleted, at the rate, after it began; [`YIELD`] times as long as it took, after it ended.
/// Neither catches up on time lost to the other, so the rate is a ceiling in any second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pace {
    /// Rows a second, at least one.
    rate: usize,
}

impl Pace {
    /// The pace of `rate` rows a second.
    fn new(rate: usize) -> Self {
        Pace { rate: rate.max(1) }
    }

    /// The rows a batch asks for; the service may delete fewer (its own limit, or the last).
    fn rows(self) -> u32 {
        u32::try_from(self.rate / BATCHES_PER_SECOND)
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// When the batch after one that `began`, deleted `rows` and `ended` may start.
    fn next(self, began: Instant, rows: u64, ended: Instant) -> Instant {
        let share = Duration::from_secs_f64(rows as f64 / self.rate as f64);
        let took = ended.saturating_duration_since(began);
        (began + share).max(ended + took * YIELD)
    }
}

/// Sleeps until `due`, or until a drain begins, whichever comes first.
async fn wait_until(health: &Health, due: Instant) {
    while !health.is_draining() && Instant::now() < due {
        sleep_until(due.min(Instant::now() + STEP)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// When the batch after one of `rows` that took `took` may start, counted from its start.
    fn wait_after(pace: Pace, rows: u64, took: Duration) -> Duration {
        let began = Instant::now();
        pace.next(began, rows, began + took) - began
    }

    #[test]
    fn quick_batches_keep_to_the_rate() {
        let pace = Pace::new(50_000);
        assert_eq!(pace.rows(), 2_500);
        let wait = wait_after(pace, 2_500, Duration::from_millis(4));
        assert_eq!(wait, Duration::from_millis(50));
    }

    #[test]
    fn a_slow_batch_is_followed_by_four_times_its_time() {
        let wait = wait_after(Pace::new(50_000), 2_500, Duration::from_millis(30));
        assert_eq!(wait, Duration::from_millis(30 + 120));
    }

    #[test]
    fn a_batch_cut_to_the_service_limit_waits_only_its_own_share() {
        // 200,000 rows/s asks for batches of 10,000; the service deletes 5,000 at most.
        let pace = Pace::new(200_000);
        assert_eq!(pace.rows(), 10_000);
        let wait = wait_after(pace, 5_000, Duration::from_millis(1));
        assert_eq!(wait, Duration::from_millis(25));
    }

    #[test]
    fn a_tiny_rate_asks_for_one_row_and_waits_its_share() {
        let pace = Pace::new(5);
        assert_eq!(pace.rows(), 1);
        assert_eq!(
            wait_after(pace, 1, Duration::ZERO),
            Duration::from_millis(200)
        );
    }

    /// Readiness that never fails: the scheduler reads only whether the instance drains.
    struct Up;

    impl crate::readiness::Probe for Up {
        fn check(&self) -> futures_util::future::LocalBoxFuture<'_, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
    }

    /// An elected run, on the mocked ports and election: batches of a twentieth of the rate
    /// until one comes back short, its progress recorded after each full one, its end with the
    /// total; then, the instance draining, the scheduler stops.
    #[tokio::test]
    async fn an_elected_run_deletes_in_paced_batches_and_records_its_progress_and_end() {
        use admin_domain::mocks::{World, ready};
        use admin_domain::{MockCleanupElection, StoreError};
        use mockall::Sequence;

        let mut world = World::default();
        let mut batches = Sequence::new();
        for deleted in [1_000, 1_000, 3] {
            world
                .tokens
                .expect_delete_stale()
                .withf(|_, batch, event| {
                    *batch == 1_000
                        && event.via == admin_domain::Via::Scheduler
                        && event.details.get("instance")
                            == Some(&admin_domain::Detail::Text("i-1".to_owned()))
                })
                .times(1)
                .in_sequence(&mut batches)
                .returning(move |_, _, _| ready(Ok(deleted)));
        }
        world.trail.expect_append().never();
        let run = uuid::Uuid::new_v4();
        let mut election = MockCleanupElection::new();
        let mut claims = Sequence::new();
        election
            .expect_claim()
            .withf(|interval| *interval == Duration::from_secs(1))
            .times(1)
            .in_sequence(&mut claims)
            .returning(move |_| ready(Ok(Some(ClaimedRun::new(run)))));
        election
            .expect_claim()
            .returning(|_| ready(Ok::<_, StoreError>(None)));
        let mut recorded = Sequence::new();
        for deleted in [1_000, 2_000] {
            election
                .expect_progress()
                .withf(move |claimed, n| claimed.id() == run && *n == deleted)
                .times(1)
                .in_sequence(&mut recorded)
                .returning(|_, _| ready(Ok(())));
        }
        let (finished, ended) = tokio::sync::oneshot::channel();
        let finished = std::sync::Mutex::new(Some(finished));
        election
            .expect_finish()
            .withf(move |claimed, n| claimed.id() == run && *n == 2_003)
            .times(1)
            .in_sequence(&mut recorded)
            .returning(move |_, _| {
                if let Some(finished) = finished.lock().ok().and_then(|mut f| f.take()) {
                    let _ = finished.send(());
                }
                ready(Ok(()))
            });
        let health = Health::new(Up);
        let scheduler = Scheduler {
            interval: Duration::from_secs(1),
            rate: 20_000,
            service: Data::new(world.service()),
            schedule: election,
            health: health.clone(),
            instance: "i-1".to_owned(),
        };
        let running = tokio::spawn(scheduler.run());
        tokio::time::timeout(Duration::from_secs(10), ended)
            .await
            .expect("the run ends within 10 s")
            .expect("the end is recorded");
        health.start_draining();
        tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .expect("the scheduler stops once the instance drains")
            .expect("it does not panic");
    }
}

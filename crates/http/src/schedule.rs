//! The cleanup schedule each instance keeps when `ADMIN_API_CLEANUP_INTERVAL` is set: it
//! ticks, and when the database elects it for this interval's run ([`CleanupSchedule`]), it
//! deletes the stale token records paced to `ADMIN_API_CLEANUP_RATE`, recording its progress
//! after every batch. A drain (SIGTERM) stops it between two batches.

use std::time::Duration;

use actix_web::web::Data;
use admin_adapters::{Adapters, ClaimedRun, CleanupSchedule};
use admin_domain::{AdminService, Origin};
use tokio::time::{Instant, sleep_until};

use crate::errors::error_chain;
use crate::health::Health;
use crate::metrics::{Trigger, observe_cleanup};

/// The longest a tick waits: also how soon a drain is noticed.
const STEP: Duration = Duration::from_millis(100);

/// A batch holds this share of a second's rate: short statements, so that traffic beside a
/// run waits behind a small one at worst (docs/performance.md, "Scheduled cleanup").
const BATCHES_PER_SECOND: usize = 20;

/// One instance's scheduler.
pub struct Scheduler {
    /// How often one instance cleans.
    pub interval: Duration,
    /// Rows per second a run is paced to.
    pub rate: usize,
    /// The use cases it runs the cleanup through.
    pub service: Data<AdminService<Adapters>>,
    /// Its side of the election.
    pub schedule: CleanupSchedule,
    /// Whether the instance is draining.
    pub health: Health,
    /// This instance's id, which its runs' events carry.
    pub instance: String,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("interval", &self.interval)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
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

    /// The run this instance was elected for: batches paced to the rate, its progress
    /// recorded after each, until a batch comes back short or the instance drains.
    async fn clean(&mut self, claimed: ClaimedRun) {
        let started = Instant::now();
        let rate = self.rate.max(1) as f64;
        let rows = u32::try_from(self.rate / BATCHES_PER_SECOND).unwrap_or(u32::MAX);
        let origin = Origin::Scheduler {
            instance: self.instance.clone(),
        };
        let mut run = self.service.start_cleanup(&origin, claimed.id(), false);
        tracing::info!(run = %claimed, "scheduled cleanup started");
        let outcome = loop {
            match self.service.cleanup_batch(&mut run, rows).await {
                Err(error) => break Err(error),
                Ok(false) => break Ok(()),
                Ok(true) => {}
            }
            if let Err(error) = self.schedule.progress(&claimed, run.deleted()).await {
                let error = error_chain(&error);
                tracing::warn!(%error, "scheduled cleanup: progress not recorded");
            }
            let due = started + Duration::from_secs_f64(run.deleted() as f64 / rate);
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

/// Sleeps until `due`, or until a drain begins, whichever comes first.
async fn wait_until(health: &Health, due: Instant) {
    while !health.is_draining() && Instant::now() < due {
        sleep_until(due.min(Instant::now() + STEP)).await;
    }
}

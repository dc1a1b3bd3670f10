//! Where tokens are verified and decided: a few blocking threads behind a semaphore, never the
//! threads that serve requests, and paced to a share of the CPU. Each job is bounded (the
//! budget); what bounds them all together is the pace: however many tokens never seen before
//! arrive (an attacker appending blocks offline makes them for free), their verification takes
//! at most [`SHARE`] of a core from the traffic, on average, after a burst of [`BURST`]. A
//! caller that cannot start within [`WAIT`] gives up rather than hang.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The longest a verification or decision waits for its turn.
pub const WAIT: Duration = Duration::from_secs(2);
/// The share of one core the jobs may take on average. Tokens already verified are remembered
/// and never come here: only new tokens and once-a-second decisions of attenuated ones do.
pub const SHARE: f64 = 0.25;
/// The time the jobs may take at once before the pace holds them back: about 300 new tokens of
/// one block, say every client reconnecting after a restart.
pub const BURST: Duration = Duration::from_millis(100);

/// Why a job did not run to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// It could not start within [`WAIT`].
    Busy,
    /// The job panicked (a bug, or input biscuit-auth did not expect).
    Panicked,
}

/// The threads and the pace, shared by clones.
#[derive(Debug, Clone)]
pub struct Decider {
    threads: Arc<Semaphore>,
    size: usize,
    pace: Arc<Mutex<Pace>>,
}

/// A bucket of thread time: it fills at [`SHARE`] of real time up to [`BURST`], and every job
/// takes out what it took.
#[derive(Debug)]
struct Pace {
    credit: f64,
    filled_at: Instant,
}

impl Pace {
    /// How long to wait before the next job may start.
    fn delay(&mut self, now: Instant) -> Duration {
        let since = now.saturating_duration_since(self.filled_at).as_secs_f64();
        self.credit = (self.credit + since * SHARE).min(BURST.as_secs_f64());
        self.filled_at = now;
        Duration::from_secs_f64((-self.credit / SHARE).max(0.0))
    }

    fn spend(&mut self, took: Duration) {
        self.credit -= took.as_secs_f64();
    }
}

impl Decider {
    /// At most `threads` jobs at once (at least one).
    pub fn new(threads: usize) -> Self {
        let size = threads.max(1);
        Self {
            threads: Arc::new(Semaphore::new(size)),
            size,
            pace: Arc::new(Mutex::new(Pace {
                credit: BURST.as_secs_f64(),
                filled_at: Instant::now(),
            })),
        }
    }

    /// Half of this machine's cores, at least one: the other half stays for the requests.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores / 2)
    }

    /// How many jobs run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `job` on a blocking thread once one of ours is free and the pace allows.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Undone> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let permit = tokio::time::timeout_at(deadline, Arc::clone(&self.threads).acquire_owned())
            .await
            .map_err(|_| Undone::Busy)?
            .map_err(|_| Undone::Busy)?;
        let delay = self.lock().delay(Instant::now());
        if tokio::time::Instant::now() + delay > deadline {
            return Err(Undone::Busy);
        }
        tokio::time::sleep(delay).await;
        let pace = Arc::clone(&self.pace);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let started = Instant::now();
            let done = job();
            pace.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .spend(started.elapsed());
            done
        })
        .await
        .map_err(|_| Undone::Panicked)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_lets_a_burst_through_then_holds_jobs_to_its_share() {
        let start = Instant::now();
        let mut pace = Pace {
            credit: BURST.as_secs_f64(),
            filled_at: start,
        };
        assert_eq!(pace.delay(start), Duration::ZERO);
        pace.spend(BURST + Duration::from_millis(10));
        // 10 ms over: 40 ms to earn back at a quarter of real time.
        let delay = pace.delay(start);
        assert!((delay.as_secs_f64() - 0.040).abs() < 1e-9, "{delay:?}");
        assert_eq!(
            pace.delay(start + Duration::from_millis(40)),
            Duration::ZERO
        );
        // Credit never grows past the burst.
        assert_eq!(pace.delay(start + Duration::from_secs(60)), Duration::ZERO);
        assert!(pace.credit <= BURST.as_secs_f64());
    }
}

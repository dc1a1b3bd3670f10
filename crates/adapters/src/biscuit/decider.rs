//! Where the blocks a token's holders appended are verified and decided: blocking threads,
//! as many as the machine has cores (the idle ones are used before anyone waits), never the
//! threads that serve requests. Each job is bounded (the budget). What bounds a token family's
//! jobs together (a token and every token attenuated from it, which its holders make offline
//! for free) is its own pace: they take at most [`SHARE`] of a core on average, after a burst
//! of [`BURST`]. A family over its pace waits for it before it asks for a thread, so it never
//! holds a thread, or a place in front of another family, while it waits; other families are
//! not held back. A caller that cannot start within [`WAIT`] gives up rather than hang.
//!
//! Only tokens whose record admits them come here (the store is read first), so a family is
//! a token an administrator issued and has not revoked.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use admin_domain::TokenId;
use quick_cache::sync::Cache;
use tokio::sync::Semaphore;

/// The longest a decision waits for its turn.
pub const WAIT: Duration = Duration::from_secs(2);
/// The share of one core a token family's decisions may take on average. Decisions are
/// remembered per token, operation and second: only new tokens and once-a-second decisions
/// of attenuated ones come here.
pub const SHARE: f64 = 0.25;
/// The time a family's decisions may take at once before its pace holds them back: about
/// 300 decisions of a short attenuation.
pub const BURST: Duration = Duration::from_millis(100);
/// How many families' paces are remembered; a forgotten one starts again with a full burst.
const FAMILIES: usize = 4_096;

/// Why a job did not run to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// It could not start within [`WAIT`].
    Busy,
    /// The job panicked (a bug, or input biscuit-auth did not expect).
    Panicked,
}

/// The threads and the families' paces, shared by clones.
#[derive(Clone)]
pub struct Decider {
    threads: Arc<Semaphore>,
    size: usize,
    paces: Arc<Cache<TokenId, Arc<Mutex<Pace>>>>,
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A bucket of thread time: it fills at [`SHARE`] of real time up to [`BURST`], and every job
/// takes out what it took.
#[derive(Debug)]
struct Pace {
    credit: f64,
    filled_at: Instant,
}

impl Pace {
    fn new(now: Instant) -> Self {
        Self {
            credit: BURST.as_secs_f64(),
            filled_at: now,
        }
    }

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
            paces: Arc::new(Cache::new(FAMILIES)),
        }
    }

    /// As many threads as this machine has cores.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// How many jobs run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `job`, for the token family `family`, on a blocking thread once the family's pace
    /// allows and one of ours is free.
    pub async fn run<T: Send + 'static>(
        &self,
        family: TokenId,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Undone> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let pace = self
            .paces
            .get_or_insert_with(&family, || {
                Ok::<_, std::convert::Infallible>(Arc::new(Mutex::new(Pace::new(Instant::now()))))
            })
            .unwrap_or_else(|never| match never {});
        let delay = lock(&pace).delay(Instant::now());
        if tokio::time::Instant::now() + delay > deadline {
            return Err(Undone::Busy);
        }
        tokio::time::sleep(delay).await;
        let permit = tokio::time::timeout_at(deadline, Arc::clone(&self.threads).acquire_owned())
            .await
            .map_err(|_| Undone::Busy)?
            .map_err(|_| Undone::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let started = Instant::now();
            let done = job();
            lock(&pace).spend(started.elapsed());
            done
        })
        .await
        .map_err(|_| Undone::Panicked)
    }
}

fn lock(pace: &Mutex<Pace>) -> std::sync::MutexGuard<'_, Pace> {
    pace.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_lets_a_burst_through_then_holds_jobs_to_its_share() {
        let start = Instant::now();
        let mut pace = Pace::new(start);
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

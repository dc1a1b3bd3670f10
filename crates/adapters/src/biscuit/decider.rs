//! Where tokens are verified and decided: a few blocking threads behind a semaphore, never the
//! threads that serve requests. Each job is bounded (the budget), so the queue moves; a caller
//! that cannot get a thread within [`WAIT`] gives up rather than hang.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The longest a verification or decision waits for a thread.
pub const WAIT: Duration = Duration::from_secs(2);

/// Why a job did not run to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    /// No thread was free within [`WAIT`].
    Busy,
    /// The job panicked (a bug, or input biscuit-auth did not expect).
    Panicked,
}

/// The threads, shared by clones.
#[derive(Debug, Clone)]
pub struct Decider {
    threads: Arc<Semaphore>,
    size: usize,
}

impl Decider {
    /// At most `threads` jobs at once (at least one).
    pub fn new(threads: usize) -> Self {
        let size = threads.max(1);
        Self {
            threads: Arc::new(Semaphore::new(size)),
            size,
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

    /// Runs `job` on a blocking thread once one of ours is free.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Undone> {
        let permit = tokio::time::timeout(WAIT, Arc::clone(&self.threads).acquire_owned())
            .await
            .map_err(|_| Undone::Busy)?
            .map_err(|_| Undone::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|_| Undone::Panicked)
    }
}

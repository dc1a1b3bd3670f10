//! What readiness depends on, and whether the instance should get traffic: shared by the
//! readiness endpoints, the metrics (pool occupancy) and the server (draining).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use admin_domain::{PoolStatus, ReplicaStatus};
use futures_util::future::LocalBoxFuture;

/// What readiness depends on: the database.
pub trait Probe: Send + Sync + 'static {
    /// `Ok` when it answers now; otherwise why not.
    fn check(&self) -> LocalBoxFuture<'_, Result<(), String>>;

    /// The connection pool's occupancy, when there is a pool.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }

    /// The replica, when there is one.
    fn replica_status(&self) -> Option<ReplicaStatus> {
        None
    }
}

/// Whether this instance should get traffic: its database answers and it is not draining.
/// Clones share the draining flag and the pools.
#[derive(Clone)]
pub struct Health {
    probe: Arc<dyn Probe>,
    pools: Arc<RwLock<Vec<Arc<dyn Probe>>>>,
    draining: Arc<AtomicBool>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("draining", &self.is_draining())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Readiness depending on `probe`.
    pub fn new(probe: impl Probe) -> Self {
        Self {
            probe: Arc::new(probe),
            pools: Arc::default(),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Counts `pool` in the occupancy reported (one per HTTP worker).
    pub fn attach_pool(&self, pool: impl Probe) {
        if let Ok(mut pools) = self.pools.write() {
            pools.push(Arc::new(pool));
        }
    }

    /// From now on readiness fails, so load balancers stop sending requests here.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the database answers now; otherwise why not.
    pub async fn check(&self) -> Result<(), String> {
        self.probe.check().await
    }

    /// Whether the instance is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// The replica as the instance's watcher last found it, when there is one.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        self.probe.replica_status()
    }

    /// The database pools' occupancy: the attached pools' together, else the probe's own.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        let pools = self.pools.read().ok()?;
        if pools.is_empty() {
            return self.probe.pool_status();
        }
        pools
            .iter()
            .filter_map(|pool| pool.pool_status())
            .reduce(PoolStatus::plus)
    }
}

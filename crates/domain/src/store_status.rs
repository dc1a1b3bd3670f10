//! What a store reports of itself, for readiness and metrics: its pools' occupancy and its
//! replica's lag. Values its adapter fills and the edge shows; no rule depends on them.

use std::time::Duration;

/// A pool's occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most connections it may hold.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Connections open and idle.
    pub available: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
    /// Statements in flight on connections they share (PostgreSQL pipelines them).
    pub pipelined: usize,
}

impl PoolStatus {
    /// Two pools' occupancy together.
    pub fn plus(self, other: Self) -> Self {
        Self {
            max_size: self.max_size + other.max_size,
            size: self.size + other.size,
            available: self.available + other.available,
            waiting: self.waiting + other.waiting,
            pipelined: self.pipelined + other.pipelined,
        }
    }
}

/// A replica as its watcher last measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// How far behind the primary it was at the last measure; `None` while it does not answer.
    pub lag: Option<Duration>,
    /// Whether reads go to it now.
    pub in_use: bool,
}

//! How a pool behaves, and how often the watchers ask.

use std::time::Duration;

/// How the pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once (SQLite uses at most 4: it has one writer anyway).
    pub max_size: usize,
    /// Longest wait for a free connection, and to open a new one, before answering unavailable.
    pub checkout_timeout: Duration,
    /// Longest a statement may run before PostgreSQL cancels it.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            checkout_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// How often the watchers ask: the primary whether it still takes writes (`writable`), and
/// the replica how far behind it is (`replica`).
pub(in crate::database) const WATCH_EVERY: Duration = Duration::from_secs(1);

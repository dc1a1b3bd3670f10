//! [`AdminService`]: the use cases the API serves, built from the four ports, and the rules'
//! settings. Each area's use cases are in a file of their own beside this one.

use std::fmt;
use std::time::Duration;

use crate::ports::Ports;

use super::refused::RefusedTokens;

/// The rules' own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How long expired or revoked token records are kept before cleanup may delete them.
    pub token_retention: Duration,
    /// How many token records one cleanup statement deletes at most.
    pub cleanup_batch: u32,
    /// Whether reads are recorded in the audit trail too.
    pub audit_reads: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_retention: Duration::ZERO,
            cleanup_batch: 5_000,
            audit_reads: false,
        }
    }
}

/// The admin API's use cases, built from the five ports.
pub struct AdminService<P: Ports> {
    pub(super) access: P::Access,
    pub(super) tokens: P::Tokens,
    pub(super) directory: P::Directory,
    pub(super) authority: P::Authority,
    pub(super) trail: P::Trail,
    pub(super) settings: Settings,
    /// Token families refused for good (see `refused`): each service learns them on its own.
    pub(super) refused: RefusedTokens,
}

impl<P: Ports> AdminService<P> {
    /// A service over these port implementations.
    pub fn new(
        access: P::Access,
        tokens: P::Tokens,
        directory: P::Directory,
        authority: P::Authority,
        trail: P::Trail,
        settings: Settings,
    ) -> Self {
        Self {
            access,
            tokens,
            directory,
            authority,
            trail,
            settings,
            refused: RefusedTokens::default(),
        }
    }
}

impl<P: Ports> fmt::Debug for AdminService<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

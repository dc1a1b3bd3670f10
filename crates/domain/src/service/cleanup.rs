use crate::caller::Caller;
use crate::errors::AdminError;
use crate::permission::Permission;
use crate::ports::{Ports, TokenStore};
use crate::timestamp::Timestamp;

use super::admin::AdminService;

/// The query of a cleanup: whether to only count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CleanupRequest {
    /// Count what would be deleted, delete nothing.
    pub dry_run: bool,
}

/// What a cleanup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupReport {
    /// Records deleted by this call, or for a dry run, records that would be.
    pub deleted_count: u64,
    /// Records that expired or were revoked before this instant were the ones concerned.
    pub cutoff: Timestamp,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl<P: Ports> AdminService<P> {
    /// Deletes the token records that can never authenticate again: expired or revoked before
    /// `now - retention`. Deletes in batches of `Settings::cleanup_batch`, so no statement
    /// holds locks for long, until a batch comes back short.
    pub async fn cleanup_tokens(
        &self,
        caller: &Caller,
        request: CleanupRequest,
    ) -> Result<CleanupReport, AdminError> {
        caller.require(Permission::TokensCleanup)?;
        let cutoff = self.cleanup_cutoff();
        let deleted_count = if request.dry_run {
            self.tokens.count_stale(cutoff).await?
        } else {
            let mut total = 0;
            loop {
                let (deleted, more) = self.cleanup_batch(cutoff).await?;
                total += deleted;
                if !more {
                    break total;
                }
            }
        };
        Ok(CleanupReport {
            deleted_count,
            cutoff,
            dry_run: request.dry_run,
        })
    }

    /// Where the scheduler's cleanup starts: the cutoff of a run beginning now.
    pub fn cleanup_cutoff(&self) -> Timestamp {
        Timestamp::now().saturating_sub(self.settings.token_retention)
    }

    /// One batch of the scheduler's cleanup, for no caller: how many records it deleted, and
    /// whether a batch may remain (this one was full). The scheduler paces the batches, and
    /// stops between two on a shutdown: what was deleted stays deleted.
    pub async fn cleanup_batch(&self, cutoff: Timestamp) -> Result<(u64, bool), AdminError> {
        let batch = self.settings.cleanup_batch.max(1);
        let deleted = self.tokens.delete_stale(cutoff, batch).await?;
        Ok((deleted, deleted == u64::from(batch)))
    }
}

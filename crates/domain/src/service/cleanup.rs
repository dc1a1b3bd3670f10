//! Deleting the token records that can never authenticate again, in batches, each batch
//! recorded in the audit trail in its own transaction.

use uuid::Uuid;

use crate::audit::{Action, AuditEntry, Details, Origin};
use crate::caller::Caller;
use crate::errors::AdminError;
use crate::permission::Permission;
use crate::ports::{AuditTrail, Ports, TokenStore};
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

/// A cleanup under way: its cutoff, the event each of its batches records (`run_id` shared
/// by them all), and what it deleted so far.
#[derive(Debug, Clone)]
pub struct CleanupRun {
    cutoff: Timestamp,
    dry_run: bool,
    event: AuditEntry,
    deleted: u64,
}

impl CleanupRun {
    /// Records that expired or were revoked before this instant are the ones it deletes.
    pub fn cutoff(&self) -> Timestamp {
        self.cutoff
    }

    /// How many records it deleted so far.
    pub fn deleted(&self) -> u64 {
        self.deleted
    }
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
        let mut run = self.start_cleanup(&caller.origin(), Uuid::now_v7(), request.dry_run);
        if request.dry_run {
            run.deleted = self.tokens.count_stale(run.cutoff).await?;
        } else {
            while self
                .cleanup_batch(&mut run, self.settings.cleanup_batch)
                .await?
            {}
        }
        self.finish_cleanup(run).await
    }

    /// A cleanup starting now, from `origin`, as run `run_id` (its events' `details.run_id`).
    pub fn start_cleanup(&self, origin: &Origin, run_id: Uuid, dry_run: bool) -> CleanupRun {
        let cutoff = Timestamp::now().saturating_sub(self.settings.token_retention);
        let details = Details::new()
            .with("run_id", run_id.to_string())
            .with("cutoff", cutoff.to_string())
            .with("dry_run", dry_run);
        CleanupRun {
            cutoff,
            dry_run,
            event: AuditEntry::new(origin, Action::TokensCleanup, None, details)
                .counting("deleted_count"),
            deleted: 0,
        }
    }

    /// One batch of `run`, of at most `rows` (and at most `Settings::cleanup_batch`) records,
    /// with its event in its transaction: whether a batch may remain (this one was full). The
    /// scheduler sizes and paces the batches, and stops between two on a shutdown: what was
    /// deleted stays deleted, and recorded.
    pub async fn cleanup_batch(&self, run: &mut CleanupRun, rows: u32) -> Result<bool, AdminError> {
        let batch = rows.min(self.settings.cleanup_batch).max(1);
        let event = run.event.again();
        let deleted = self.tokens.delete_stale(run.cutoff, batch, &event).await?;
        run.deleted += deleted;
        Ok(deleted == u64::from(batch))
    }

    /// Ends `run`: a run that deleted nothing, or a dry run, records its one event now (the
    /// others recorded one per batch).
    pub async fn finish_cleanup(&self, run: CleanupRun) -> Result<CleanupReport, AdminError> {
        if run.deleted == 0 || run.dry_run {
            self.trail
                .append(&run.event.again().counted(run.deleted))
                .await?;
        }
        Ok(CleanupReport {
            deleted_count: run.deleted,
            cutoff: run.cutoff,
            dry_run: run.dry_run,
        })
    }
}

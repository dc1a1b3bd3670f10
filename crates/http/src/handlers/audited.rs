//! Audited reads: what every platform listing and read records once it has its answer, when
//! reads are audited.

use admin_domain::{Action, AdminService, Details, Ports, Target};

use crate::errors::ApiError;
use crate::extract::Authenticated;

/// Records the read `action` (of `target`) that `auth`'s caller made, with the query's
/// parameters that `details` reads, when reads are audited: every platform listing and read
/// calls it once it has its answer.
pub async fn read<P: Ports>(
    service: &AdminService<P>,
    auth: &Authenticated<P>,
    action: Action,
    target: Option<Target>,
    details: impl FnOnce() -> Details,
) -> Result<(), ApiError> {
    if !service.records_reads() {
        return Ok(());
    }
    Ok(service
        .record_read(&auth.caller, action, target, details())
        .await?)
}

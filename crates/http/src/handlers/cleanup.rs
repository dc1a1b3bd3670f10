use actix_web::web::{Data, Json};
use admin_domain::{AdminService, CleanupRequest, Ports};

use crate::bodies::CleanupBody;
use crate::errors::ApiError;
use crate::extract::{Authenticated, RawQuery, TokensCleanup};
use crate::openapi::{Invalid, Refusals};

/// Deletes the token records that can never authenticate again (expired or revoked before
/// `now - retention`), in bounded batches; with `dry_run`, counts them.
#[utoipa::path(
    post,
    path = "/v1/admin/cleanup-tokens",
    tag = "platform",
    operation_id = "cleanup_old_tokens",
    security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Count only (default false)")),
    responses(
        (status = 200, description = "What was deleted", body = CleanupBody),
        Invalid,
        Refusals,
    )
)]
pub async fn cleanup_tokens<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, TokensCleanup>,
    query: RawQuery,
) -> Result<Json<CleanupBody>, ApiError> {
    let request = CleanupRequest::parse(query.get("dry_run"))?;
    let report = service.cleanup_tokens(&auth.caller, request).await?;
    tracing::info!(
        deleted = report.deleted_count,
        dry_run = report.dry_run,
        "token cleanup"
    );
    crate::metrics::observe_cleanup(&report);
    Ok(Json(report.into()))
}

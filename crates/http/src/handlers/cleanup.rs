use actix_web::web::{Data, Json};
use admin_domain::{AdminService, CleanupRequest, Ports};

use crate::bodies::CleanupBody;
use crate::errors::ApiError;
use crate::extract::{Authenticated, RawQuery, TokensCleanup};

/// `POST /v1/admin/cleanup-tokens[?dry_run=true]`
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
    Ok(Json(report.into()))
}

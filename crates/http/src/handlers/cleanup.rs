use actix_web::web::{Data, Json};
use admin_domain::{AdminService, CleanupRequest, Ports};

use crate::bodies::CleanupBody;
use crate::errors::{ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::params::{Boolean, Declare, Param, Parameters, Raw};

/// `POST /v1/admin/cleanup-tokens`'s parameters.
#[derive(Debug)]
pub struct CleanupParams(CleanupRequest);

impl Parameters for CleanupParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let dry_run = declare.take(
            Param::query("dry_run", "Count only (default false)"),
            Boolean,
        );
        Some(Self(CleanupRequest {
            dry_run: dry_run.unwrap_or(false),
        }))
    }
}

crate::described!(CleanupParams);

/// Deletes the token records that can never authenticate again (expired or revoked before
/// `now - retention`), in bounded batches; with `dry_run`, counts them.
#[utoipa::path(
    post,
    path = "/v1/admin/cleanup-tokens",
    tag = "platform",
    operation_id = "cleanup_old_tokens",
    security(("bearer" = [])),
    params(CleanupParams),
    responses(
        (status = 200, description = "What was deleted", body = CleanupBody),
        Invalid,
        Refusals,
    )
)]
pub async fn cleanup_tokens<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<CleanupBody>, ApiError> {
    let CleanupParams(request) = CleanupParams::read(&raw)?;
    let report = service.cleanup_tokens(&auth.caller, request).await?;
    tracing::info!(
        deleted = report.deleted_count,
        dry_run = report.dry_run,
        "token cleanup"
    );
    crate::metrics::observe_cleanup(&report, crate::metrics::Trigger::Api);
    Ok(Json(report.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_defaults_to_false_and_refuses_non_booleans() {
        let read = |pairs: &[(&str, &str)]| CleanupParams::read(&Raw::query(pairs));
        assert_eq!(
            read(&[]).map(|p| p.0),
            Ok(CleanupRequest { dry_run: false })
        );
        assert_eq!(
            read(&[("dry_run", "true")]).map(|p| p.0),
            Ok(CleanupRequest { dry_run: true })
        );
        let refused = read(&[("dry_run", "perhaps")]).err().unwrap_or_default();
        assert_eq!(
            refused.first().map(|r| r.refusal.kind),
            Some("bool_parsing")
        );
    }
}

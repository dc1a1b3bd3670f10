use actix_web::web::{Data, Json};
use admin_domain::{AccessQuery, AdminService, Ports};

use crate::bodies::{AccessBody, PlatformStatusBody};
use crate::errors::ApiError;
use crate::extract::{AccessCheck, Authenticated, PlatformStatus, RawQuery};
use crate::openapi::{Invalid, Refusals};

/// Whether the caller administers an organization: as its owner or admin, or as a platform
/// administrator. An unknown organization answers like one the caller is not in.
#[utoipa::path(
    get,
    path = "/v1/admin/access",
    tag = "admin",
    operation_id = "check_admin_access",
    security(("bearer" = [])),
    params(("organization_id" = String, Query, description = "The organization to ask about")),
    responses(
        (status = 200, description = "The answer", body = AccessBody),
        Invalid,
        Refusals,
    )
)]
pub async fn check_access<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, AccessCheck>,
    query: RawQuery,
) -> Result<Json<AccessBody>, ApiError> {
    let query = AccessQuery::parse(query.get("organization_id"))?;
    let decision = service.check_access(&auth.caller, &query).await?;
    Ok(Json(decision.into()))
}

/// Whether the organization the caller's token is scoped to is the platform organization.
#[utoipa::path(
    get,
    path = "/v1/admin/platform-status",
    tag = "admin",
    operation_id = "check_platform_org_status",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The answer", body = PlatformStatusBody),
        Refusals,
    )
)]
pub async fn platform_status<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, PlatformStatus>,
) -> Result<Json<PlatformStatusBody>, ApiError> {
    let is_platform_org = service.platform_status(&auth.caller)?;
    Ok(Json(PlatformStatusBody { is_platform_org }))
}

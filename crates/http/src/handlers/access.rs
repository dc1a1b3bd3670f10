use actix_web::web::{Data, Json};
use admin_domain::{AccessQuery, AdminService, Ports};

use crate::bodies::{AccessBody, PlatformStatusBody};
use crate::errors::ApiError;
use crate::extract::{AccessCheck, Authenticated, PlatformStatus, RawQuery};

/// `GET /v1/admin/access?organization_id=ID`
pub async fn check_access<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, AccessCheck>,
    query: RawQuery,
) -> Result<Json<AccessBody>, ApiError> {
    let query = AccessQuery::parse(query.get("organization_id"))?;
    let decision = service.check_access(&auth.caller, &query).await?;
    Ok(Json(decision.into()))
}

/// `GET /v1/admin/platform-status`
pub async fn platform_status<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, PlatformStatus>,
) -> Result<Json<PlatformStatusBody>, ApiError> {
    let is_platform_org = service.platform_status(&auth.caller)?;
    Ok(Json(PlatformStatusBody { is_platform_org }))
}

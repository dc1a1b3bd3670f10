use actix_web::web::{Data, Json};
use admin_domain::{AccessQuery, AdminService, Ports};

use crate::bodies::{AccessBody, PlatformStatusBody};
use crate::errors::{ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::params::{AnyText, Declare, Param, Parameters, Raw};

/// `GET /v1/admin/access`'s parameters.
#[derive(Debug)]
pub struct AccessParams(AccessQuery);

impl Parameters for AccessParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let id = declare.take(
            Param::required("organization_id", "The organization to ask about"),
            AnyText,
        );
        Some(Self(AccessQuery::new(id?)))
    }
}

crate::described!(AccessParams);

/// Whether the caller administers an organization: as its owner or admin, or as a platform
/// administrator. An unknown organization answers like one the caller is not in.
#[utoipa::path(
    get,
    path = "/v1/admin/access",
    tag = "admin",
    operation_id = "check_admin_access",
    security(("bearer" = [])),
    params(AccessParams),
    responses(
        (status = 200, description = "The answer", body = AccessBody),
        Invalid,
        Refusals,
    )
)]
pub async fn check_access<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<AccessBody>, ApiError> {
    let AccessParams(query) = AccessParams::read(&raw)?;
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
    auth: Authenticated<P>,
) -> Result<Json<PlatformStatusBody>, ApiError> {
    let is_platform_org = service.platform_status(&auth.caller)?;
    Ok(Json(PlatformStatusBody { is_platform_org }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_organization_id_is_refused() {
        let refused = AccessParams::read(&Raw::query(&[]))
            .err()
            .unwrap_or_default();
        let summary: Vec<_> = refused
            .iter()
            .map(|r| (r.name, r.input.clone(), r.refusal.kind))
            .collect();
        assert_eq!(summary, [("organization_id", None, "missing")]);
    }
}

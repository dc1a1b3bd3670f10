use actix_web::web::{Data, Json};
use admin_domain::{AdminService, Limit, Listing, PageRequest, Ports};

use crate::bodies::{OrganizationItem, PageBody, UserItem, WorkspaceItem};
use crate::errors::{ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::params::{CursorOf, Declare, PageSize, Param, Parameters, Raw};

/// `limit` and `cursor`, which every listing takes.
fn page(declare: &mut impl Declare, listing: Listing) -> Option<PageRequest> {
    let limit = declare.take(
        Param::query("limit", "Rows per page (default 50)"),
        PageSize,
    );
    let cursor = Param::query("cursor", "The previous page's `next_cursor`");
    let after = declare.take(cursor, CursorOf(listing));
    Some(PageRequest {
        listing,
        limit: limit.unwrap_or(Limit::DEFAULT),
        after,
    })
}

/// `GET /v1/admin/platform/users`'s parameters.
#[derive(Debug)]
pub struct UsersParams(PageRequest);

impl Parameters for UsersParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        page(declare, Listing::Users).map(Self)
    }
}

/// `GET /v1/admin/platform/organizations`'s parameters.
#[derive(Debug)]
pub struct OrganizationsParams(PageRequest);

impl Parameters for OrganizationsParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        page(declare, Listing::Organizations).map(Self)
    }
}

/// `GET /v1/admin/platform/workspaces`'s parameters.
#[derive(Debug)]
pub struct WorkspacesParams(PageRequest);

impl Parameters for WorkspacesParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        page(declare, Listing::Workspaces).map(Self)
    }
}

crate::described!(UsersParams, OrganizationsParams, WorkspacesParams);

/// A page of every user of the platform, in (creation time, id) order.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/users",
    tag = "platform",
    operation_id = "list_platform_users",
    security(("bearer" = [])),
    params(UsersParams),
    responses(
        (status = 200, description = "A page", body = PageBody<UserItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn users<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<UserItem>>, ApiError> {
    let UsersParams(request) = UsersParams::read(&raw)?;
    Ok(Json(
        service.list_users(&auth.caller, &request).await?.into(),
    ))
}

/// A page of every organization of the platform, with member and workspace counts, in (creation time, id) order.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/organizations",
    tag = "platform",
    operation_id = "list_platform_organizations",
    security(("bearer" = [])),
    params(OrganizationsParams),
    responses(
        (status = 200, description = "A page", body = PageBody<OrganizationItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn organizations<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<OrganizationItem>>, ApiError> {
    let OrganizationsParams(request) = OrganizationsParams::read(&raw)?;
    Ok(Json(
        service
            .list_organizations(&auth.caller, &request)
            .await?
            .into(),
    ))
}

/// A page of every workspace of the platform, in (creation time, id) order.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/workspaces",
    tag = "platform",
    operation_id = "list_platform_workspaces",
    security(("bearer" = [])),
    params(WorkspacesParams),
    responses(
        (status = 200, description = "A page", body = PageBody<WorkspaceItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn workspaces<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<WorkspaceItem>>, ApiError> {
    let WorkspacesParams(request) = WorkspacesParams::read(&raw)?;
    Ok(Json(
        service
            .list_workspaces(&auth.caller, &request)
            .await?
            .into(),
    ))
}

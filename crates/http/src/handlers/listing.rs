use actix_web::web::{Data, Json};
use admin_domain::{AdminService, Listing, PageRequest, Ports};

use crate::bodies::{OrganizationItem, PageBody, UserItem, WorkspaceItem};
use crate::errors::ApiError;
use crate::extract::{Authenticated, OrganizationsList, RawQuery, UsersList, WorkspacesList};
use crate::openapi::{Invalid, Refusals};

fn page_request(listing: Listing, query: &RawQuery) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::parse(
        listing,
        query.get("limit"),
        query.get("cursor"),
    )?)
}

/// A page of every user of the platform, in (creation time, id) order.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/users",
    tag = "platform",
    operation_id = "list_platform_users",
    security(("bearer" = [])),
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Rows per page (default 50)"),
        ("cursor" = Option<String>, Query, pattern = "^75[0-9a-f]{48}$", description = "The previous page's `next_cursor`"),
    ),
    responses(
        (status = 200, description = "A page", body = PageBody<UserItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn users<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, UsersList>,
    query: RawQuery,
) -> Result<Json<PageBody<UserItem>>, ApiError> {
    let request = page_request(Listing::Users, &query)?;
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
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Rows per page (default 50)"),
        ("cursor" = Option<String>, Query, pattern = "^6f[0-9a-f]{48}$", description = "The previous page's `next_cursor`"),
    ),
    responses(
        (status = 200, description = "A page", body = PageBody<OrganizationItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn organizations<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, OrganizationsList>,
    query: RawQuery,
) -> Result<Json<PageBody<OrganizationItem>>, ApiError> {
    let request = page_request(Listing::Organizations, &query)?;
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
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Rows per page (default 50)"),
        ("cursor" = Option<String>, Query, pattern = "^77[0-9a-f]{48}$", description = "The previous page's `next_cursor`"),
    ),
    responses(
        (status = 200, description = "A page", body = PageBody<WorkspaceItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn workspaces<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P, WorkspacesList>,
    query: RawQuery,
) -> Result<Json<PageBody<WorkspaceItem>>, ApiError> {
    let request = page_request(Listing::Workspaces, &query)?;
    Ok(Json(
        service
            .list_workspaces(&auth.caller, &request)
            .await?
            .into(),
    ))
}

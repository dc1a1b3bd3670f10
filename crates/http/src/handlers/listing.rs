use actix_web::web::{Data, Json};
use admin_domain::{AdminService, Listing, PageRequest, Ports};

use crate::bodies::{OrganizationItem, PageBody, UserItem, WorkspaceItem};
use crate::errors::ApiError;
use crate::extract::{Authenticated, OrganizationsList, RawQuery, UsersList, WorkspacesList};

fn page_request(listing: Listing, query: &RawQuery) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::parse(
        listing,
        query.get("limit"),
        query.get("cursor"),
    )?)
}

/// `GET /v1/admin/platform/users?limit=N&cursor=C`
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

/// `GET /v1/admin/platform/organizations?limit=N&cursor=C`
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

/// `GET /v1/admin/platform/workspaces?limit=N&cursor=C`
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

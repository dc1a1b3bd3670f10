//! One user, organization or workspace, by id; and the ids in the paths that name one.

use actix_web::web::{Data, Json};
use admin_domain::{
    Action, AdminService, Details, OrganizationId, Ports, Target, TokenId, UserId, WorkspaceId,
};

use crate::bodies::{OrganizationItem, UserItem, WorkspaceItem};
use crate::errors::{Absent, ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::handlers::audited::read;
use crate::params::{Declare, Id, Param, Parameters, Raw};

/// The id in a resource's path.
#[derive(Debug)]
pub struct PathId<T>(pub T);

impl Parameters for PathId<UserId> {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let id = declare.take(Param::path("user_id", "The user"), Id(UserId::from_uuid));
        id.map(Self)
    }
}

impl Parameters for PathId<OrganizationId> {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let param = Param::path("organization_id", "The organization");
        declare.take(param, Id(OrganizationId::from_uuid)).map(Self)
    }
}

impl Parameters for PathId<WorkspaceId> {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let param = Param::path("workspace_id", "The workspace");
        declare.take(param, Id(WorkspaceId::from_uuid)).map(Self)
    }
}

impl Parameters for PathId<TokenId> {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let param = Param::path("token_id", "The token");
        declare.take(param, Id(TokenId::from_uuid)).map(Self)
    }
}

crate::described!(
    PathId<UserId>,
    PathId<OrganizationId>,
    PathId<WorkspaceId>,
    PathId<TokenId>
);

/// One user: the item the users listing has for them.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/users/{user_id}",
    tag = "platform",
    operation_id = "get_platform_user",
    security(("bearer" = [])),
    params(PathId<UserId>),
    responses(
        (status = 200, description = "The user", body = UserItem),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn user<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<UserItem>, ApiError> {
    let PathId(id) = PathId::<UserId>::read(&raw)?;
    let user = service.user(&auth.caller, id).await?;
    read(
        &service,
        &auth,
        Action::UserRead,
        Some(Target::user(id)),
        Details::new,
    )
    .await?;
    Ok(Json(user.into()))
}

/// One organization, with its member and workspace counts.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/organizations/{organization_id}",
    tag = "platform",
    operation_id = "get_platform_organization",
    security(("bearer" = [])),
    params(PathId<OrganizationId>),
    responses(
        (status = 200, description = "The organization", body = OrganizationItem),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn organization<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<OrganizationItem>, ApiError> {
    let PathId(id) = PathId::<OrganizationId>::read(&raw)?;
    let organization = service.organization(&auth.caller, id).await?;
    let target = Some(Target::organization(id));
    read(
        &service,
        &auth,
        Action::OrganizationRead,
        target,
        Details::new,
    )
    .await?;
    Ok(Json(organization.into()))
}

/// One workspace.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/workspaces/{workspace_id}",
    tag = "platform",
    operation_id = "get_platform_workspace",
    security(("bearer" = [])),
    params(PathId<WorkspaceId>),
    responses(
        (status = 200, description = "The workspace", body = WorkspaceItem),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn workspace<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<WorkspaceItem>, ApiError> {
    let PathId(id) = PathId::<WorkspaceId>::read(&raw)?;
    let workspace = service.workspace(&auth.caller, id).await?;
    let target = Some(Target::workspace(id));
    read(&service, &auth, Action::WorkspaceRead, target, Details::new).await?;
    Ok(Json(workspace.into()))
}

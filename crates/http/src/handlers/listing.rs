//! The platform's listings: users, organizations and workspaces, an organization's members and
//! a user's organizations, each with its filters, in either order, with a total on request.

use actix_web::web::{Data, Json};
use admin_domain::{
    Action, AdminService, Caseless, Limit, Listing, ListingKind, Order, OrganizationFilter,
    OrganizationId, PageRequest, Ports, Role, RoleFilter, Target, UserFilter, UserId,
    WorkspaceFilter,
};

use crate::bodies::{
    MemberItem, MembershipItem, OrganizationItem, PageBody, UserItem, WorkspaceItem,
};
use crate::errors::{Absent, ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::handlers::audited::read;
use crate::params::{
    Boolean, Choice, CursorOf, Declare, Id, PageSize, Param, Parameters, Raw, Text,
};
use crate::wire;

/// `order`: `asc` or `desc`.
pub const ORDER: Choice<Order> = Choice {
    choices: &Order::ALL,
    name: wire::order,
};

/// `role`: a membership's role.
pub const ROLE: Choice<Role> = Choice {
    choices: &Role::ALL,
    name: Role::as_str,
};

/// `email_prefix` and `name_prefix`.
const PREFIX: Text = Text { min: 1, max: 200 };

/// `limit`, `order` (oldest first by default), `cursor` and `include_total`, which every
/// listing takes, for `listing` (`None` when its path was refused: then a cursor need only be
/// of `kind`).
pub fn page(
    declare: &mut impl Declare,
    listing: Option<Listing>,
    kind: ListingKind,
) -> Option<PageRequest> {
    page_in(declare, listing, kind, Order::Asc)
}

/// [`page`], in the order `default` unless the query says otherwise.
pub fn page_in(
    declare: &mut impl Declare,
    listing: Option<Listing>,
    kind: ListingKind,
    default: Order,
) -> Option<PageRequest> {
    let limit = declare.take_or(
        Param::query("limit", "Rows per page (default 50)"),
        PageSize,
        Limit::DEFAULT,
    );
    let order = declare.take_or(
        Param::query(
            "order",
            match default {
                Order::Asc => "`asc` (default): oldest first; `desc`: newest first",
                Order::Desc => "`desc` (default): newest first; `asc`: oldest first",
            },
        ),
        ORDER,
        default,
    );
    let cursor = declare.take(
        Param::query(
            "cursor",
            "The previous page's `next_cursor`, of this listing in this order",
        ),
        CursorOf {
            kind,
            listing,
            order,
        },
    );
    let include_total = declare.take_or(
        Param::query(
            "include_total",
            "Add `total`: every row matching the filters",
        ),
        Boolean,
        false,
    );
    Some(PageRequest {
        listing: listing?,
        order: order?,
        limit: limit?,
        after: cursor.map(|cursor| cursor.after),
        include_total: include_total?,
    })
}

/// Case-insensitive text: `Caseless`.
fn caseless(declare: &mut impl Declare, param: Param, text: Text) -> Option<Caseless> {
    declare.take(param, text).as_deref().map(Caseless::new)
}

/// `GET /v1/admin/platform/users`'s parameters.
#[derive(Debug)]
pub struct UsersParams(PageRequest, UserFilter);

impl Parameters for UsersParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let page = page(declare, Some(Listing::Users), ListingKind::Users);
        let filter = UserFilter {
            email: caseless(
                declare,
                Param::query("email", "The email, exactly, in any case"),
                Text { min: 1, max: 254 },
            ),
            email_prefix: caseless(
                declare,
                Param::query("email_prefix", "The start of the email, in any case"),
                PREFIX,
            ),
            is_active: declare.take(
                Param::query("is_active", "Active users only, or deactivated ones only"),
                Boolean,
            ),
        };
        Some(Self(page?, filter))
    }
}

/// `GET /v1/admin/platform/organizations`'s parameters.
#[derive(Debug)]
pub struct OrganizationsParams(PageRequest, OrganizationFilter);

impl Parameters for OrganizationsParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let page = page(
            declare,
            Some(Listing::Organizations),
            ListingKind::Organizations,
        );
        let filter = OrganizationFilter {
            slug: caseless(
                declare,
                Param::query("slug", "The slug, exactly, in any case"),
                Text { min: 1, max: 63 },
            ),
            name_prefix: caseless(
                declare,
                Param::query("name_prefix", "The start of the name, in any case"),
                PREFIX,
            ),
            is_platform: declare.take(
                Param::query(
                    "is_platform",
                    "The platform organization only, or every other only",
                ),
                Boolean,
            ),
        };
        Some(Self(page?, filter))
    }
}

/// `GET /v1/admin/platform/workspaces`'s parameters.
#[derive(Debug)]
pub struct WorkspacesParams(PageRequest, WorkspaceFilter);

impl Parameters for WorkspacesParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let page = page(declare, Some(Listing::Workspaces), ListingKind::Workspaces);
        let filter = WorkspaceFilter {
            organization_id: declare.take(
                Param::query("organization_id", "The organization's workspaces only"),
                Id(OrganizationId::from_uuid),
            ),
            name_prefix: caseless(
                declare,
                Param::query("name_prefix", "The start of the name, in any case"),
                PREFIX,
            ),
        };
        Some(Self(page?, filter))
    }
}

/// A membership listing's `role` filter.
fn role(declare: &mut impl Declare) -> RoleFilter {
    RoleFilter {
        role: declare.take(Param::query("role", "Members with this role only"), ROLE),
    }
}

/// `GET /v1/admin/platform/organizations/{organization_id}/members`'s parameters.
#[derive(Debug)]
pub struct MembersParams(OrganizationId, PageRequest, RoleFilter);

impl Parameters for MembersParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let organization = declare.take(
            Param::path("organization_id", "The organization"),
            Id(OrganizationId::from_uuid),
        );
        let page = page(
            declare,
            organization.map(Listing::Members),
            ListingKind::Members,
        );
        let filter = role(declare);
        Some(Self(organization?, page?, filter))
    }
}

/// `GET /v1/admin/platform/users/{user_id}/memberships`'s parameters.
#[derive(Debug)]
pub struct MembershipsParams(UserId, PageRequest, RoleFilter);

impl Parameters for MembershipsParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let user = declare.take(Param::path("user_id", "The user"), Id(UserId::from_uuid));
        let page = page(
            declare,
            user.map(Listing::Memberships),
            ListingKind::Memberships,
        );
        let filter = role(declare);
        Some(Self(user?, page?, filter))
    }
}

crate::described!(
    UsersParams,
    OrganizationsParams,
    WorkspacesParams,
    MembersParams,
    MembershipsParams
);

/// A page of the platform's users, oldest (or newest) first, found by email, by the start of
/// it, or by whether they are active.
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
    let UsersParams(request, filter) = UsersParams::read(&raw)?;
    let page = service.list_users(&auth.caller, &request, &filter).await?;
    read(&service, &auth, Action::UsersList, None, || {
        raw.details::<UsersParams>()
    })
    .await?;
    Ok(Json(page.into()))
}

/// A page of the platform's organizations with their member and workspace counts, oldest (or
/// newest) first, found by slug, by the start of the name, or by whether it is the platform's.
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
    let OrganizationsParams(request, filter) = OrganizationsParams::read(&raw)?;
    let page = service
        .list_organizations(&auth.caller, &request, &filter)
        .await?;
    read(&service, &auth, Action::OrganizationsList, None, || {
        raw.details::<OrganizationsParams>()
    })
    .await?;
    Ok(Json(page.into()))
}

/// A page of the platform's workspaces, oldest (or newest) first, found by organization or by
/// the start of the name.
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
    let WorkspacesParams(request, filter) = WorkspacesParams::read(&raw)?;
    let page = service
        .list_workspaces(&auth.caller, &request, &filter)
        .await?;
    read(&service, &auth, Action::WorkspacesList, None, || {
        raw.details::<WorkspacesParams>()
    })
    .await?;
    Ok(Json(page.into()))
}

/// A page of an organization's members, by when they joined, found by role.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/organizations/{organization_id}/members",
    tag = "platform",
    operation_id = "list_organization_members",
    security(("bearer" = [])),
    params(MembersParams),
    responses(
        (status = 200, description = "A page", body = PageBody<MemberItem>),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn members<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<MemberItem>>, ApiError> {
    let MembersParams(organization, request, filter) = MembersParams::read(&raw)?;
    let page = service
        .list_members(&auth.caller, organization, &request, &filter)
        .await?;
    let target = Some(Target::organization(organization));
    read(&service, &auth, Action::MembersList, target, || {
        raw.details::<MembersParams>()
    })
    .await?;
    Ok(Json(page.into()))
}

/// A page of the organizations a user belongs to, by when they joined, found by role.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/users/{user_id}/memberships",
    tag = "platform",
    operation_id = "list_user_memberships",
    security(("bearer" = [])),
    params(MembershipsParams),
    responses(
        (status = 200, description = "A page", body = PageBody<MembershipItem>),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn memberships<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<MembershipItem>>, ApiError> {
    let MembershipsParams(user, request, filter) = MembershipsParams::read(&raw)?;
    let page = service
        .list_memberships(&auth.caller, user, &request, &filter)
        .await?;
    let target = Some(Target::user(user));
    read(&service, &auth, Action::MembershipsList, target, || {
        raw.details::<MembershipsParams>()
    })
    .await?;
    Ok(Json(page.into()))
}

//! The 200 bodies, field for field as the contract names them, with the contract's sentences.

use admin_domain::{
    AccessDecision, AccessRole, AuditEvent, CleanupReport, Detail, Member, OrganizationMembership,
    OrganizationSummary, Page, Role, Timestamp, TokenRecord, TokenState, User, Workspace,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::wire;

/// `GET /v1/admin/access`
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessBody {
    /// Whether the caller administers the organization.
    pub has_access: bool,
    /// The caller.
    pub user_id: String,
    /// The organization asked about, as given.
    pub organization_id: String,
    /// The caller's role there; `platform_admin` for a platform administrator who is not a
    /// member; null otherwise.
    #[schema(schema_with = access_role)]
    pub role: Option<&'static str>,
    /// A short human sentence.
    #[schema(value_type = String, example = "User has admin access")]
    pub message: &'static str,
}

impl From<AccessDecision> for AccessBody {
    fn from(decision: AccessDecision) -> Self {
        Self {
            has_access: decision.has_access,
            user_id: decision.user_id.to_string(),
            message: if decision.has_access {
                "User has admin access"
            } else {
                "User does not have admin access"
            },
            role: decision.role.map(|role| role.as_str()),
            organization_id: decision.organization_id,
        }
    }
}

/// The roles an access check reports: every [`Role`], `platform_admin`, or null.
fn access_role() -> Object {
    let names = Role::ALL
        .map(AccessRole::Member)
        .into_iter()
        .chain([AccessRole::PlatformAdmin])
        .map(|role| serde_json::Value::from(role.as_str()))
        .chain([serde_json::Value::Null]);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(names))
        .build()
}

/// `GET /v1/admin/platform-status`
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformStatusBody {
    /// Whether the caller's token is scoped to the platform organization.
    pub is_platform_org: bool,
}

/// `POST /v1/admin/cleanup-tokens`
#[derive(Debug, Serialize, ToSchema)]
pub struct CleanupBody {
    /// Records deleted (or, for a dry run, that would be).
    pub deleted_count: u64,
    /// Records that expired or were revoked before this instant were concerned.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub cutoff: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// A short human sentence.
    pub message: String,
}

impl From<CleanupReport> for CleanupBody {
    fn from(report: CleanupReport) -> Self {
        Self {
            deleted_count: report.deleted_count,
            cutoff: wire::timestamp(report.cutoff),
            dry_run: report.dry_run,
            message: if report.dry_run {
                format!("{} token records would be deleted", report.deleted_count)
            } else {
                "Token cleanup completed".to_owned()
            },
        }
    }
}

/// A page of a platform listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The page size asked for.
    #[schema(minimum = 1, maximum = 200)]
    pub limit: usize,
    /// The `cursor` of the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Every row matching the filters, on all pages; only when `include_total=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<D> PageBody<D> {
    /// The body of `page`, each row made an item by `item`.
    pub fn of<T>(page: Page<T>, item: impl FnMut(T) -> D) -> Self {
        Self {
            items: page.items.into_iter().map(item).collect(),
            limit: page.limit,
            next_cursor: page.next_cursor,
            total: page.total,
        }
    }
}

impl<D, T: Into<D>> From<Page<T>> for PageBody<D> {
    fn from(page: Page<T>) -> Self {
        Self::of(page, Into::into)
    }
}

/// A user in `GET /v1/admin/platform/users`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserItem {
    /// Its id.
    #[schema(format = "uuid")]
    pub id: String,
    /// Its email address.
    pub email: String,
    /// Its display name, or null.
    pub display_name: Option<String>,
    /// Whether it may sign in.
    pub is_active: bool,
    /// When it was created.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub created_at: String,
}

impl From<User> for UserItem {
    fn from(user: User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            display_name: user.display_name.map(|name| name.as_str().to_owned()),
            is_active: user.is_active,
            created_at: wire::timestamp(user.created_at),
        }
    }
}

/// An organization in `GET /v1/admin/platform/organizations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationItem {
    /// Its id.
    #[schema(format = "uuid")]
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Whether it is the platform organization.
    pub is_platform: bool,
    /// When it was created.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub created_at: String,
    /// How many members it has.
    pub member_count: u64,
    /// How many workspaces it has.
    pub workspace_count: u64,
}

impl From<OrganizationSummary> for OrganizationItem {
    fn from(summary: OrganizationSummary) -> Self {
        let organization = summary.organization;
        Self {
            id: organization.id.to_string(),
            name: organization.name.as_str().to_owned(),
            slug: organization.slug.as_str().to_owned(),
            is_platform: organization.is_platform,
            created_at: wire::timestamp(organization.created_at),
            member_count: summary.member_count,
            workspace_count: summary.workspace_count,
        }
    }
}

/// A workspace in `GET /v1/admin/platform/workspaces`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceItem {
    /// Its id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The organization it belongs to.
    pub organization_id: String,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// When it was created.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub created_at: String,
}

impl From<Workspace> for WorkspaceItem {
    fn from(workspace: Workspace) -> Self {
        Self {
            id: workspace.id.to_string(),
            organization_id: workspace.organization_id.to_string(),
            name: workspace.name.as_str().to_owned(),
            slug: workspace.slug.as_str().to_owned(),
            created_at: wire::timestamp(workspace.created_at),
        }
    }
}

/// A member in `GET /v1/admin/platform/organizations/{organization_id}/members`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberItem {
    /// The member.
    #[schema(format = "uuid")]
    pub user_id: String,
    /// Their email address.
    pub email: String,
    /// Their display name, or null.
    pub display_name: Option<String>,
    /// Their role in the organization.
    #[schema(schema_with = role)]
    pub role: &'static str,
    /// When they joined (a role change keeps it).
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub created_at: String,
}

impl From<Member> for MemberItem {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user_id.to_string(),
            email: member.email.as_str().to_owned(),
            display_name: member.display_name.map(|name| name.as_str().to_owned()),
            role: member.role.as_str(),
            created_at: wire::timestamp(member.joined_at),
        }
    }
}

/// An organization in `GET /v1/admin/platform/users/{user_id}/memberships`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipItem {
    /// The organization.
    #[schema(format = "uuid")]
    pub organization_id: String,
    /// Its name.
    pub organization_name: String,
    /// Its slug.
    pub organization_slug: String,
    /// The user's role there.
    #[schema(schema_with = role)]
    pub role: &'static str,
    /// When the user joined (a role change keeps it).
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub created_at: String,
}

impl From<OrganizationMembership> for MembershipItem {
    fn from(membership: OrganizationMembership) -> Self {
        let organization = membership.organization;
        Self {
            organization_id: organization.id.to_string(),
            organization_name: organization.name.as_str().to_owned(),
            organization_slug: organization.slug.as_str().to_owned(),
            role: membership.role.as_str(),
            created_at: wire::timestamp(membership.joined_at),
        }
    }
}

/// A token in `GET /v1/admin/platform/users/{user_id}/tokens`: never its text, signature or
/// revocation id.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenItem {
    /// The token's id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The user it authenticates.
    #[schema(format = "uuid")]
    pub user_id: String,
    /// The organization it is scoped to, or null.
    #[schema(format = "uuid")]
    pub organization_id: Option<String>,
    /// When it was issued.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub issued_at: String,
    /// When it stops authenticating.
    #[schema(example = "2025-01-01T00:15:00.000000")]
    pub expires_at: String,
    /// When it was revoked, or null.
    #[schema(example = "2025-01-01T00:05:00.000000")]
    pub revoked_at: Option<String>,
    /// `revoked` when revoked, else `expired` when past its expiry, else `active`.
    #[schema(schema_with = token_state)]
    pub state: &'static str,
}

impl TokenItem {
    /// The item of `record`, its state taken at `at`.
    pub fn new(record: TokenRecord, at: Timestamp) -> Self {
        Self {
            id: record.id.to_string(),
            user_id: record.user_id.to_string(),
            organization_id: record.organization_id.map(|id| id.to_string()),
            issued_at: wire::timestamp(record.issued_at),
            expires_at: wire::timestamp(record.expires_at),
            revoked_at: record.revoked_at.map(wire::timestamp),
            state: record.state(at).as_str(),
        }
    }
}

/// `POST /v1/admin/platform/tokens/{token_id}/revoke`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenRevocationBody {
    /// The token's id.
    #[schema(format = "uuid")]
    pub id: String,
    /// When it was revoked: now, or the first time when it already was.
    #[schema(example = "2025-01-01T00:05:00.000000")]
    pub revoked_at: String,
    /// Whether it was revoked before this call.
    pub already_revoked: bool,
}

/// `POST /v1/admin/platform/users/{user_id}/revoke-tokens`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRevocationBody {
    /// The user.
    #[schema(format = "uuid")]
    pub user_id: String,
    /// How many tokens that could still authenticate it revoked.
    pub revoked_count: u64,
    /// When it revoked them (also when it revoked none).
    #[schema(example = "2025-01-01T00:05:00.000000")]
    pub revoked_at: String,
}

/// A token's state: one of [`TokenState::ALL`].
fn token_state() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(TokenState::ALL.map(TokenState::as_str)))
        .build()
}

/// A membership's role: one of [`Role::ALL`].
fn role() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Role::ALL.map(Role::as_str)))
        .build()
}

/// Who called the API, in an audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorBody {
    /// The caller's user.
    #[schema(format = "uuid")]
    pub user_id: String,
    /// The token it presented.
    #[schema(format = "uuid")]
    pub token_id: String,
}

/// What an audit event is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetBody {
    /// `organization`, `user`, `workspace` or `token`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its id.
    #[schema(format = "uuid")]
    pub id: String,
}

/// An event in `GET /v1/admin/platform/audit-events`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventItem {
    /// The event's id.
    #[schema(format = "uuid")]
    pub id: String,
    /// When it happened.
    #[schema(example = "2025-01-01T00:00:00.000000")]
    pub at: String,
    /// What was done, such as `token.revoke`.
    pub action: &'static str,
    /// `api`, `cli` or `scheduler`.
    pub via: &'static str,
    /// The caller, for `via: api`; else null.
    pub actor: Option<ActorBody>,
    /// What it is about, or null.
    pub target: Option<TargetBody>,
    /// Ids, counts and filters.
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// The request's `X-Request-Id`, for `via: api`; else null.
    pub request_id: Option<String>,
    /// The hash of the event before it in the chain.
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and this event's canonical form (docs/audit.md).
    pub hash: String,
}

impl From<AuditEvent> for AuditEventItem {
    fn from(event: AuditEvent) -> Self {
        let entry = event.entry;
        let details = entry
            .details
            .iter()
            .map(|(name, value)| (name.to_owned(), detail_json(value)))
            .collect();
        Self {
            id: entry.id.to_string(),
            at: wire::timestamp(entry.at),
            action: entry.action.as_str(),
            via: entry.via.as_str(),
            actor: entry.actor.map(|actor| ActorBody {
                user_id: actor.user_id.to_string(),
                token_id: actor.token_id.to_string(),
            }),
            target: entry.target.map(|target| TargetBody {
                kind: target.kind.as_str(),
                id: target.id.to_string(),
            }),
            details,
            request_id: entry.request_id,
            prev_hash: event.prev_hash,
            hash: event.hash,
        }
    }
}

/// One detail's JSON value, as the API shows it (and the chain's canonical form writes it).
fn detail_json(value: &Detail) -> serde_json::Value {
    match value {
        Detail::Null => serde_json::Value::Null,
        Detail::Flag(flag) => serde_json::Value::Bool(*flag),
        Detail::Count(count) => serde_json::Value::from(*count),
        Detail::Text(text) => serde_json::Value::from(text.as_str()),
    }
}

//! Rows as diesel reads and writes them, and their conversions to and from the domain's types:
//! what is read is parsed again (into `Email`, `Name`, `Slug`, …), so a row edited by hand
//! into something the service would never write is a storage failure, not a wrong answer.

use admin_domain::{
    Caseless, Email, Member, Membership, Name, Organization, OrganizationId, OrganizationSummary,
    RevocationId, Role, Slug, StoreError, TokenId, TokenRecord, User, UserId, Workspace,
    WorkspaceId,
};
use diesel::prelude::*;

use crate::database::query::schema::{memberships, organizations, tokens, users, workspaces};
use crate::database::query::sql_types::{DbInstant, DbUuid};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: DbUuid,
    pub email: String,
    pub display_name: Option<String>,
    pub is_active: bool,
    pub created_at: DbInstant,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        Self {
            id: DbUuid(user.id.as_uuid()),
            email: user.email.as_str().to_owned(),
            display_name: user
                .display_name
                .as_ref()
                .map(|name| name.as_str().to_owned()),
            is_active: user.is_active,
            created_at: DbInstant(user.created_at),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: UserId::from_uuid(row.id.0),
            email: Email::parse(&row.email).map_err(corrupt)?,
            display_name: display_name(row.display_name)?,
            is_active: row.is_active,
            created_at: row.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: DbUuid,
    pub name: String,
    /// The name, lowercased, for prefix searches.
    pub name_key: String,
    pub slug: String,
    pub is_platform: bool,
    pub created_at: DbInstant,
}

impl From<&Organization> for OrganizationRow {
    fn from(organization: &Organization) -> Self {
        Self {
            id: DbUuid(organization.id.as_uuid()),
            name: organization.name.as_str().to_owned(),
            name_key: Caseless::new(organization.name.as_str())
                .as_str()
                .to_owned(),
            slug: organization.slug.as_str().to_owned(),
            is_platform: organization.is_platform,
            created_at: DbInstant(organization.created_at),
        }
    }
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;

    fn try_from(row: OrganizationRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: OrganizationId::from_uuid(row.id.0),
            name: Name::parse(&row.name).map_err(corrupt)?,
            slug: Slug::parse(&row.slug).map_err(corrupt)?,
            is_platform: row.is_platform,
            created_at: row.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces)]
pub struct WorkspaceRow {
    pub id: DbUuid,
    pub organization_id: DbUuid,
    pub name: String,
    /// The name, lowercased, for prefix searches.
    pub name_key: String,
    pub slug: String,
    pub created_at: DbInstant,
}

impl From<&Workspace> for WorkspaceRow {
    fn from(workspace: &Workspace) -> Self {
        Self {
            id: DbUuid(workspace.id.as_uuid()),
            organization_id: DbUuid(workspace.organization_id.as_uuid()),
            name: workspace.name.as_str().to_owned(),
            name_key: Caseless::new(workspace.name.as_str()).as_str().to_owned(),
            slug: workspace.slug.as_str().to_owned(),
            created_at: DbInstant(workspace.created_at),
        }
    }
}

impl TryFrom<WorkspaceRow> for Workspace {
    type Error = StoreError;

    fn try_from(row: WorkspaceRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: WorkspaceId::from_uuid(row.id.0),
            organization_id: OrganizationId::from_uuid(row.organization_id.0),
            name: Name::parse(&row.name).map_err(corrupt)?,
            slug: Slug::parse(&row.slug).map_err(corrupt)?,
            created_at: row.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub user_id: DbUuid,
    pub organization_id: DbUuid,
    pub role: String,
    pub created_at: DbInstant,
}

impl From<&Membership> for MembershipRow {
    fn from(membership: &Membership) -> Self {
        Self {
            user_id: DbUuid(membership.user_id.as_uuid()),
            organization_id: DbUuid(membership.organization_id.as_uuid()),
            role: membership.role.as_str().to_owned(),
            created_at: DbInstant(membership.joined_at),
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = tokens, treat_none_as_default_value = false)]
pub struct TokenRow {
    pub id: DbUuid,
    pub user_id: DbUuid,
    pub organization_id: Option<DbUuid>,
    pub revocation_id: String,
    pub issued_at: DbInstant,
    pub expires_at: DbInstant,
    pub revoked_at: Option<DbInstant>,
}

impl From<&TokenRecord> for TokenRow {
    fn from(token: &TokenRecord) -> Self {
        Self {
            id: DbUuid(token.id.as_uuid()),
            user_id: DbUuid(token.user_id.as_uuid()),
            organization_id: token.organization_id.map(|id| DbUuid(id.as_uuid())),
            revocation_id: token.revocation_id.as_str().to_owned(),
            issued_at: DbInstant(token.issued_at),
            expires_at: DbInstant(token.expires_at),
            revoked_at: token.revoked_at.map(DbInstant),
        }
    }
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TokenId::from_uuid(row.id.0),
            user_id: UserId::from_uuid(row.user_id.0),
            organization_id: row
                .organization_id
                .map(|id| OrganizationId::from_uuid(id.0)),
            revocation_id: RevocationId::parse(&row.revocation_id).map_err(corrupt)?,
            issued_at: row.issued_at.0,
            expires_at: row.expires_at.0,
            revoked_at: row.revoked_at.map(|at| at.0),
        })
    }
}

/// An organization row read with its member and workspace counts.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct SummaryRow {
    #[diesel(embed)]
    pub organization: OrganizationRow,
    pub member_count: i64,
    pub workspace_count: i64,
}

impl TryFrom<SummaryRow> for OrganizationSummary {
    type Error = StoreError;

    fn try_from(row: SummaryRow) -> Result<Self, StoreError> {
        Ok(OrganizationSummary {
            organization: Organization::try_from(row.organization)?,
            member_count: row.member_count.unsigned_abs(),
            workspace_count: row.workspace_count.unsigned_abs(),
        })
    }
}

/// An organization's member as its page reads them: the membership row alone, which carries
/// its user's email and display name (the database keeps that copy).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct MemberRow {
    pub user_id: DbUuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: String,
    pub created_at: DbInstant,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(Member {
            user_id: UserId::from_uuid(row.user_id.0),
            email: Email::parse(&row.email).map_err(corrupt)?,
            display_name: display_name(row.display_name)?,
            role: role(&row.role)?,
            joined_at: row.created_at.0,
        })
    }
}

/// A stored role, which the table's check constraint keeps to the four names.
pub fn role(stored: &str) -> Result<Role, StoreError> {
    stored.parse().map_err(corrupt)
}

/// A stored display name, if there is one.
fn display_name(stored: Option<String>) -> Result<Option<Name>, StoreError> {
    stored
        .as_deref()
        .map(Name::parse)
        .transpose()
        .map_err(corrupt)
}

fn corrupt(error: admin_domain::InvalidInput) -> StoreError {
    StoreError::Failed(format!("a stored value does not parse: {error}").into())
}

//! The platform directory port: keyset pages (`keyset`) with their filters, in either order;
//! totals; single rows; and the commands' inserts. Equality filters have indexes that lead
//! with them (an organization's members and workspaces, the deactivated users), or are unique
//! (an email, a slug); a prefix is read as `prefix` says. docs/performance.md measures each
//! with `EXPLAIN ANALYZE`.

use admin_domain::{
    AuditEntry, Member, Membership, Organization, OrganizationFilter, OrganizationId,
    OrganizationMembership, OrganizationSummary, PlatformDirectory, Role, RoleFilter, Rows, Seek,
    StoreError, User, UserFilter, UserId, Workspace, WorkspaceFilter, WorkspaceId,
};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use futures_util::future::try_join;

use super::connection::connections::with_connection;
use super::connection::replica::on_replica;
use super::errors;
use super::query::backend::insert_all;
use super::query::keyset::{counted, keyset, listed, matching};
use super::query::prefix::{in_range, unmatchable};
use super::query::rows::{
    self, MemberRow, MembershipRow, OrganizationRow, SummaryRow, UserRow, WorkspaceRow,
};
use super::query::schema::{memberships, organizations, users, workspaces};
use super::query::sql_types::{DbInstant, DbUuid};
use super::query::totals::{Kept, with_counted, with_kept};
use super::store::Database;

/// The rows the equality filters of a [`UserFilter`] keep (its prefix is `narrow!`'s and
/// `in_range!`'s); then the same for organizations and workspaces.
macro_rules! users_where {
    ($filter:expr) => {
        matching!(users,
            users::email => $filter.email.as_ref().map(|email| email.as_str().to_owned());
            users::is_active => $filter.is_active)
    };
}

macro_rules! organizations_where {
    ($filter:expr) => {
        matching!(organizations,
            organizations::slug => $filter.slug.as_ref().map(|slug| slug.as_str().to_owned());
            organizations::is_platform => $filter.is_platform)
    };
}

macro_rules! workspaces_where {
    ($filter:expr) => {
        matching!(workspaces,
            workspaces::organization_id => $filter.organization_id.map(|id| DbUuid(id.as_uuid())))
    };
}

impl Database {
    /// How many users `filter` keeps, when it is not the kept total of them all: every active
    /// one is all of them less the few that are not; any other filter is counted through its
    /// index.
    async fn users_total(&self, filter: &UserFilter) -> Result<u64, StoreError> {
        let active = UserFilter {
            is_active: Some(true),
            ..UserFilter::default()
        };
        if *filter == active {
            let inactive = UserFilter {
                is_active: Some(false),
                ..UserFilter::default()
            };
            let (all, inactive) =
                try_join(self.kept_total(Kept::Users), self.count_users(&inactive)).await?;
            Ok(all.saturating_sub(inactive))
        } else {
            self.count_users(filter).await
        }
    }

    async fn count_users(&self, filter: &UserFilter) -> Result<u64, StoreError> {
        counted!(
            self,
            in_range!(users_where!(filter), users::email, &filter.email_prefix)
        )
    }

    async fn count_organizations(&self, filter: &OrganizationFilter) -> Result<u64, StoreError> {
        let prefix = &filter.name_prefix;
        counted!(
            self,
            in_range!(
                organizations_where!(filter),
                organizations::name_key,
                prefix
            )
        )
    }

    async fn count_workspaces(&self, filter: &WorkspaceFilter) -> Result<u64, StoreError> {
        let prefix = &filter.name_prefix;
        counted!(
            self,
            in_range!(workspaces_where!(filter), workspaces::name_key, prefix)
        )
    }

    /// How many memberships are of `organization` and of `user`, where given, with `role`.
    async fn count_memberships(
        &self,
        organization: Option<OrganizationId>,
        user: Option<UserId>,
        role: Option<Role>,
    ) -> Result<u64, StoreError> {
        let organization = organization.map(|id| DbUuid(id.as_uuid()));
        let user = user.map(|id| DbUuid(id.as_uuid()));
        counted!(
            self,
            matching!(memberships,
            memberships::organization_id => organization,
            memberships::user_id => user,
            memberships::role => role.map(Role::as_str))
        )
    }
}

/// The directory's reads, on whichever database `on_replica!` chose (see `replica`).
impl Database {
    async fn page_of_users(
        &self,
        filter: &UserFilter,
        seek: &Seek,
    ) -> Result<Rows<User>, StoreError> {
        if unmatchable(&[&filter.email, &filter.email_prefix]) {
            return Ok(Rows::new(seek, Vec::new(), || 0));
        }
        let kept = (*filter == UserFilter::default()).then_some(Kept::Users);
        let (rows, total): (Vec<UserRow>, _) = listed!(
            self,
            users,
            users_where!(filter),
            email,
            &filter.email_prefix,
            filter.email.is_some() || filter.is_active.is_some(),
            UserRow::as_select(),
            kept,
            self.users_total(filter),
            seek
        );
        let rows = rows
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Rows { rows, total })
    }

    async fn page_of_organizations(
        &self,
        filter: &OrganizationFilter,
        seek: &Seek,
    ) -> Result<Rows<OrganizationSummary>, StoreError> {
        if unmatchable(&[&filter.slug, &filter.name_prefix]) {
            return Ok(Rows::new(seek, Vec::new(), || 0));
        }
        let kept = (*filter == OrganizationFilter::default()).then_some(Kept::Organizations);
        let (rows, total): (Vec<SummaryRow>, _) = listed!(
            self,
            organizations,
            organizations_where!(filter),
            name_key,
            &filter.name_prefix,
            filter.slug.is_some() || filter.is_platform.is_some(),
            SummaryRow::as_select(),
            kept,
            self.count_organizations(filter),
            seek
        );
        let rows = rows
            .into_iter()
            .map(OrganizationSummary::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Rows { rows, total })
    }

    async fn page_of_workspaces(
        &self,
        filter: &WorkspaceFilter,
        seek: &Seek,
    ) -> Result<Rows<Workspace>, StoreError> {
        if unmatchable(&[&filter.name_prefix]) {
            return Ok(Rows::new(seek, Vec::new(), || 0));
        }
        let kept = match filter {
            WorkspaceFilter {
                organization_id: None,
                name_prefix: None,
            } => Some(Kept::Workspaces),
            WorkspaceFilter {
                organization_id: Some(organization),
                name_prefix: None,
            } => Some(Kept::workspaces_of(*organization)),
            _ => None,
        };
        let (rows, total): (Vec<WorkspaceRow>, _) = listed!(
            self,
            workspaces,
            workspaces_where!(filter),
            name_key,
            &filter.name_prefix,
            filter.organization_id.is_some(),
            WorkspaceRow::as_select(),
            kept,
            self.count_workspaces(filter),
            seek
        );
        let rows = rows
            .into_iter()
            .map(Workspace::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Rows { rows, total })
    }

    async fn page_of_members(
        &self,
        organization: OrganizationId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Rows<Member>, StoreError> {
        // The page of members, each selected as `$select`.
        macro_rules! members {
            ($select:expr) => {{
                let mut query = memberships::table
                    .filter(memberships::organization_id.eq(DbUuid(organization.as_uuid())))
                    .into_boxed();
                if let Some(role) = filter.role {
                    query = query.filter(memberships::role.eq(role.as_str()));
                }
                keyset!(query, memberships::created_at, memberships::user_id, seek).select($select)
            }};
        }
        let (rows, total): (Vec<MemberRow>, _) = if seek.total && filter.role.is_none() {
            let kept = Kept::members_of(organization);
            let rows = with_connection!(self, |conn| {
                members!((MemberRow::as_select(), kept))
                    .load(conn)
                    .await
                    .map_err(errors::query)
            })?;
            with_kept(rows, self.kept_total(kept)).await?
        } else {
            let page = async {
                with_connection!(self, |conn| {
                    members!(MemberRow::as_select())
                        .load(conn)
                        .await
                        .map_err(errors::query)
                })
            };
            let counted = self.count_memberships(Some(organization), None, filter.role);
            with_counted(seek, page, counted).await?
        };
        let rows = rows
            .into_iter()
            .map(Member::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Rows { rows, total })
    }

    async fn page_of_memberships(
        &self,
        user: UserId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Rows<OrganizationMembership>, StoreError> {
        let page = async {
            with_connection!(self, |conn| {
                let mut query = memberships::table
                    .inner_join(organizations::table)
                    .filter(memberships::user_id.eq(DbUuid(user.as_uuid())))
                    .into_boxed();
                if let Some(role) = filter.role {
                    query = query.filter(memberships::role.eq(role.as_str()));
                }
                keyset!(
                    query,
                    memberships::created_at,
                    memberships::organization_id,
                    seek
                )
                .select((
                    OrganizationRow::as_select(),
                    memberships::role,
                    memberships::created_at,
                ))
                .load::<(OrganizationRow, String, DbInstant)>(conn)
                .await
                .map_err(errors::query)
            })
        };
        let counted = self.count_memberships(None, Some(user), filter.role);
        let (rows, total) = with_counted(seek, page, counted).await?;
        let rows = rows
            .into_iter()
            .map(|(organization, role, joined_at)| {
                Ok(OrganizationMembership {
                    organization: Organization::try_from(organization)?,
                    role: rows::role(&role)?,
                    joined_at: joined_at.0,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Rows { rows, total })
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = with_connection!(self, |conn| {
            users::table
                .find(DbUuid(id.as_uuid()))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(User::try_from).transpose()
    }

    async fn organization_by_id(
        &self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationSummary>, StoreError> {
        let row: Option<SummaryRow> = with_connection!(self, |conn| {
            organizations::table
                .find(DbUuid(id.as_uuid()))
                .select(SummaryRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(OrganizationSummary::try_from).transpose()
    }

    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        let row: Option<WorkspaceRow> = with_connection!(self, |conn| {
            workspaces::table
                .find(DbUuid(id.as_uuid()))
                .select(WorkspaceRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(Workspace::try_from).transpose()
    }
}

impl PlatformDirectory for Database {
    async fn users(&self, filter: &UserFilter, seek: &Seek) -> Result<Rows<User>, StoreError> {
        on_replica!(self, |db| db.page_of_users(filter, seek))
    }

    async fn organizations(
        &self,
        filter: &OrganizationFilter,
        seek: &Seek,
    ) -> Result<Rows<OrganizationSummary>, StoreError> {
        on_replica!(self, |db| db.page_of_organizations(filter, seek))
    }

    async fn workspaces(
        &self,
        filter: &WorkspaceFilter,
        seek: &Seek,
    ) -> Result<Rows<Workspace>, StoreError> {
        on_replica!(self, |db| db.page_of_workspaces(filter, seek))
    }

    async fn members(
        &self,
        organization: OrganizationId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Rows<Member>, StoreError> {
        on_replica!(self, |db| db.page_of_members(organization, filter, seek))
    }

    async fn memberships(
        &self,
        user: UserId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Rows<OrganizationMembership>, StoreError> {
        on_replica!(self, |db| db.page_of_memberships(user, filter, seek))
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        on_replica!(self, |db| db.user_by_id(id))
    }

    async fn find_organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationSummary>, StoreError> {
        on_replica!(self, |db| db.organization_by_id(id))
    }

    async fn find_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        on_replica!(self, |db| db.workspace_by_id(id))
    }

    async fn add_users(&self, users: &[User], events: &[AuditEntry]) -> Result<(), StoreError> {
        let rows: Vec<UserRow> = users.iter().map(UserRow::from).collect();
        insert_all!(self, rows, events, |part| diesel::insert_into(users::table)
            .values(part))
    }

    async fn add_organizations(
        &self,
        organizations: &[Organization],
        events: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let rows: Vec<OrganizationRow> = organizations.iter().map(OrganizationRow::from).collect();
        insert_all!(self, rows, events, |part| diesel::insert_into(
            organizations::table
        )
        .values(part))
    }

    async fn add_workspaces(
        &self,
        workspaces: &[Workspace],
        events: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let rows: Vec<WorkspaceRow> = workspaces.iter().map(WorkspaceRow::from).collect();
        insert_all!(self, rows, events, |part| diesel::insert_into(
            workspaces::table
        )
        .values(part))
    }

    async fn set_memberships(
        &self,
        memberships: &[Membership],
        events: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let rows: Vec<MembershipRow> = memberships.iter().map(MembershipRow::from).collect();
        // An existing membership takes the new role and keeps when it was made.
        insert_all!(self, rows, events, upsert: |part| diesel::insert_into(memberships::table)
            .values(part)
            .on_conflict((memberships::user_id, memberships::organization_id))
            .do_update()
            .set(memberships::role.eq(excluded(memberships::role))))
    }
}

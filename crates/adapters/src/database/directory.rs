//! The platform directory port: keyset pages, and the commands' inserts.

use admin_domain::{
    Cursor, Membership, Organization, OrganizationId, OrganizationSummary, PlatformDirectory,
    StoreError, Timestamp, User, UserId, Workspace,
};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::backend::insert_all;
use super::errors;
use super::pools::{Database, with_connection};
use super::rows::{MembershipRow, OrganizationRow, UserRow, WorkspaceRow};
use super::schema::{memberships, organizations, users, workspaces};
use super::sql_types::{DbInstant, DbUuid};

/// The rows of `$table` strictly after `$cursor` in (created_at, id) order, written so that the
/// (created_at, id) index bounds the scan: `created_at >= t AND (created_at > t OR id > i)`.
macro_rules! after {
    ($table:ident, $cursor:expr) => {{
        let (at, id) = (DbInstant($cursor.created_at), DbUuid($cursor.id));
        $table::created_at
            .ge(at)
            .and($table::created_at.gt(at).or($table::id.gt(id)))
    }};
}

/// Where a listing starts when no cursor is given: before every row. Always filtering by a
/// cursor keeps each listing one statement shape, prepared once per connection.
const START: Cursor = Cursor {
    created_at: Timestamp::MIN,
    id: uuid::Uuid::nil(),
};

fn limit(rows: usize) -> i64 {
    i64::try_from(rows).unwrap_or(i64::MAX)
}

impl PlatformDirectory for Database {
    async fn users(&self, after: Option<Cursor>, rows: usize) -> Result<Vec<User>, StoreError> {
        let after = after.unwrap_or(START);
        let page: Vec<UserRow> = with_connection!(self, |conn| {
            users::table
                .select(UserRow::as_select())
                .filter(after!(users, after))
                .order((users::created_at, users::id))
                .limit(limit(rows))
                .load(conn)
                .await
                .map_err(errors::query)
        })?;
        page.into_iter().map(User::try_from).collect()
    }

    async fn organizations(
        &self,
        after: Option<Cursor>,
        rows: usize,
    ) -> Result<Vec<OrganizationSummary>, StoreError> {
        let after = after.unwrap_or(START);
        let page: Vec<(OrganizationRow, i64, i64)> = with_connection!(self, |conn| {
            organizations::table
                .select((
                    OrganizationRow::as_select(),
                    organizations::member_count,
                    organizations::workspace_count,
                ))
                .filter(after!(organizations, after))
                .order((organizations::created_at, organizations::id))
                .limit(limit(rows))
                .load(conn)
                .await
                .map_err(errors::query)
        })?;
        page.into_iter()
            .map(|(row, members, workspaces)| {
                Ok(OrganizationSummary {
                    organization: Organization::try_from(row)?,
                    member_count: members.unsigned_abs(),
                    workspace_count: workspaces.unsigned_abs(),
                })
            })
            .collect()
    }

    async fn workspaces(
        &self,
        after: Option<Cursor>,
        rows: usize,
    ) -> Result<Vec<Workspace>, StoreError> {
        let after = after.unwrap_or(START);
        let page: Vec<WorkspaceRow> = with_connection!(self, |conn| {
            workspaces::table
                .select(WorkspaceRow::as_select())
                .filter(after!(workspaces, after))
                .order((workspaces::created_at, workspaces::id))
                .limit(limit(rows))
                .load(conn)
                .await
                .map_err(errors::query)
        })?;
        page.into_iter().map(Workspace::try_from).collect()
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
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

    async fn find_organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<Organization>, StoreError> {
        let row: Option<OrganizationRow> = with_connection!(self, |conn| {
            organizations::table
                .find(DbUuid(id.as_uuid()))
                .select(OrganizationRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(Organization::try_from).transpose()
    }

    async fn add_users(&self, users: &[User]) -> Result<(), StoreError> {
        let rows: Vec<UserRow> = users.iter().map(UserRow::from).collect();
        insert_all!(self, rows, |part| diesel::insert_into(users::table)
            .values(part))
    }

    async fn add_organizations(&self, organizations: &[Organization]) -> Result<(), StoreError> {
        let rows: Vec<OrganizationRow> = organizations.iter().map(OrganizationRow::from).collect();
        insert_all!(self, rows, |part| diesel::insert_into(organizations::table)
            .values(part))
    }

    async fn add_workspaces(&self, workspaces: &[Workspace]) -> Result<(), StoreError> {
        let rows: Vec<WorkspaceRow> = workspaces.iter().map(WorkspaceRow::from).collect();
        insert_all!(self, rows, |part| diesel::insert_into(workspaces::table)
            .values(part))
    }

    async fn set_memberships(&self, memberships: &[Membership]) -> Result<(), StoreError> {
        let rows: Vec<MembershipRow> = memberships.iter().map(MembershipRow::from).collect();
        // An existing membership takes the new role. SQLite's REPLACE is the multi-row form of
        // that upsert diesel can run there (nothing references a membership row).
        insert_all!(self, rows,
            postgres: |part| diesel::insert_into(memberships::table)
                .values(part)
                .on_conflict((memberships::user_id, memberships::organization_id))
                .do_update()
                .set(memberships::role.eq(excluded(memberships::role))),
            sqlite: |part| diesel::replace_into(memberships::table).values(part)
        )
    }
}

//! The platform directory port: keyset pages with their filters, in either order; totals;
//! single rows; and the commands' inserts.
//!
//! Every page is one keyset statement: `at >= t AND (at > t OR id > i) ORDER BY at, id LIMIT
//! n` (or the mirror for newest first), so an index on the listing's (creation time, id),
//! read forwards or backwards, bounds it: the last page costs what the first does. Equality
//! filters have indexes that lead with them (an organization's members and workspaces, the
//! deactivated users), or are unique (an email, a slug). A prefix is a range of an index
//! (emails and name keys compare byte by byte), and is read one of two ways (`narrowed`):
//! when it matches few rows, their ids first, then the page among them; when it matches many,
//! in keyset order with the prefix as a filter, which finds a page's rows quickly because they
//! are many. docs/performance.md measures both with `EXPLAIN ANALYZE`.

use admin_domain::{
    AuditEntry, Caseless, Member, Membership, Order, Organization, OrganizationFilter,
    OrganizationId, OrganizationMembership, OrganizationSummary, PlatformDirectory, Role,
    RoleFilter, Seek, StoreError, Timestamp, TokenFilter, TokenRecord, TokenState, Total, User,
    UserFilter, UserId, Workspace, WorkspaceFilter, WorkspaceId,
};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::backend::insert_all;
use super::errors;
use super::pools::{Database, with_connection};
use super::rows::{self, MembershipRow, OrganizationRow, TokenRow, UserRow, WorkspaceRow};
use super::schema::{listing_totals, memberships, organizations, tokens, users, workspaces};
use super::sql_types::{DbInstant, DbUuid};

/// The most rows a prefix may match and still be read through its index: their ids first,
/// then the page among them. Beyond, the page is read in keyset order, the prefix a filter.
pub const SELECTIVE: usize = 1_000;

/// How a prefix narrows a listing.
enum Narrowed {
    /// To these few rows.
    Ids(Vec<DbUuid>),
    /// To many rows: read them in keyset order, filtering.
    Broad,
}

/// Orders `$query` by `($at, $id)` in `$seek`'s order, from just after its position, and
/// keeps at most its rows.
macro_rules! keyset {
    ($query:expr, $at:expr, $id:expr, $seek:expr) => {{
        let seek: &Seek = $seek;
        let (at, id) = (DbInstant(seek.after.at), DbUuid(seek.after.id));
        let rows = i64::try_from(seek.rows).unwrap_or(i64::MAX);
        match seek.order {
            Order::Asc => $query
                .filter($at.ge(at).and($at.gt(at).or($id.gt(id))))
                .order(($at.asc(), $id.asc())),
            Order::Desc => $query
                .filter($at.le(at).and($at.lt(at).or($id.lt(id))))
                .order(($at.desc(), $id.desc())),
        }
        .limit(rows)
    }};
}

/// Keeps the rows of `$query` whose `$column` starts with `$prefix`, as `$narrowed` says:
/// among its ids, or by a filter that no index can serve (`|| ''`), so that the listing's
/// keyset index drives the scan.
macro_rules! prefixed {
    ($query:expr, $id:expr, $column:expr, $prefix:expr, $narrowed:expr) => {
        match ($prefix, $narrowed) {
            (Some(prefix), Some(Narrowed::Broad)) => {
                let prefix: &Caseless = prefix;
                let query = $query.filter($column.concat("").ge(prefix.as_str().to_owned()));
                match prefix.prefix_end() {
                    Some(end) => query.filter($column.concat("").lt(end)),
                    None => query,
                }
            }
            (_, Some(Narrowed::Ids(ids))) => $query.filter($id.eq_any(ids.clone())),
            _ => $query,
        }
    };
}

/// Keeps the rows of `$query` whose `$column` starts with `$prefix`, through `$column`'s
/// index (for counts).
macro_rules! in_range {
    ($query:expr, $column:expr, $prefix:expr) => {
        match $prefix {
            Some(prefix) => {
                let prefix: &Caseless = prefix;
                let query = $query.filter($column.ge(prefix.as_str().to_owned()));
                match prefix.prefix_end() {
                    Some(end) => query.filter($column.lt(end)),
                    None => query,
                }
            }
            None => $query,
        }
    };
}

/// The rows of `$table` whose every `$column` equals its value and every boolean `$flag` is
/// as `$set`, where they have one (`Some`), as a boxed query. A flag is written `flag` or `NOT
/// flag`, never `flag = $1`: with a bound value the planner cannot use a partial index whose
/// predicate is the flag (`users_inactive`), as every plan here is generic.
macro_rules! matching {
    ($table:ident $(, $column:expr => $value:expr)* $(; $flag:expr => $set:expr)*) => {{
        let mut query = $table::table.into_boxed();
        $(if let Some(value) = $value {
            query = query.filter($column.eq(value));
        })*
        $(query = match $set {
            Some(true) => query.filter($flag),
            Some(false) => query.filter(diesel::dsl::not($flag)),
            None => query,
        };)*
        query
    }};
}

/// The rows the equality filters of a [`UserFilter`] keep (its prefix is `prefixed!`'s and
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

/// A user's token records in the state `$filter` asks for, at its moment.
macro_rules! tokens_where {
    ($user:expr, $filter:expr) => {{
        let filter: &TokenFilter = $filter;
        let at = DbInstant(filter.at);
        let query = matching!(tokens, tokens::user_id => Some(DbUuid($user.as_uuid())));
        match filter.state {
            Some(TokenState::Active) => {
                query.filter(tokens::revoked_at.is_null().and(tokens::expires_at.gt(at)))
            }
            Some(TokenState::Expired) => {
                query.filter(tokens::revoked_at.is_null().and(tokens::expires_at.le(at)))
            }
            Some(TokenState::Revoked) => query.filter(tokens::revoked_at.is_not_null()),
            None => query,
        }
    }};
}

/// One page of `$table` as `$seek` says, of the rows `$query` keeps whose `$column` starts
/// with `$prefix` (read as `narrow!` decides), each selected as `$select`.
macro_rules! page {
    ($db:expr, $table:ident, $query:expr, $column:expr, $prefix:expr, $select:expr, $seek:expr) => {{
        let narrowed = narrow!($db, $table, $column, $prefix, $seek);
        with_connection!($db, |conn| {
            let query = prefixed!($query, $table::id, $column, $prefix, &narrowed);
            keyset!(query, $table::created_at, $table::id, $seek)
                .select($select)
                .load(conn)
                .await
                .map_err(errors::query)
        })?
    }};
}

/// How many rows `$query` keeps.
macro_rules! counted {
    ($db:expr, $query:expr) => {{
        let counted: i64 = with_connection!($db, |conn| {
            $query.count().get_result(conn).await.map_err(errors::query)
        })?;
        Ok(count(counted))
    }};
}

/// How `$prefix` narrows a page of `$table` as `$seek` says: when at most [`SELECTIVE`] rows
/// of `$table` have a `$column` starting with it, the ids of the page's rows among them, read
/// with their keyset positions from `$column`'s index alone; else [`Narrowed::Broad`].
macro_rules! narrow {
    ($db:expr, $table:ident, $column:expr, $prefix:expr, $seek:expr) => {{
        match $prefix {
            None => None,
            Some(prefix) => {
                let keys: Vec<(DbInstant, DbUuid)> = with_connection!($db, |conn| {
                    in_range!(
                        $table::table
                            .select(($table::created_at, $table::id))
                            .into_boxed(),
                        $column,
                        Some(prefix)
                    )
                    .limit(SELECTIVE as i64 + 1)
                    .load(conn)
                    .await
                    .map_err(errors::query)
                })?;
                Some(if keys.len() > SELECTIVE {
                    Narrowed::Broad
                } else {
                    Narrowed::Ids(page_of(keys, $seek))
                })
            }
        }
    }};
}

/// The ids of the rows at `keys` that the page `seek` asks for holds, in its order.
fn page_of(keys: Vec<(DbInstant, DbUuid)>, seek: &Seek) -> Vec<DbUuid> {
    let after = (seek.after.at, seek.after.id);
    let mut keys: Vec<(Timestamp, uuid::Uuid)> = keys
        .into_iter()
        .map(|(at, id)| (at.0, id.0))
        .filter(|key| match seek.order {
            Order::Asc => *key > after,
            Order::Desc => *key < after,
        })
        .collect();
    keys.sort_unstable();
    if seek.order == Order::Desc {
        keys.reverse();
    }
    keys.into_iter()
        .take(seek.rows)
        .map(|(_, id)| DbUuid(id))
        .collect()
}

/// Whether a text filter can match no row: one holding a NUL. PostgreSQL's text cannot hold
/// one (and refuses one as a parameter); no name or email the service stores holds a control
/// character either.
fn unmatchable(texts: &[&Option<Caseless>]) -> bool {
    texts
        .iter()
        .filter_map(|text| text.as_ref())
        .any(|text| text.as_str().contains('\0'))
}

fn count(n: i64) -> u64 {
    n.unsigned_abs()
}

impl Database {
    /// The kept total of an unfiltered listing: the sum of its shards.
    async fn kept_total(&self, listing: &'static str) -> Result<u64, StoreError> {
        let totals: Vec<i64> = with_connection!(self, |conn| {
            listing_totals::table
                .filter(listing_totals::listing.eq(listing))
                .select(listing_totals::total)
                .load(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(count(totals.iter().sum()))
    }

    /// The kept member and workspace counts of an organization (zero for an unknown one).
    async fn kept_counts(&self, organization: OrganizationId) -> Result<(u64, u64), StoreError> {
        let counts: Option<(i64, i64)> = with_connection!(self, |conn| {
            organizations::table
                .find(DbUuid(organization.as_uuid()))
                .select((organizations::member_count, organizations::workspace_count))
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        let (members, workspaces) = counts.unwrap_or((0, 0));
        Ok((count(members), count(workspaces)))
    }

    async fn count_users(&self, filter: &UserFilter) -> Result<u64, StoreError> {
        if unmatchable(&[&filter.email, &filter.email_prefix]) {
            return Ok(0);
        }
        counted!(
            self,
            in_range!(users_where!(filter), users::email, &filter.email_prefix)
        )
    }

    async fn count_organizations(&self, filter: &OrganizationFilter) -> Result<u64, StoreError> {
        if unmatchable(&[&filter.slug, &filter.name_prefix]) {
            return Ok(0);
        }
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
        if unmatchable(&[&filter.name_prefix]) {
            return Ok(0);
        }
        let prefix = &filter.name_prefix;
        counted!(
            self,
            in_range!(workspaces_where!(filter), workspaces::name_key, prefix)
        )
    }

    async fn count_memberships(
        &self,
        of: Result<OrganizationId, UserId>,
        role: Option<Role>,
    ) -> Result<u64, StoreError> {
        let (user, organization) = match of {
            Ok(organization) => (None, Some(DbUuid(organization.as_uuid()))),
            Err(user) => (Some(DbUuid(user.as_uuid())), None),
        };
        counted!(
            self,
            matching!(memberships,
            memberships::organization_id => organization,
            memberships::user_id => user,
            memberships::role => role.map(Role::as_str))
        )
    }
}

impl PlatformDirectory for Database {
    async fn users(&self, filter: &UserFilter, seek: &Seek) -> Result<Vec<User>, StoreError> {
        if unmatchable(&[&filter.email, &filter.email_prefix]) {
            return Ok(Vec::new());
        }
        let prefix = &filter.email_prefix;
        let rows: Vec<UserRow> = page!(
            self,
            users,
            users_where!(filter),
            users::email,
            prefix,
            UserRow::as_select(),
            seek
        );
        rows.into_iter().map(User::try_from).collect()
    }

    async fn organizations(
        &self,
        filter: &OrganizationFilter,
        seek: &Seek,
    ) -> Result<Vec<OrganizationSummary>, StoreError> {
        if unmatchable(&[&filter.slug, &filter.name_prefix]) {
            return Ok(Vec::new());
        }
        let prefix = &filter.name_prefix;
        let rows: Vec<(OrganizationRow, i64, i64)> = page!(
            self,
            organizations,
            organizations_where!(filter),
            organizations::name_key,
            prefix,
            (
                OrganizationRow::as_select(),
                organizations::member_count,
                organizations::workspace_count
            ),
            seek
        );
        rows.into_iter().map(rows::summary).collect()
    }

    async fn workspaces(
        &self,
        filter: &WorkspaceFilter,
        seek: &Seek,
    ) -> Result<Vec<Workspace>, StoreError> {
        if unmatchable(&[&filter.name_prefix]) {
            return Ok(Vec::new());
        }
        let prefix = &filter.name_prefix;
        let rows: Vec<WorkspaceRow> = page!(
            self,
            workspaces,
            workspaces_where!(filter),
            workspaces::name_key,
            prefix,
            WorkspaceRow::as_select(),
            seek
        );
        rows.into_iter().map(Workspace::try_from).collect()
    }

    async fn members(
        &self,
        organization: OrganizationId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Vec<Member>, StoreError> {
        let page: Vec<(UserRow, String, DbInstant)> = with_connection!(self, |conn| {
            let mut query = memberships::table
                .inner_join(users::table)
                .filter(memberships::organization_id.eq(DbUuid(organization.as_uuid())))
                .into_boxed();
            if let Some(role) = filter.role {
                query = query.filter(memberships::role.eq(role.as_str()));
            }
            keyset!(query, memberships::created_at, memberships::user_id, seek)
                .select((
                    UserRow::as_select(),
                    memberships::role,
                    memberships::created_at,
                ))
                .load(conn)
                .await
                .map_err(errors::query)
        })?;
        page.into_iter()
            .map(|(user, role, joined_at)| {
                Ok(Member {
                    user: User::try_from(user)?,
                    role: rows::role(&role)?,
                    joined_at: joined_at.0,
                })
            })
            .collect()
    }

    async fn tokens(
        &self,
        user: UserId,
        filter: &TokenFilter,
        seek: &Seek,
    ) -> Result<Vec<TokenRecord>, StoreError> {
        let rows: Vec<TokenRow> = with_connection!(self, |conn| {
            keyset!(
                tokens_where!(user, filter),
                tokens::issued_at,
                tokens::id,
                seek
            )
            .select(TokenRow::as_select())
            .load(conn)
            .await
            .map_err(errors::query)
        })?;
        rows.into_iter().map(TokenRecord::try_from).collect()
    }

    async fn memberships(
        &self,
        user: UserId,
        filter: &RoleFilter,
        seek: &Seek,
    ) -> Result<Vec<OrganizationMembership>, StoreError> {
        let page: Vec<(OrganizationRow, String, DbInstant)> = with_connection!(self, |conn| {
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
            .load(conn)
            .await
            .map_err(errors::query)
        })?;
        page.into_iter()
            .map(|(organization, role, joined_at)| {
                Ok(OrganizationMembership {
                    organization: Organization::try_from(organization)?,
                    role: rows::role(&role)?,
                    joined_at: joined_at.0,
                })
            })
            .collect()
    }

    async fn total(&self, of: &Total) -> Result<u64, StoreError> {
        let unfiltered_users = UserFilter::default();
        match of {
            Total::Users(filter) if *filter == unfiltered_users => self.kept_total("users").await,
            // Nearly every user is active: all of them, less the few that are not.
            Total::Users(filter)
                if *filter
                    == (UserFilter {
                        is_active: Some(true),
                        ..UserFilter::default()
                    }) =>
            {
                let inactive = UserFilter {
                    is_active: Some(false),
                    ..UserFilter::default()
                };
                let all = self.kept_total("users").await?;
                Ok(all.saturating_sub(self.count_users(&inactive).await?))
            }
            Total::Users(filter) => self.count_users(filter).await,
            Total::Organizations(filter) if *filter == OrganizationFilter::default() => {
                self.kept_total("organizations").await
            }
            Total::Organizations(filter) => self.count_organizations(filter).await,
            Total::Workspaces(filter) if *filter == WorkspaceFilter::default() => {
                self.kept_total("workspaces").await
            }
            Total::Workspaces(WorkspaceFilter {
                organization_id: Some(organization),
                name_prefix: None,
            }) => Ok(self.kept_counts(*organization).await?.1),
            Total::Workspaces(filter) => self.count_workspaces(filter).await,
            Total::Members(organization, RoleFilter { role: None }) => {
                Ok(self.kept_counts(*organization).await?.0)
            }
            Total::Members(organization, filter) => {
                self.count_memberships(Ok(*organization), filter.role).await
            }
            Total::Memberships(user, filter) => {
                self.count_memberships(Err(*user), filter.role).await
            }
            Total::Tokens(user, filter) => counted!(self, tokens_where!(user, filter)),
        }
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
    ) -> Result<Option<OrganizationSummary>, StoreError> {
        let row: Option<(OrganizationRow, i64, i64)> = with_connection!(self, |conn| {
            organizations::table
                .find(DbUuid(id.as_uuid()))
                .select((
                    OrganizationRow::as_select(),
                    organizations::member_count,
                    organizations::workspace_count,
                ))
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        row.map(rows::summary).transpose()
    }

    async fn find_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>, StoreError> {
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

#[cfg(feature = "testing")]
impl Database {
    /// Deletes these users (and, by cascade, their memberships and tokens): the service never
    /// deletes one, but an operator's SQL may, and the totals must follow.
    pub async fn remove_users(&self, ids: &[UserId]) -> Result<u64, StoreError> {
        let ids: Vec<DbUuid> = ids.iter().map(|id| DbUuid(id.as_uuid())).collect();
        let removed = with_connection!(self, |conn| {
            diesel::delete(users::table.filter(users::id.eq_any(ids)))
                .execute(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(removed as u64)
    }
}

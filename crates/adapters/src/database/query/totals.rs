//! Totals: the counters kept for them, and a page read with its total.
//!
//! Triggers keep the total of each unfiltered listing (in 16 shards, so that concurrent writers
//! do not queue on one row) and each organization's member and workspace counts. A page that
//! has such a total reads it in its own statement, as a scalar subquery beside every row: one
//! statement instead of two, which is most of what a kept total costs. Every other total is
//! counted through the index that serves its filters, beside the page (pipelined with it).

use std::future::Future;

use admin_domain::{OrganizationId, Seek, StoreError};
use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable};
use diesel_async::RunQueryDsl;
use futures_util::future::try_join;

use crate::database::connection::connections::with_connection;
use crate::database::errors;
use crate::database::query::sql_types::{DbUuid, Uuid};
use crate::database::store::Database;

/// A kept total, as an expression a page's statement selects (a scalar subquery): of an
/// unfiltered listing, `(SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM listing_totals
/// WHERE listing = '…')`, the name one of three constants written into the statement so that
/// it stays one prepared statement per listing; or an organization's member or workspace
/// count, `(SELECT member_count FROM organizations WHERE id = $n)`.
#[derive(Debug, Clone, Copy)]
pub(in crate::database) enum Kept {
    /// The users listing's.
    Users,
    /// The organizations listing's.
    Organizations,
    /// The workspaces listing's.
    Workspaces,
    /// An organization's members.
    MembersOf(DbUuid),
    /// An organization's workspaces.
    WorkspacesOf(DbUuid),
}

impl Kept {
    /// An organization's members.
    pub(in crate::database) fn members_of(organization: OrganizationId) -> Self {
        Self::MembersOf(DbUuid(organization.as_uuid()))
    }

    /// An organization's workspaces.
    pub(in crate::database) fn workspaces_of(organization: OrganizationId) -> Self {
        Self::WorkspacesOf(DbUuid(organization.as_uuid()))
    }
}

impl Expression for Kept {
    type SqlType = Nullable<BigInt>;
}

impl<QS> AppearsOnTable<QS> for Kept {}

impl<QS> SelectableExpression<QS> for Kept {}

impl<GB> ValidGrouping<GB> for Kept {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for Kept {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for Kept
where
    DB: Backend + HasSqlType<Uuid>,
    DbUuid: ToSql<Uuid, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let (column, organization) = match self {
            Kept::Users => return listing(out, "users"),
            Kept::Organizations => return listing(out, "organizations"),
            Kept::Workspaces => return listing(out, "workspaces"),
            Kept::MembersOf(organization) => ("member_count", organization),
            Kept::WorkspacesOf(organization) => ("workspace_count", organization),
        };
        out.push_sql("(SELECT ");
        out.push_sql(column);
        out.push_sql(" FROM organizations WHERE id = ");
        out.push_bind_param::<Uuid, DbUuid>(organization)?;
        out.push_sql(")");
        Ok(())
    }
}

/// The sum of an unfiltered listing's shards, its name a constant in the statement.
fn listing<DB: Backend>(mut out: AstPass<'_, '_, DB>, name: &'static str) -> QueryResult<()> {
    out.push_sql("(SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM listing_totals");
    out.push_sql(" WHERE listing = '");
    out.push_sql(name);
    out.push_sql("')");
    Ok(())
}

/// The rows a page read beside its kept total, and the total: from its first row, or, for an
/// empty page, as `alone` reads it.
pub(in crate::database) async fn with_kept<R>(
    rows: Vec<(R, Option<i64>)>,
    alone: impl Future<Output = Result<u64, StoreError>>,
) -> Result<(Vec<R>, Option<u64>), StoreError> {
    let total = match rows.as_slice().first() {
        Some((_, total)) => count(total.unwrap_or(0)),
        None => alone.await?,
    };
    Ok((rows.into_iter().map(|(row, _)| row).collect(), Some(total)))
}

/// The rows `page` reads, with the total `counted` reads beside it when `seek` asks for one.
pub(in crate::database) async fn with_counted<R>(
    seek: &Seek,
    page: impl Future<Output = Result<Vec<R>, StoreError>>,
    counted: impl Future<Output = Result<u64, StoreError>>,
) -> Result<(Vec<R>, Option<u64>), StoreError> {
    if seek.total {
        let (rows, total) = try_join(page, counted).await?;
        Ok((rows, Some(total)))
    } else {
        Ok((page.await?, None))
    }
}

/// A count as the domain keeps it.
pub(in crate::database) fn count(n: i64) -> u64 {
    n.unsigned_abs()
}

impl Database {
    /// A kept total read on its own, by the same expression a page selects (an unknown
    /// organization has no members and no workspaces).
    pub(in crate::database) async fn kept_total(&self, kept: Kept) -> Result<u64, StoreError> {
        let total: Option<i64> = with_connection!(self, |conn| {
            diesel::select(kept)
                .get_result(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(count(total.unwrap_or(0)))
    }
}

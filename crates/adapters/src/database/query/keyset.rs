//! Keyset paging, written once for every listing: a page is one statement, `at >= t AND (at
//! > t OR id > i) ORDER BY at, id LIMIT n` (or the mirror for newest first), so an index on the
//! listing's (creation time, id), read forwards or backwards, bounds it: the last page costs
//! what the first does. Equality filters (`matching!`) have indexes that lead with them, or
//! are unique; a prefix is read as `prefix` says; a total is kept or counted (`totals`).
//!
//! Macros, not functions: each builds a diesel statement that runs on either backend, whose
//! type differs per table and per backend. The caller has `diesel::prelude::*` in scope and its
//! tables' `schema` modules; everything else is named here in full.

/// Orders `$query` by `($at, $id)` in `$seek`'s order, from just after its position, and
/// keeps at most its rows.
macro_rules! keyset {
    ($query:expr, $at:expr, $id:expr, $seek:expr) => {{
        let seek: &admin_domain::Seek = $seek;
        let (at, id) = (
            $crate::database::query::sql_types::DbInstant(seek.after.at),
            $crate::database::query::sql_types::DbUuid(seek.after.id),
        );
        let rows = i64::try_from(seek.rows).unwrap_or(i64::MAX);
        match seek.order {
            admin_domain::Order::Asc => $query
                .filter($at.ge(at).and($at.gt(at).or($id.gt(id))))
                .order(($at.asc(), $id.asc())),
            admin_domain::Order::Desc => $query
                .filter($at.le(at).and($at.lt(at).or($id.lt(id))))
                .order(($at.desc(), $id.desc())),
        }
        .limit(rows)
    }};
}
pub(crate) use keyset;

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
pub(crate) use matching;

/// One page of `$table` as `$seek` says, of the rows `$query` keeps whose `$column` starts
/// with `$prefix` (read as `narrow!` decides), each selected as `$select`; `$others` says
/// whether `$query` keeps fewer rows than the prefix alone would.
macro_rules! page {
    (
        $db:expr, $table:ident, $query:expr, $column:ident, $prefix:expr, $others:expr,
        $select:expr, $seek:expr
    ) => {{
        let seek: &admin_domain::Seek = $seek;
        let narrowed = $crate::database::query::prefix::narrow!(
            $db, $table, $query, $column, $prefix, $others, seek
        );
        $crate::database::connection::connections::with_connection!($db, |conn| {
            let query = match &narrowed {
                Some($crate::database::query::prefix::Narrowed::Head(head)) => {
                    $crate::database::query::prefix::headed!($query, $table, $column, head)
                }
                Some($crate::database::query::prefix::Narrowed::Ids(ids)) => {
                    $query.filter($table::id.eq_any(ids.clone()))
                }
                Some($crate::database::query::prefix::Narrowed::Broad(prefix)) => {
                    let head = &$crate::database::query::prefix::Narrowed::head(prefix);
                    $crate::database::query::prefix::in_range!(
                        $crate::database::query::prefix::headed!($query, $table, $column, head),
                        $table::$column,
                        Some(prefix)
                    )
                }
                None => $query,
            };
            $crate::database::query::keyset::keyset!(query, $table::created_at, $table::id, seek)
                .select($select)
                .load(conn)
                .await
                .map_err($crate::database::errors::query)
        })?
    }};
}
pub(crate) use page;

/// How many rows `$query` keeps.
macro_rules! counted {
    ($db:expr, $query:expr) => {{
        let counted: i64 =
            $crate::database::connection::connections::with_connection!($db, |conn| {
                $query
                    .count()
                    .get_result(conn)
                    .await
                    .map_err($crate::database::errors::query)
            })?;
        Ok($crate::database::query::totals::count(counted))
    }};
}
pub(crate) use counted;

/// One page of `$query` (of `$table`) as `$seek` says, of the rows whose `$column` starts with
/// `$prefix` (`$others`: `$query` has filters besides), each selected as `$select`, with the
/// total `$seek` may ask for: a kept total
/// (`$kept`, when the listing has one) read in the page's own statement, beside every row
/// (see `totals`); else counted by `$counted` beside the page.
macro_rules! listed {
    (
        $db:expr, $table:ident, $query:expr, $column:ident, $prefix:expr, $others:expr,
        $select:expr, $kept:expr, $counted:expr, $seek:expr
    ) => {{
        let seek: &admin_domain::Seek = $seek;
        let kept: Option<$crate::database::query::totals::Kept> = $kept;
        match kept {
            Some(kept) if seek.total => {
                let rows =
                    $crate::database::connection::connections::with_connection!($db, |conn| {
                        $crate::database::query::keyset::keyset!(
                            $query,
                            $table::created_at,
                            $table::id,
                            seek
                        )
                        .select(($select, kept))
                        .load(conn)
                        .await
                        .map_err($crate::database::errors::query)
                    })?;
                $crate::database::query::totals::with_kept(rows, $db.kept_total(kept)).await?
            }
            _ => {
                let page = async {
                    Ok($crate::database::query::keyset::page!(
                        $db, $table, $query, $column, $prefix, $others, $select, seek
                    ))
                };
                $crate::database::query::totals::with_counted(seek, page, $counted).await?
            }
        }
    }};
}
pub(crate) use listed;

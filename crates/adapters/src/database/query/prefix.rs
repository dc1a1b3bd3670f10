//! How a prefix (`email_prefix`, `name_prefix`) narrows a listing, so that an index serves its
//! pages whether it matches one row or most of them.
//!
//! Emails and name keys compare byte by byte, so the texts starting with a prefix are one
//! range of the text's index; but that index does not give keyset order. So:
//!
//! - a prefix of one to three characters is an equality on the text's first characters, and
//!   indexes lead with those, then (creation time, id) (migration `prefix_heads`): its pages
//!   are read in keyset order like an unfiltered listing's, however many rows match;
//! - a longer prefix has the keyset positions of at most [`SELECTIVE`] + 1 of its matches read
//!   from the text's index alone, in one statement. When at most [`SELECTIVE`] match, the page
//!   is chosen among them in memory and read by id; when more match (the prefix is then
//!   remembered broad for a while: [`BroadPrefixes`]), the page is read in keyset order from
//!   the index of its first three characters, which holds the text as its last
//!   column (migration `broad_prefixes_in_their_head`): the whole prefix is a range of that
//!   column, checked on each entry of the head inside the index, so only the page's rows are
//!   read from the table; one statement that stops at the page's last row.
//!
//! The statements are the macros below (`narrow!` decides, `headed!` and `in_range!` filter);
//! docs/performance.md ("Filters") measures each with `EXPLAIN ANALYZE` on 1M users.

use std::time::{Duration, Instant};

use admin_domain::{Caseless, Order, Seek, Timestamp};
use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Text;
use quick_cache::sync::Cache;

use crate::database::query::sql_types::{DbInstant, DbUuid};

/// The most rows a prefix longer than the heads may match and still be read through the text's
/// index: their ids first, then the page among them. Beyond, the page's ids are found among the
/// rows of its head, in keyset order.
pub const SELECTIVE: usize = 1_000;

/// The longest prefix that indexes lead with, in characters.
const HEAD: usize = 3;

/// How a prefix narrows a listing.
#[derive(Debug)]
pub(in crate::database) enum Narrowed {
    /// To the rows whose text starts with these one to three characters: an equality on their
    /// head index, read in keyset order.
    Head(String),
    /// To these rows (at most a page of them, or every match of a selective prefix).
    Ids(Vec<DbUuid>),
    /// To the rows whose text starts with this prefix (longer than a head, matching more than
    /// [`SELECTIVE`]), read in keyset order through the index of its head
    /// ([`Narrowed::head`]).
    Broad(Caseless),
}

impl Narrowed {
    /// A prefix that needs no probe: one no longer than the indexes' heads.
    pub(in crate::database) fn at_once(prefix: &Caseless) -> Option<Self> {
        (prefix.as_str().chars().count() <= HEAD).then(|| Self::Head(prefix.as_str().to_owned()))
    }

    /// The ids of the page `seek` asks for among the keyset positions of the rows a selective
    /// prefix matches (at most [`SELECTIVE`]): that page's when the listing has no other
    /// filter, else every match after the cursor, for the page's statement to filter (the
    /// first `seek.rows` matches may all be filtered out).
    pub(in crate::database) fn among(
        keys: Vec<(DbInstant, DbUuid)>,
        seek: &Seek,
        others: bool,
    ) -> Vec<DbUuid> {
        let rows = if others { keys.len() } else { seek.rows };
        after(keys, seek, rows)
    }

    /// The head a longer prefix's rows share: its first characters, as many as the longest
    /// head index has.
    pub(in crate::database) fn head(prefix: &Caseless) -> String {
        prefix.as_str().chars().take(HEAD).collect()
    }
}

/// Keeps the rows of `$query` whose `$column` (of `$table`) starts with `$head` (one to three
/// characters), through its head index.
macro_rules! headed {
    ($query:expr, $table:ident, $column:ident, $head:expr) => {{
        let head: &String = $head;
        $query.filter(
            $crate::database::query::prefix::Head::of($table::$column, head).eq(head.clone()),
        )
    }};
}
pub(crate) use headed;

/// Keeps the rows of `$query` whose `$column` starts with `$prefix`: a range of `$column`'s
/// index (for counts and the probe), or of the head index's last column (a broad prefix).
macro_rules! in_range {
    ($query:expr, $column:expr, $prefix:expr) => {
        match $prefix {
            Some(prefix) => {
                let prefix: &admin_domain::Caseless = prefix;
                let query = $query.filter($column.ge(prefix.as_str().to_owned()));
                match $crate::database::query::prefix::end_of(prefix) {
                    Some(end) => query.filter($column.lt(end)),
                    None => query,
                }
            }
            None => $query,
        }
    };
}
pub(crate) use in_range;

/// The keyset positions of at most `$limit` rows of `$table` whose `$column` starts with
/// `$prefix`, read from the text's index alone.
macro_rules! keys_in_range {
    ($db:expr, $table:ident, $column:ident, $prefix:expr, $limit:expr) => {{
        let keys: Vec<(
            $crate::database::query::sql_types::DbInstant,
            $crate::database::query::sql_types::DbUuid,
        )> = $crate::database::connection::connections::with_connection!($db, |conn| {
            $crate::database::query::prefix::in_range!(
                $table::table
                    .select(($table::created_at, $table::id))
                    .into_boxed(),
                $table::$column,
                Some($prefix)
            )
            .limit($limit as i64)
            .load(conn)
            .await
            .map_err($crate::database::errors::query)
        })?;
        keys
    }};
}
pub(crate) use keys_in_range;

/// How `$prefix` narrows the page `$seek` asks for of the rows `$query` (of `$table`) keeps:
/// at once for a short prefix; else from the keyset positions of at most [`SELECTIVE`] + 1 rows
/// it matches, read from `$column`'s index: when at most [`SELECTIVE`] do, the ids of the
/// page's rows among them (`Narrowed::among`); else the prefix is broad, read among its head,
/// with no such read while the instance remembers it broad (`BroadPrefixes`).
macro_rules! narrow {
    (
        $db:expr, $table:ident, $query:expr, $column:ident, $prefix:expr, $others:expr,
        $seek:expr
    ) => {{
        match $prefix {
            None => None,
            Some(prefix) => match $crate::database::query::prefix::Narrowed::at_once(prefix) {
                Some(narrowed) => Some(narrowed),
                None => {
                    let listing = stringify!($table);
                    let broad = || $crate::database::query::prefix::Narrowed::Broad(prefix.clone());
                    if $db.broad_prefixes.knows(listing, prefix) {
                        Some(broad())
                    } else {
                        // One read of the index: the keys of every match of a selective
                        // prefix, or one more than SELECTIVE of a broad one, which is then
                        // remembered and not probed again for a while.
                        let keys = $crate::database::query::prefix::keys_in_range!(
                            $db,
                            $table,
                            $column,
                            prefix,
                            $crate::database::query::prefix::SELECTIVE + 1
                        );
                        if keys.len() <= $crate::database::query::prefix::SELECTIVE {
                            Some($crate::database::query::prefix::Narrowed::Ids(
                                $crate::database::query::prefix::Narrowed::among(
                                    keys, $seek, $others,
                                ),
                            ))
                        } else {
                            $db.broad_prefixes.remember(listing, prefix);
                            Some(broad())
                        }
                    }
                }
            },
        }
    }};
}
pub(crate) use narrow;

/// The prefixes an instance found broad lately, by listing, so that the pages after a broad
/// prefix's first (its "Load more", the same search typed again) skip the probe. Only the
/// broad verdict is kept: a broad prefix's statement is right however many rows match, and only
/// its cost depends on it (a prefix that became selective walks its head until it is forgotten),
/// while a selective prefix's is right only while at most [`SELECTIVE`] match.
#[derive(Debug)]
pub(crate) struct BroadPrefixes(Cache<(&'static str, String), Instant>);

/// How many broad prefixes an instance remembers.
const REMEMBERED: usize = 1_024;

/// How long a broad verdict is trusted before the prefix is probed again.
const TRUSTED: Duration = Duration::from_secs(60);

impl Default for BroadPrefixes {
    fn default() -> Self {
        Self(Cache::new(REMEMBERED))
    }
}

impl BroadPrefixes {
    /// Whether `prefix` was found broad in `listing` less than [`TRUSTED`] ago.
    pub(in crate::database) fn knows(&self, listing: &'static str, prefix: &Caseless) -> bool {
        self.0
            .get(&(listing, prefix.as_str().to_owned()))
            .is_some_and(|found| found.elapsed() < TRUSTED)
    }

    /// Remembers that `prefix` is broad in `listing`.
    pub(in crate::database) fn remember(&self, listing: &'static str, prefix: &Caseless) {
        self.0
            .insert((listing, prefix.as_str().to_owned()), Instant::now());
    }
}

/// `substr(column, 1, n)`, `n` the characters of a head (one to three, as the head indexes
/// are), written as a constant: a bound length would not match the
/// indexes. Not `diesel::dsl::sql`, which marks its statement unsafe to keep prepared, so that
/// every page was planned anew.
#[derive(Debug, Clone, Copy)]
pub(in crate::database) struct Head<C> {
    column: C,
    length: usize,
}

impl<C> Head<C> {
    /// The expression whose value is `head` for the rows starting with it.
    pub(in crate::database) fn of(column: C, head: &str) -> Self {
        Self {
            column,
            length: head.chars().count().max(1),
        }
    }
}

impl<C: Expression<SqlType = Text>> Expression for Head<C> {
    type SqlType = Text;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for Head<C> where Self: Expression {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for Head<C> where Self: Expression {}

impl<C: ValidGrouping<GB>, GB> ValidGrouping<GB> for Head<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C> QueryId for Head<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Head<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("substr(");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(", 1, ");
        out.push_sql(&self.length.to_string());
        out.push_sql(")");
        Ok(())
    }
}

/// The ids of the first `rows` rows at `keys` after `seek`'s position, in its order.
fn after(keys: Vec<(DbInstant, DbUuid)>, seek: &Seek, rows: usize) -> Vec<DbUuid> {
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
        .take(rows)
        .map(|(_, id)| DbUuid(id))
        .collect()
}

/// The least text greater than every text that starts with `prefix`, in the order of their
/// code points (which is the order of their UTF-8 bytes, as both backends compare emails and
/// name keys): so the texts starting with `p` are exactly those in `p ..< end_of(p)`. `None`
/// when there is no such text (a prefix made only of U+10FFFF): then every text from `p` on
/// starts with it.
pub(in crate::database) fn end_of(prefix: &Caseless) -> Option<String> {
    let mut chars: Vec<char> = prefix.as_str().chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Whether a text filter can match no row: one holding a NUL. PostgreSQL's text cannot hold
/// one (and refuses one as a parameter); no name or email the service stores holds a control
/// character either.
pub(in crate::database) fn unmatchable(texts: &[&Option<Caseless>]) -> bool {
    texts
        .iter()
        .filter_map(|text| text.as_ref())
        .any(|text| text.as_str().contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_up_to_three_characters_need_no_probe() {
        for prefix in ["a", "ab", "日本", "ü.x"] {
            assert!(
                matches!(Narrowed::at_once(&Caseless::new(prefix)), Some(Narrowed::Head(head)) if head == prefix),
                "{prefix}"
            );
        }
        for prefix in ["abcd", "日本語x"] {
            assert!(
                Narrowed::at_once(&Caseless::new(prefix)).is_none(),
                "{prefix}"
            );
        }
    }

    #[test]
    fn a_broad_prefix_is_read_among_its_first_three_characters() {
        assert_eq!(Narrowed::head(&Caseless::new("日本語xyz")), "日本語");
    }

    #[test]
    fn with_another_filter_every_match_after_the_cursor_is_a_candidate() {
        let keys: Vec<(DbInstant, DbUuid)> = (0..200)
            .map(|i| {
                (
                    DbInstant(Timestamp::from_unix_micros(i)),
                    DbUuid(uuid::Uuid::nil()),
                )
            })
            .collect();
        let seek = admin_domain::PageRequest::first(admin_domain::Listing::Users).seek();
        let count = |others| Narrowed::among(keys.clone(), &seek, others).len();
        assert_eq!(count(false), seek.rows);
        assert_eq!(count(true), 200);
    }

    #[test]
    fn the_head_expression_counts_characters_not_bytes() {
        use crate::database::query::schema::users;
        let sql = |head: &str| {
            let head = Head::of(users::email, head);
            diesel::debug_query::<diesel::pg::Pg, _>(&head).to_string()
        };
        assert_eq!(sql("a"), "substr(\"users\".\"email\", 1, 1) -- binds: []");
        assert_eq!(
            sql("日本"),
            "substr(\"users\".\"email\", 1, 2) -- binds: []"
        );
    }

    #[test]
    fn the_head_expression_keeps_its_statement_prepared() {
        use crate::database::query::schema::users;
        let head = Head::of(users::email, "a");
        assert!(
            QueryFragment::<diesel::pg::Pg>::is_safe_to_cache_prepared(&head, &diesel::pg::Pg)
                .unwrap_or(false)
        );
    }

    #[test]
    fn a_prefix_ends_just_after_every_text_it_starts() {
        let end = |p: &str| end_of(&Caseless::new(p));
        assert_eq!(end("ab").as_deref(), Some("ac"));
        assert_eq!(end("a%").as_deref(), Some("a&"));
        assert_eq!(end("a\\").as_deref(), Some("a]"));
        assert_eq!(
            end("z\u{D7FF}").as_deref(),
            Some("z\u{E000}"),
            "surrogates are skipped"
        );
        assert_eq!(end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(end("\u{10FFFF}"), None);
        for text in ["ab", "abz", "ab\u{10FFFF}x", "abé"] {
            let (start, end) = ("ab", end("ab").unwrap_or_default());
            assert!(start <= text && text < end.as_str(), "{text}");
        }
        assert!("ac" >= end("ab").unwrap_or_default().as_str());
    }
}

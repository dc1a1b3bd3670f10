//! The audit trail port: events appended (through `chain`, or the appender's batches), listed
//! and verified.

use admin_domain::{
    AuditEntry, AuditEvent, AuditFilter, AuditTrail, ChainBreak, ChainCheck, ChainHead, Order,
    Rows, Seek, StoreError,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::connection::connections::with_connection;
use super::connection::replica::on_replica;
use super::errors;
use super::query::schema::{audit_events, audit_head};
use super::query::sql_types::{DbInstant, DbUuid};
use super::query::totals::with_counted;
use super::store::Database;
use super::trail::chain::AuditRow;

/// Events `audit verify` reads a statement.
const VERIFY_BATCH: i64 = 1_000;

/// The chain broken at `row`.
fn broken(row: &AuditRow, problem: ChainBreak) -> ChainCheck {
    ChainCheck::Broken {
        seq: row.seq.unsigned_abs(),
        id: row.id.0.to_string(),
        problem,
    }
}

impl Database {
    /// Whether an event was appended after the `seq`th.
    async fn has_events_after(&self, seq: u64) -> Result<bool, StoreError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let next: Option<i64> = with_connection!(self, |conn| {
            audit_events::table
                .filter(audit_events::seq.gt(seq))
                .select(audit_events::seq)
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        Ok(next.is_some())
    }
}

/// The events `$filter` keeps, as a boxed query.
macro_rules! events_where {
    ($filter:expr) => {{
        let filter: &AuditFilter = $filter;
        let mut query = audit_events::table.into_boxed();
        if let Some(action) = &filter.action {
            query = query.filter(audit_events::action.eq(action.clone()));
        }
        if let Some(user) = filter.actor_user_id {
            query = query.filter(audit_events::actor_user_id.eq(DbUuid(user.as_uuid())));
        }
        if let Some(target) = filter.target_id {
            query = query.filter(audit_events::target_id.eq(DbUuid(target)));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_events::at.ge(DbInstant(since)));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_events::at.lt(DbInstant(until)));
        }
        query
    }};
}

impl Database {
    /// A page of the events `filter` keeps, with their total when `seek` asks, on whichever
    /// database `on_replica!` chose.
    async fn listed_events(
        &self,
        filter: &AuditFilter,
        seek: &Seek,
    ) -> Result<Rows<AuditEvent>, StoreError> {
        if filter.action.as_deref().is_some_and(|a| a.contains('\0')) {
            return Ok(Rows::new(seek, Vec::new(), || 0));
        }
        let (rows, total) = with_counted(
            seek,
            self.page_of_events(filter, seek),
            self.count_events(filter),
        )
        .await?;
        Ok(Rows { rows, total })
    }

    /// A page of the events `filter` keeps.
    async fn page_of_events(
        &self,
        filter: &AuditFilter,
        seek: &Seek,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let (at, id) = (DbInstant(seek.after.at), DbUuid(seek.after.id));
        let rows = i64::try_from(seek.rows).unwrap_or(i64::MAX);
        let rows: Vec<AuditRow> = with_connection!(self, |conn| {
            let query = events_where!(filter);
            match seek.order {
                Order::Asc => query
                    .filter(
                        audit_events::at
                            .ge(at)
                            .and(audit_events::at.gt(at).or(audit_events::id.gt(id))),
                    )
                    .order((audit_events::at.asc(), audit_events::id.asc())),
                Order::Desc => query
                    .filter(
                        audit_events::at
                            .le(at)
                            .and(audit_events::at.lt(at).or(audit_events::id.lt(id))),
                    )
                    .order((audit_events::at.desc(), audit_events::id.desc())),
            }
            .limit(rows)
            .select(AuditRow::as_select())
            .load(conn)
            .await
            .map_err(errors::query)
        })?;
        rows.into_iter().map(AuditEvent::try_from).collect()
    }

    /// How many events match `filter`: the head's count for all of them.
    async fn count_events(&self, filter: &AuditFilter) -> Result<u64, StoreError> {
        if *filter == AuditFilter::default() {
            return Ok(self.head().await?.events);
        }
        let counted: i64 = with_connection!(self, |conn| {
            events_where!(filter)
                .count()
                .get_result(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(counted.unsigned_abs())
    }
}

impl AuditTrail for Database {
    async fn append(&self, event: &AuditEntry) -> Result<(), StoreError> {
        let connect = |max_size| self.connections_of_their_own(max_size);
        self.appender.append(connect, event).await
    }

    async fn events(
        &self,
        filter: &AuditFilter,
        seek: &Seek,
    ) -> Result<Rows<AuditEvent>, StoreError> {
        on_replica!(self, |db| db.listed_events(filter, seek))
    }

    async fn verify(&self) -> Result<ChainCheck, StoreError> {
        // Walk every event in the order appended; then the head must end the chain there.
        // Appends committed meanwhile move the head on: walk on to it.
        let (mut expected, mut last, mut events) =
            (admin_domain::GENESIS.to_owned(), None::<AuditRow>, 0);
        loop {
            let after = last.as_ref().map_or(i64::MIN, |row| row.seq);
            let rows: Vec<AuditRow> = with_connection!(self, |conn| {
                audit_events::table
                    .filter(audit_events::seq.gt(after))
                    .order(audit_events::seq.asc())
                    .limit(VERIFY_BATCH)
                    .select(AuditRow::as_select())
                    .load(conn)
                    .await
                    .map_err(errors::query)
            })?;
            let walked = !rows.is_empty();
            for row in rows {
                let problem = if row.prev_hash != expected {
                    Some(ChainBreak::Link)
                } else if !row.holds_its_hash() {
                    Some(ChainBreak::Content)
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Ok(broken(&row, problem));
                }
                events += 1;
                expected.clone_from(&row.hash);
                last = Some(row);
            }
            if walked {
                continue;
            }
            let head = self.head().await?;
            let last_seq = last.as_ref().map_or(0, |row| row.seq.unsigned_abs());
            if head.events == last_seq && head.hash == expected {
                return Ok(ChainCheck::Intact {
                    events,
                    head: expected,
                });
            }
            if head.events <= last_seq || !self.has_events_after(last_seq).await? {
                return Ok(match &last {
                    Some(row) => broken(row, ChainBreak::Head),
                    None => ChainCheck::Broken {
                        seq: 0,
                        id: String::new(),
                        problem: ChainBreak::Head,
                    },
                });
            }
        }
    }

    async fn head(&self) -> Result<ChainHead, StoreError> {
        let (seq, hash): (i64, String) = with_connection!(self, |conn| {
            audit_head::table
                .select((audit_head::seq, audit_head::hash))
                .first(conn)
                .await
                .map_err(errors::query)
        })?;
        Ok(ChainHead {
            events: seq.unsigned_abs(),
            hash,
        })
    }
}

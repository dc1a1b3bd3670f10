//! The audit trail port, and the chain every append goes through.
//!
//! An append locks the one-row head (`UPDATE audit_head SET seq = seq + 1 RETURNING seq,
//! hash`: PostgreSQL's row lock, SQLite's write lock), inserts the event with the head's hash
//! as its `prev_hash`, and moves the head to the event's hash, in the caller's transaction:
//! appends from every instance queue on the head, so they form one chain, and the change, its
//! event and the head commit together or not at all. The head is the last thing a transaction
//! locks, so no holder of it ever waits for another lock. docs/audit.md specifies the canonical
//! form byte by byte.

use std::collections::BTreeMap;

use admin_domain::{
    Action, Actor, AuditEntry, AuditEvent, AuditEventId, AuditFilter, AuditTrail, ChainBreak,
    ChainCheck, ChainHead, Detail, Details, Order, Rows, Seek, StoreError, Target, TargetKind,
    TokenId, UserId, Via,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

use super::errors;
use super::pools::{Database, with_connection};
use super::replica::on_replica;
use super::schema::{audit_events, audit_head};
use super::sql_types::{DbInstant, DbUuid};
use super::totals::with_counted;

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Events `audit verify` reads a statement.
const VERIFY_BATCH: i64 = 1_000;

/// Appends `$entry` (an `&AuditEntry`) to the chain on `$conn`, inside the caller's
/// transaction, with the statements of `$run` (`diesel_async::RunQueryDsl` and `await`, or
/// `diesel::RunQueryDsl` on a blocking connection). Its errors are diesel's.
macro_rules! append {
    ($($run:ident)::+, $conn:expr, $entry:expr $(, $await:tt)?) => {{
        use diesel::prelude::*;
        use $crate::database::schema::{audit_events, audit_head};
        let (seq, prev): (i64, String) = $($run)::+::get_result(
            diesel::update(audit_head::table)
                .set(audit_head::seq.eq(audit_head::seq + 1))
                .returning((audit_head::seq, audit_head::hash)),
            $conn,
        )$(.$await)??;
        let row = $crate::database::audit::AuditRow::chained($entry, seq, prev);
        $($run)::+::execute(diesel::insert_into(audit_events::table).values(&row), $conn)$(.$await)??;
        $($run)::+::execute(
            diesel::update(audit_head::table).set(audit_head::hash.eq(&row.hash)),
            $conn,
        )$(.$await)??;
    }};
}
pub(crate) use append;

/// An event as stored: text and ids, exactly what its hash covers.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub seq: i64,
    pub id: DbUuid,
    pub at: DbInstant,
    pub action: String,
    pub via: String,
    pub actor_user_id: Option<DbUuid>,
    pub actor_token_id: Option<DbUuid>,
    pub target_type: Option<String>,
    pub target_id: Option<DbUuid>,
    pub details: String,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// `entry` as the `seq`th event, after the event whose hash is `prev_hash`.
    pub fn chained(entry: &AuditEntry, seq: i64, prev_hash: String) -> Self {
        let mut row = Self {
            seq,
            id: DbUuid(entry.id.as_uuid()),
            at: DbInstant(entry.at),
            action: entry.action.as_str().to_owned(),
            via: entry.via.as_str().to_owned(),
            actor_user_id: entry.actor.map(|actor| DbUuid(actor.user_id.as_uuid())),
            actor_token_id: entry.actor.map(|actor| DbUuid(actor.token_id.as_uuid())),
            target_type: entry.target.map(|target| target.kind.as_str().to_owned()),
            target_id: entry.target.map(|target| DbUuid(target.id)),
            details: details_json(&entry.details),
            request_id: entry.request_id.clone(),
            prev_hash,
            hash: String::new(),
        };
        row.hash = row.computed_hash();
        row
    }

    /// The SHA-256, hex, of `prev_hash` followed by the canonical form.
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }

    /// The canonical form (docs/audit.md): the event as the API shows it, without `prev_hash`
    /// and `hash`, as JSON with its keys sorted, no whitespace, UTF-8, only `"`, `\` and
    /// control characters escaped. `details` is stored in that form already.
    pub fn canonical(&self) -> String {
        let text = |value: &str| serde_json::Value::from(value).to_string();
        let optional = |value: Option<String>| value.as_deref().map_or("null".to_owned(), text);
        let id = |value: &Option<DbUuid>| value.map(|id| id.0.to_string());
        let actor = match (&self.actor_user_id, &self.actor_token_id) {
            (None, None) => "null".to_owned(),
            (user, token) => format!(
                "{{\"token_id\":{},\"user_id\":{}}}",
                optional(id(token)),
                optional(id(user))
            ),
        };
        let target = match (&self.target_type, &self.target_id) {
            (None, None) => "null".to_owned(),
            (kind, target) => format!(
                "{{\"id\":{},\"type\":{}}}",
                optional(id(target)),
                optional(kind.clone())
            ),
        };
        format!(
            "{{\"action\":{},\"actor\":{actor},\"at\":{},\"details\":{},\"id\":{},\
             \"request_id\":{},\"target\":{target},\"via\":{}}}",
            text(&self.action),
            text(&self.at.0.to_string()),
            self.details,
            text(&self.id.0.to_string()),
            optional(self.request_id.clone()),
            text(&self.via),
        )
    }
}

/// One detail's JSON value: as the trail stores it, hashes it, and the API shows it.
pub fn detail_json(value: &Detail) -> serde_json::Value {
    match value {
        Detail::Null => serde_json::Value::Null,
        Detail::Flag(flag) => serde_json::Value::Bool(*flag),
        Detail::Count(count) => serde_json::Value::from(*count),
        Detail::Text(text) => serde_json::Value::from(text.as_str()),
    }
}

/// Details as a JSON object, keys sorted, no whitespace.
fn details_json(details: &Details) -> String {
    let map: BTreeMap<&str, serde_json::Value> = details
        .iter()
        .map(|(name, value)| (name, detail_json(value)))
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Failed(format!("audit event: {what}").into());
        let details: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&row.details).map_err(|_| corrupt("details are not an object"))?;
        let mut parsed = Details::new();
        for (name, value) in details {
            let value = match value {
                serde_json::Value::Null => Detail::Null,
                serde_json::Value::Bool(flag) => Detail::Flag(flag),
                serde_json::Value::Number(n) => Detail::Count(
                    n.as_u64()
                        .ok_or_else(|| corrupt("a detail is not a count"))?,
                ),
                serde_json::Value::String(text) => Detail::Text(text),
                _ => return Err(corrupt("a detail is not a value")),
            };
            parsed = parsed.with(name, value);
        }
        let actor = match (row.actor_user_id, row.actor_token_id) {
            (Some(user), Some(token)) => Some(Actor {
                user_id: UserId::from_uuid(user.0),
                token_id: TokenId::from_uuid(token.0),
            }),
            (None, None) => None,
            _ => return Err(corrupt("half an actor")),
        };
        let target = match (row.target_type.as_deref(), row.target_id) {
            (Some(kind), Some(id)) => Some(Target {
                kind: TargetKind::parse(kind).ok_or_else(|| corrupt("unknown target type"))?,
                id: id.0,
            }),
            (None, None) => None,
            _ => return Err(corrupt("half a target")),
        };
        let entry = AuditEntry {
            id: AuditEventId::from_uuid(row.id.0),
            at: row.at.0,
            action: Action::parse(&row.action).ok_or_else(|| corrupt("unknown action"))?,
            via: Via::parse(&row.via).ok_or_else(|| corrupt("unknown way in"))?,
            actor,
            target,
            details: parsed,
            request_id: row.request_id,
            counts: None,
        };
        Ok(AuditEvent {
            entry,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

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
    async fn events_here(
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
        self.appender.append(self, event).await
    }

    async fn events(
        &self,
        filter: &AuditFilter,
        seek: &Seek,
    ) -> Result<Rows<AuditEvent>, StoreError> {
        on_replica!(self, |db| db.events_here(filter, seek))
    }

    async fn verify(&self) -> Result<ChainCheck, StoreError> {
        // Walk every event in the order appended; then the head must end the chain there.
        // Appends committed meanwhile move the head on: walk on to it.
        let (mut expected, mut last, mut events) = (GENESIS.to_owned(), None::<AuditRow>, 0);
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
                } else if row.computed_hash() != row.hash {
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

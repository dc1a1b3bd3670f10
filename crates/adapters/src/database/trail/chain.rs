//! The chain every append goes through: an event as stored (its hash by the domain's rules,
//! `AuditEntry::hash_after`), and the append itself.
//!
//! An append locks the one-row head (`UPDATE audit_head SET seq = seq + 1 RETURNING seq,
//! hash`: PostgreSQL's row lock, SQLite's write lock), inserts the event with the head's hash
//! as its `prev_hash`, and moves the head to the event's hash, in the caller's transaction:
//! appends from every instance queue on the head, so they form one chain, and the change, its
//! event and the head commit together or not at all. The head is the last thing a transaction
//! locks, so no holder of it ever waits for another lock.

use std::collections::BTreeMap;

use admin_domain::{
    Action, Actor, AuditEntry, AuditEvent, AuditEventId, Detail, Details, StoreError, Target,
    TargetKind, TokenId, UserId, Via,
};
use diesel::prelude::*;

use crate::database::query::schema::audit_events;
use crate::database::query::sql_types::{DbInstant, DbUuid};

/// Appends `$entry` (an `&AuditEntry`) to the chain on `$conn`, inside the caller's
/// transaction, with the statements of `$run` (`diesel_async::RunQueryDsl` and `await`, or
/// `diesel::RunQueryDsl` on a blocking connection). Its errors are diesel's.
macro_rules! append {
    ($($run:ident)::+, $conn:expr, $entry:expr $(, $await:tt)?) => {{
        use diesel::prelude::*;
        use $crate::database::query::schema::{audit_events, audit_head};
        let (seq, prev): (i64, String) = $($run)::+::get_result(
            diesel::update(audit_head::table)
                .set(audit_head::seq.eq(audit_head::seq + 1))
                .returning((audit_head::seq, audit_head::hash)),
            $conn,
        )$(.$await)??;
        let row = $crate::database::trail::chain::AuditRow::chained($entry, seq, prev);
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
        Self {
            seq,
            id: DbUuid(entry.id.as_uuid()),
            at: DbInstant(entry.at),
            action: entry.action.as_str().to_owned(),
            via: entry.via.as_str().to_owned(),
            actor_user_id: entry.actor.map(|actor| DbUuid(actor.user_id.as_uuid())),
            actor_token_id: entry.actor.map(|actor| DbUuid(actor.token_id.as_uuid())),
            target_type: entry.target.map(|target| target.kind.as_str().to_owned()),
            target_id: entry.target.map(|target| DbUuid(target.id)),
            details: entry.details.canonical(),
            request_id: entry.request_id.clone(),
            hash: entry.hash_after(&prev_hash),
            prev_hash,
        }
    }

    /// Whether the row is an event whose hash is the one it holds: its columns read as an
    /// event, its details stored in their canonical form, and its `hash` that of its
    /// `prev_hash` and its canonical form.
    pub fn holds_its_hash(&self) -> bool {
        AuditEvent::try_from(self.clone()).is_ok_and(|event| {
            event.entry.details.canonical() == self.details
                && event.entry.hash_after(&self.prev_hash) == self.hash
        })
    }
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

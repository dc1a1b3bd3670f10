//! The audit chain's rules: an event's canonical form and its hash (docs/audit.md, "Canonical
//! form, byte by byte"). What an auditor, `audit verify`, a storage adapter and a sibling
//! service implementing [`AuditTrail`](crate::AuditTrail) all compute, written once.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::audit::{AuditEntry, Detail, Details};

/// The `prev_hash` of the first event: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// The canonical form: the event as the API shows it, without `prev_hash` and `hash`, as
    /// JSON with its keys in byte order, no whitespace, UTF-8 as is, and only `"`, `\` and
    /// control characters escaped (what Python's `json.dumps(event, sort_keys=True,
    /// separators=(",", ":"), ensure_ascii=False)` writes).
    pub fn canonical(&self) -> String {
        let id = |id: uuid::Uuid| string(&id.to_string());
        let actor = match &self.actor {
            None => "null".to_owned(),
            Some(actor) => format!(
                "{{\"token_id\":{},\"user_id\":{}}}",
                id(actor.token_id.as_uuid()),
                id(actor.user_id.as_uuid())
            ),
        };
        let target = match &self.target {
            None => "null".to_owned(),
            Some(target) => format!(
                "{{\"id\":{},\"type\":{}}}",
                id(target.id),
                string(target.kind.as_str())
            ),
        };
        format!(
            "{{\"action\":{},\"actor\":{actor},\"at\":{},\"details\":{},\"id\":{},\
             \"request_id\":{},\"target\":{target},\"via\":{}}}",
            string(self.action.as_str()),
            string(&self.at.to_string()),
            self.details.canonical(),
            id(self.id.as_uuid()),
            self.request_id.as_deref().map_or("null".to_owned(), string),
            string(self.via.as_str()),
        )
    }

    /// The SHA-256, lowercase hex, of `prev_hash` followed by the canonical form: the event's
    /// `hash` when it follows the event whose hash is `prev_hash`.
    pub fn hash_after(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

impl Details {
    /// The details as a JSON object in canonical form: keys in byte order, no whitespace.
    pub fn canonical(&self) -> String {
        let mut out = String::from("{");
        for (n, (name, value)) in self.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(&string(name));
            out.push(':');
            out.push_str(&value.canonical());
        }
        out.push('}');
        out
    }
}

impl Detail {
    /// The value as JSON: `null`, `true`, `false`, a plain integer or a string.
    pub fn canonical(&self) -> String {
        match self {
            Detail::Null => "null".to_owned(),
            Detail::Flag(flag) => flag.to_string(),
            Detail::Count(count) => count.to_string(),
            Detail::Text(text) => string(text),
        }
    }
}

/// `text` as a JSON string: `"` and `\` escaped, the control characters below U+0020 as
/// `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`, everything else as it is.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            control if u32::from(control) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Action, Actor, Target, TargetKind, Via};
    use crate::ids::{AuditEventId, TokenId, UserId};
    use crate::timestamp::Timestamp;

    fn entry() -> AuditEntry {
        let uuid = |text: &str| uuid::Uuid::parse_str(text).expect("a UUID");
        AuditEntry {
            id: AuditEventId::from_uuid(uuid("0193a7f0-1111-7000-8000-000000000001")),
            at: Timestamp::from_unix_micros(1_764_772_699_489_685),
            action: Action::parse("token.revoke").expect("an action"),
            via: Via::Api,
            actor: Some(Actor {
                user_id: UserId::from_uuid(uuid("0193a7f0-2222-7000-8000-000000000002")),
                token_id: TokenId::from_uuid(uuid("0193a7f0-3333-7000-8000-000000000003")),
            }),
            target: Some(Target {
                kind: TargetKind::parse("token").expect("a kind"),
                id: uuid("0193a7f0-4444-7000-8000-000000000004"),
            }),
            details: Details::new()
                .with("reason", "left \"the\" company\n".to_owned())
                .with("count", 3u64)
                .with("dry_run", false)
                .with("cutoff", None::<String>),
            request_id: Some("req-1".to_owned()),
            counts: None,
        }
    }

    #[test]
    fn the_canonical_form_is_sorted_compact_json() {
        assert_eq!(
            entry().canonical(),
            "{\"action\":\"token.revoke\",\
             \"actor\":{\"token_id\":\"0193a7f0-3333-7000-8000-000000000003\",\
             \"user_id\":\"0193a7f0-2222-7000-8000-000000000002\"},\
             \"at\":\"2025-12-03T14:38:19.489685\",\
             \"details\":{\"count\":3,\"cutoff\":null,\"dry_run\":false,\
             \"reason\":\"left \\\"the\\\" company\\n\"},\
             \"id\":\"0193a7f0-1111-7000-8000-000000000001\",\"request_id\":\"req-1\",\
             \"target\":{\"id\":\"0193a7f0-4444-7000-8000-000000000004\",\"type\":\"token\"},\
             \"via\":\"api\"}"
        );
    }

    #[test]
    fn an_event_without_actor_target_or_request_has_nulls() {
        let bare = AuditEntry {
            actor: None,
            target: None,
            request_id: None,
            details: Details::new(),
            via: Via::Cli,
            ..entry()
        };
        assert_eq!(
            bare.canonical(),
            "{\"action\":\"token.revoke\",\"actor\":null,\"at\":\"2025-12-03T14:38:19.489685\",\
             \"details\":{},\"id\":\"0193a7f0-1111-7000-8000-000000000001\",\
             \"request_id\":null,\"target\":null,\"via\":\"cli\"}"
        );
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_control_characters_only() {
        assert_eq!(string("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
        assert_eq!(
            string("\u{08}\t\n\u{0C}\r\u{01}\u{1F}"),
            "\"\\b\\t\\n\\f\\r\\u0001\\u001f\""
        );
        assert_eq!(string("über 日本 \u{7F}"), "\"über 日本 \u{7F}\"");
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_previous_hash_and_the_canonical_form() {
        let entry = entry();
        let mut hasher = Sha256::new();
        hasher.update(GENESIS.as_bytes());
        hasher.update(entry.canonical().as_bytes());
        assert_eq!(entry.hash_after(GENESIS), hex::encode(hasher.finalize()));
        assert_eq!(entry.hash_after(GENESIS).len(), 64);
        assert_ne!(entry.hash_after(GENESIS), entry.hash_after(&"1".repeat(64)));
    }
}

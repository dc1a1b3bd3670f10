//! The audit trail's events: who did what, through which way in, to what. The use cases make
//! an [`AuditEntry`] for each action they record and hand it to the port that makes the
//! change, which writes it in the change's own transaction and chains it (docs/audit.md).

use std::collections::BTreeMap;
use std::fmt;

use uuid::Uuid;

use crate::ids::{AuditEventId, OrganizationId, TokenId, UserId, WorkspaceId};
use crate::timestamp::Timestamp;

macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its name in the trail.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value with this name.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named!(
    /// What was done.
    Action {
        /// An organization was created.
        OrganizationCreate => "organization.create",
        /// A user was created.
        UserCreate => "user.create",
        /// A membership was made or its role changed.
        MembershipSet => "membership.set",
        /// A workspace was created.
        WorkspaceCreate => "workspace.create",
        /// A token was issued.
        TokenIssue => "token.issue",
        /// A token was revoked.
        TokenRevoke => "token.revoke",
        /// Every token of a user that could still authenticate was revoked.
        UserRevokeTokens => "user.revoke_tokens",
        /// Synthetic data was written.
        Seed => "seed",
        /// A batch of stale token records was deleted, or counted by a dry run.
        TokensCleanup => "tokens.cleanup",
        /// The users listing was read.
        UsersList => "users.list",
        /// The organizations listing was read.
        OrganizationsList => "organizations.list",
        /// The workspaces listing was read.
        WorkspacesList => "workspaces.list",
        /// One user was read.
        UserRead => "user.read",
        /// One organization was read.
        OrganizationRead => "organization.read",
        /// One workspace was read.
        WorkspaceRead => "workspace.read",
        /// An organization's members were listed.
        MembersList => "members.list",
        /// A user's memberships were listed.
        MembershipsList => "memberships.list",
        /// A user's tokens were listed.
        TokensList => "tokens.list",
        /// The audit events were listed.
        AuditEventsList => "audit_events.list",
    }
);

impl Action {
    /// Whether it only read (recorded with `Settings::audit_reads`), changing nothing.
    pub const fn is_read(self) -> bool {
        matches!(
            self,
            Action::UsersList
                | Action::OrganizationsList
                | Action::WorkspacesList
                | Action::UserRead
                | Action::OrganizationRead
                | Action::WorkspaceRead
                | Action::MembersList
                | Action::MembershipsList
                | Action::TokensList
                | Action::AuditEventsList
        )
    }
}

named!(
    /// The way in an action came through.
    Via {
        /// The HTTP API, by an authenticated caller.
        Api => "api",
        /// The `admin-api` command, with the operator's own database access.
        Cli => "cli",
        /// An instance's cleanup schedule.
        Scheduler => "scheduler",
    }
);

named!(
    /// The kind of thing an action is about.
    TargetKind {
        /// An organization.
        Organization => "organization",
        /// A user.
        User => "user",
        /// A workspace.
        Workspace => "workspace",
        /// A token.
        Token => "token",
    }
);

/// Who called the API: the caller's user and the token it presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The caller's user.
    pub user_id: UserId,
    /// The record of the token it presented.
    pub token_id: TokenId,
}

/// What an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Its kind.
    pub kind: TargetKind,
    /// Its id.
    pub id: Uuid,
}

impl Target {
    /// A user.
    pub fn user(id: UserId) -> Self {
        Self {
            kind: TargetKind::User,
            id: id.as_uuid(),
        }
    }

    /// An organization.
    pub fn organization(id: OrganizationId) -> Self {
        Self {
            kind: TargetKind::Organization,
            id: id.as_uuid(),
        }
    }

    /// A workspace.
    pub fn workspace(id: WorkspaceId) -> Self {
        Self {
            kind: TargetKind::Workspace,
            id: id.as_uuid(),
        }
    }

    /// A token.
    pub fn token(id: TokenId) -> Self {
        Self {
            kind: TargetKind::Token,
            id: id.as_uuid(),
        }
    }
}

/// One value of an event's details: ids and instants as text, counts, flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// No value (an optional id that is absent).
    Null,
    /// A flag.
    Flag(bool),
    /// A count.
    Count(u64),
    /// Text: an id, an instant, a filter as given.
    Text(String),
}

impl From<bool> for Detail {
    fn from(flag: bool) -> Self {
        Self::Flag(flag)
    }
}

impl From<u64> for Detail {
    fn from(count: u64) -> Self {
        Self::Count(count)
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl<T: fmt::Display> From<Option<T>> for Detail {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, |value| Self::Text(value.to_string()))
    }
}

/// An event's details, by name: ids, counts and filters, never a token, key or signature.
/// A name given twice keeps its last value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details(BTreeMap<String, Detail>);

impl Details {
    /// The most characters a text detail keeps: more than any id, instant or filter the
    /// service accepts (an email is at most 254).
    pub const MAX_TEXT: usize = 256;

    /// No details.
    pub fn new() -> Self {
        Self::default()
    }

    /// These details with `name` set to `value`, text cut to [`Details::MAX_TEXT`] characters
    /// (the last one then `…`), so that no event grows with what a caller sends.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Detail>) -> Self {
        let value = match value.into() {
            Detail::Text(text) if text.chars().count() > Self::MAX_TEXT => {
                let mut cut: String = text.chars().take(Self::MAX_TEXT - 1).collect();
                cut.push('…');
                Detail::Text(cut)
            }
            value => value,
        };
        self.0.insert(name.into(), value);
        self
    }

    /// The details, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Detail)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Detail> {
        self.0.get(name)
    }
}

/// Where an action came from: the way in, and what that way knows of who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The HTTP API: the caller, and the request's `X-Request-Id`.
    Api {
        /// Who called.
        actor: Actor,
        /// The request's id.
        request_id: String,
    },
    /// The `admin-api` command.
    Cli,
    /// The cleanup schedule of the instance with this id.
    Scheduler {
        /// The instance's id, as its first log line gives it.
        instance: String,
    },
}

/// An event a use case records: everything but its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id.
    pub id: AuditEventId,
    /// When it was done.
    pub at: Timestamp,
    /// What was done.
    pub action: Action,
    /// The way in.
    pub via: Via,
    /// Who called the API (for `via: api` only).
    pub actor: Option<Actor>,
    /// What it is about.
    pub target: Option<Target>,
    /// Ids, counts and filters.
    pub details: Details,
    /// The request's `X-Request-Id` (for `via: api` only).
    pub request_id: Option<String>,
    /// For a change that counts rows, the detail its port sets to the count
    /// ([`AuditEntry::counted`]).
    pub counts: Option<&'static str>,
}

impl AuditEntry {
    /// An event of `action` from `origin`, now; a scheduler's carries its instance as
    /// `details.instance`.
    pub fn new(origin: &Origin, action: Action, target: Option<Target>, details: Details) -> Self {
        let (via, actor, request_id, details) = match origin {
            Origin::Api { actor, request_id } => {
                (Via::Api, Some(*actor), Some(request_id.clone()), details)
            }
            Origin::Cli => (Via::Cli, None, None, details),
            Origin::Scheduler { instance } => (
                Via::Scheduler,
                None,
                None,
                details.with("instance", instance.clone()),
            ),
        };
        Self {
            id: AuditEventId::generate(),
            at: Timestamp::now(),
            action,
            via,
            actor,
            target,
            details,
            request_id,
            counts: None,
        }
    }

    /// The same event made anew: another id, now (each batch of a cleanup is one).
    pub fn again(&self) -> Self {
        Self {
            id: AuditEventId::generate(),
            at: Timestamp::now(),
            ..self.clone()
        }
    }

    /// This entry, for a port whose change counts rows: it records [`AuditEntry::counted`]
    /// with the count it made, as detail `name`.
    pub fn counting(mut self, name: &'static str) -> Self {
        self.counts = Some(name);
        self
    }

    /// The event a counting port records for a change of `count` rows: this entry with the
    /// count in its details (unchanged for an entry that does not count).
    pub fn counted(&self, count: u64) -> Self {
        let mut entry = self.clone();
        if let Some(name) = self.counts {
            entry.details = entry.details.with(name, count);
        }
        entry
    }
}

/// An event as the trail holds it: the entry, and its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What was recorded.
    pub entry: AuditEntry,
    /// The hash of the event before it (64 zeros for the first).
    pub prev_hash: String,
    /// The SHA-256 of `prev_hash` and the event's canonical form, hex.
    pub hash: String,
}

/// The filters of the audit-events listing, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The action's name, exactly.
    pub action: Option<String>,
    /// The calling user (`via: api`).
    pub actor_user_id: Option<UserId>,
    /// The target's id.
    pub target_id: Option<Uuid>,
    /// At or after this instant.
    pub since: Option<Timestamp>,
    /// Before this instant.
    pub until: Option<Timestamp>,
}

/// What walking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every event's hash covers its content and the hash before it.
    Intact {
        /// How many events there are.
        events: u64,
        /// The newest event's hash (64 zeros when there is none).
        head: String,
    },
    /// The first event that does not hold.
    Broken {
        /// Its position in the chain, from 1 (0: the chain's head names events none holds).
        seq: u64,
        /// Its id (empty for position 0).
        id: String,
        /// What is wrong with it.
        problem: ChainBreak,
    },
}

/// How an event breaks the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainBreak {
    /// Its hash is not the hash of its `prev_hash` and content: it was edited.
    Content,
    /// Its `prev_hash` is not the hash of the event before it: one was inserted or deleted
    /// before it, or it was moved.
    Link,
    /// The chain's head does not end at it, the newest event: events were deleted after it,
    /// or it was added after the head.
    Head,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChainBreak::Content => "its hash does not match its content",
            ChainBreak::Link => "its prev_hash is not the hash of the event before it",
            ChainBreak::Head => {
                "the chain's head does not end at it: events were deleted after it or added past the head"
            }
        })
    }
}

/// The chain's head: how many events, and the newest one's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// How many events were appended.
    pub events: u64,
    /// The newest event's hash (64 zeros when there is none).
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_detail_is_cut_to_its_bound() {
        let long = "é".repeat(Details::MAX_TEXT + 1);
        let details = Details::new()
            .with("long", long)
            .with("fits", "a".repeat(Details::MAX_TEXT));
        let Some(Detail::Text(cut)) = details.get("long") else {
            panic!("text");
        };
        assert_eq!(cut.chars().count(), Details::MAX_TEXT);
        assert!(cut.ends_with("é…"), "{cut}");
        assert_eq!(
            details.get("fits"),
            Some(&Detail::Text("a".repeat(Details::MAX_TEXT)))
        );
    }

    #[test]
    fn names_parse_back() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
        }
        assert_eq!(Action::parse("user.delete"), None);
    }

    #[test]
    fn a_scheduler_entry_carries_its_instance_and_a_counting_one_its_count() {
        let origin = Origin::Scheduler {
            instance: "i-1".to_owned(),
        };
        let entry = AuditEntry::new(&origin, Action::TokensCleanup, None, Details::new())
            .counting("deleted_count");
        assert_eq!(entry.via, Via::Scheduler);
        assert_eq!(
            entry.details.get("instance"),
            Some(&Detail::Text("i-1".into()))
        );
        assert_eq!(entry.details.get("deleted_count"), None);
        let counted = entry.counted(7);
        assert_eq!(
            counted.details.get("deleted_count"),
            Some(&Detail::Count(7))
        );
        assert_eq!(counted.id, entry.id);
    }
}

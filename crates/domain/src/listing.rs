//! Keyset pagination for every listing: an order, bounded page sizes, opaque cursors that
//! continue only the listing and the order they came from, and totals.

use uuid::Uuid;

use crate::entities::{
    Member, OrganizationMembership, OrganizationSummary, TokenRecord, User, Workspace,
};
use crate::ids::{OrganizationId, UserId};
use crate::timestamp::Timestamp;

/// A listing, and for a sub-listing the user or organization it is of. A cursor only
/// continues the listing it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every user of the platform.
    Users,
    /// Every organization of the platform.
    Organizations,
    /// Every workspace of the platform.
    Workspaces,
    /// The members of an organization.
    Members(OrganizationId),
    /// The organizations a user belongs to.
    Memberships(UserId),
    /// The tokens of a user.
    Tokens(UserId),
    /// The audit trail.
    AuditEvents,
}

/// Which way a listing runs, by (creation time, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

impl Order {
    /// Both orders.
    pub const ALL: [Order; 2] = [Order::Asc, Order::Desc];
}

/// What a listing lists, without the user or organization a sub-listing is of: what a
/// cursor says before its parent's id, and what its pattern depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    /// [`Listing::Users`].
    Users,
    /// [`Listing::Organizations`].
    Organizations,
    /// [`Listing::Workspaces`].
    Workspaces,
    /// [`Listing::Members`], of any organization.
    Members,
    /// [`Listing::Memberships`], of any user.
    Memberships,
    /// [`Listing::Tokens`], of any user.
    Tokens,
    /// [`Listing::AuditEvents`].
    AuditEvents,
}

impl ListingKind {
    /// The first byte of its cursors in ascending order; descending ones use its upper case.
    const fn tag(self) -> u8 {
        match self {
            ListingKind::Users => b'u',
            ListingKind::Organizations => b'o',
            ListingKind::Workspaces => b'w',
            ListingKind::Members => b'm',
            ListingKind::Memberships => b'p',
            ListingKind::Tokens => b't',
            ListingKind::AuditEvents => b'e',
        }
    }

    /// Whether its listings are each of a user or an organization.
    const fn has_parent(self) -> bool {
        matches!(
            self,
            ListingKind::Members | ListingKind::Memberships | ListingKind::Tokens
        )
    }

    /// Its listing of `parent` (none for a kind without one).
    fn of(self, parent: Option<Uuid>) -> Option<Listing> {
        match (self, parent) {
            (ListingKind::Users, None) => Some(Listing::Users),
            (ListingKind::Organizations, None) => Some(Listing::Organizations),
            (ListingKind::Workspaces, None) => Some(Listing::Workspaces),
            (ListingKind::AuditEvents, None) => Some(Listing::AuditEvents),
            (ListingKind::Members, Some(id)) => {
                Some(Listing::Members(OrganizationId::from_uuid(id)))
            }
            (ListingKind::Memberships, Some(id)) => {
                Some(Listing::Memberships(UserId::from_uuid(id)))
            }
            (ListingKind::Tokens, Some(id)) => Some(Listing::Tokens(UserId::from_uuid(id))),
            _ => None,
        }
    }

    /// The pattern every cursor of this kind matches, in either order, and every string
    /// matching it is a cursor of this kind: the tag byte, then the parent's id for a
    /// sub-listing, then the position, all as lowercase hex.
    pub const fn cursor_pattern(self) -> &'static str {
        match self {
            ListingKind::Users => "^(75|55)[0-9a-f]{48}$",
            ListingKind::Organizations => "^(6f|4f)[0-9a-f]{48}$",
            ListingKind::Workspaces => "^(77|57)[0-9a-f]{48}$",
            ListingKind::Members => "^(6d|4d)[0-9a-f]{80}$",
            ListingKind::Memberships => "^(70|50)[0-9a-f]{80}$",
            ListingKind::Tokens => "^(74|54)[0-9a-f]{80}$",
            ListingKind::AuditEvents => "^(65|45)[0-9a-f]{48}$",
        }
    }
}

impl From<Listing> for ListingKind {
    fn from(listing: Listing) -> Self {
        listing.kind()
    }
}

impl Listing {
    /// What it lists.
    pub const fn kind(self) -> ListingKind {
        match self {
            Listing::Users => ListingKind::Users,
            Listing::Organizations => ListingKind::Organizations,
            Listing::Workspaces => ListingKind::Workspaces,
            Listing::Members(_) => ListingKind::Members,
            Listing::Memberships(_) => ListingKind::Memberships,
            Listing::Tokens(_) => ListingKind::Tokens,
            Listing::AuditEvents => ListingKind::AuditEvents,
        }
    }

    /// The user or organization a sub-listing is of.
    fn parent(self) -> Option<Uuid> {
        match self {
            Listing::Members(organization) => Some(organization.as_uuid()),
            Listing::Memberships(user) | Listing::Tokens(user) => Some(user.as_uuid()),
            Listing::Users
            | Listing::Organizations
            | Listing::Workspaces
            | Listing::AuditEvents => None,
        }
    }

    /// The pattern of its kind's cursors ([`ListingKind::cursor_pattern`]).
    pub const fn cursor_pattern(self) -> &'static str {
        self.kind().cursor_pattern()
    }
}

/// A place in a listing's (creation time, id) order: the last row a page held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The row's creation time (for a membership, when the user joined; for a token, when
    /// it was issued).
    pub at: Timestamp,
    /// The row's id (for a membership, the member's or the organization's).
    pub id: Uuid,
}

impl Position {
    /// Before every row in ascending order.
    pub const FIRST: Position = Position {
        at: Timestamp::MIN,
        id: Uuid::nil(),
    };
    /// Before every row in descending order.
    pub const LAST: Position = Position {
        at: Timestamp::MAX,
        id: Uuid::max(),
    };

    /// Where a listing in `order` starts.
    pub const fn start(order: Order) -> Self {
        match order {
            Order::Asc => Self::FIRST,
            Order::Desc => Self::LAST,
        }
    }
}

/// Where a page of a listing, in one order, ended. Its text form is opaque to clients:
/// lowercase hex encoding the listing (its parent's id included), the order and the
/// position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The listing it continues.
    pub listing: Listing,
    /// The order it continues.
    pub order: Order,
    /// The last row seen.
    pub after: Position,
}

impl Cursor {
    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(41);
        bytes.push(match self.order {
            Order::Asc => self.listing.kind().tag(),
            Order::Desc => self.listing.kind().tag().to_ascii_uppercase(),
        });
        if let Some(parent) = self.listing.parent() {
            bytes.extend_from_slice(parent.as_bytes());
        }
        bytes.extend_from_slice(&self.after.at.unix_micros().to_be_bytes());
        bytes.extend_from_slice(self.after.id.as_bytes());
        hex::encode(bytes)
    }

    /// Reads a cursor this API issued for a listing of `kind` (a listing of it will do; its
    /// parent, if it has one, is read from the cursor); anything else is `None`. Times beyond
    /// what storage holds are brought within it (the page is then simply empty or complete).
    pub fn decode(kind: impl Into<ListingKind>, text: &str) -> Option<Self> {
        let kind = kind.into();
        let lowercase = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let parent_len = if kind.has_parent() { 16 } else { 0 };
        if text.len() != 2 * (1 + parent_len + 24) || !lowercase {
            return None;
        }
        let bytes = hex::decode(text).ok()?;
        let (tag, rest) = bytes.split_first()?;
        let order = match *tag {
            tag if tag == kind.tag() => Order::Asc,
            tag if tag == kind.tag().to_ascii_uppercase() => Order::Desc,
            _ => return None,
        };
        let (parent, rest) = rest.split_at_checked(parent_len)?;
        let parent = (parent_len > 0)
            .then(|| Uuid::from_slice(parent).ok())
            .flatten();
        let (micros, id) = rest.split_at_checked(8)?;
        let micros = i64::from_be_bytes(micros.try_into().ok()?);
        Some(Self {
            listing: kind.of(parent)?,
            order,
            after: Position {
                at: Timestamp::from_unix_micros(
                    micros.clamp(Timestamp::MIN.unix_micros(), Timestamp::MAX.unix_micros()),
                ),
                id: Uuid::from_slice(id).ok()?,
            },
        })
    }
}

/// How many rows a page holds: 1 to 200, 50 when not asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    value: i64,
}

/// A page size outside [`Limit::MIN`]..=[`Limit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    /// Below [`Limit::MIN`].
    TooSmall,
    /// Above [`Limit::MAX`].
    TooLarge,
}

impl Limit {
    /// The smallest page.
    pub const MIN: i64 = 1;
    /// The largest page.
    pub const MAX: i64 = 200;
    /// The page size when none is asked for.
    pub const DEFAULT: Limit = Limit { value: 50 };

    /// A page of `value` rows, if that is within bounds.
    pub fn new(value: i64) -> Result<Self, LimitError> {
        if value < Self::MIN {
            Err(LimitError::TooSmall)
        } else if value > Self::MAX {
            Err(LimitError::TooLarge)
        } else {
            Ok(Limit { value })
        }
    }

    /// The page size.
    pub fn get(self) -> usize {
        usize::try_from(self.value).unwrap_or(1)
    }
}

/// Which rows a listing query reads: in `order`, strictly after `after`, at most `rows`; and
/// whether it counts every row matching its filters too (`total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seek {
    /// The order.
    pub order: Order,
    /// Where to start: [`Position::start`] of the order when no cursor was given.
    pub after: Position,
    /// How many rows at most.
    pub rows: usize,
    /// Whether to count every row matching the filters, on every page.
    pub total: bool,
}

/// What a listing query read: the rows a [`Seek`] asked for, and the total when it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows<T> {
    /// The rows, in the seek's order.
    pub rows: Vec<T>,
    /// Every row matching the filters, on every page, when the seek asked for it.
    pub total: Option<u64>,
}

impl<T> Rows<T> {
    /// `rows`, with `total` when `seek` asked for it.
    pub fn new(seek: &Seek, rows: Vec<T>, total: impl FnOnce() -> u64) -> Self {
        Self {
            rows,
            total: seek.total.then(total),
        }
    }
}

/// One page to read from a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Which listing.
    pub listing: Listing,
    /// Which way.
    pub order: Order,
    /// How many rows at most.
    pub limit: Limit,
    /// Where the previous page ended, if there was one.
    pub after: Option<Position>,
    /// Whether to count every row matching the filters too.
    pub include_total: bool,
}

impl PageRequest {
    /// The first page of `listing`, oldest first, of the default size, no total.
    pub fn first(listing: Listing) -> Self {
        Self {
            listing,
            order: Order::Asc,
            limit: Limit::DEFAULT,
            after: None,
            include_total: false,
        }
    }

    /// What to read: one more row than the page holds, to learn whether another follows.
    pub fn seek(&self) -> Seek {
        Seek {
            order: self.order,
            after: self.after.unwrap_or(Position::start(self.order)),
            rows: self.limit.get() + 1,
            total: self.include_total,
        }
    }
}

/// A row of a listing: it knows its place in the keyset order.
pub trait Listed {
    /// Its place.
    fn position(&self) -> Position;
}

impl Listed for crate::audit::AuditEvent {
    fn position(&self) -> Position {
        Position {
            at: self.entry.at,
            id: self.entry.id.as_uuid(),
        }
    }
}

impl Listed for User {
    fn position(&self) -> Position {
        Position {
            at: self.created_at,
            id: self.id.as_uuid(),
        }
    }
}

impl Listed for OrganizationSummary {
    fn position(&self) -> Position {
        Position {
            at: self.organization.created_at,
            id: self.organization.id.as_uuid(),
        }
    }
}

impl Listed for Workspace {
    fn position(&self) -> Position {
        Position {
            at: self.created_at,
            id: self.id.as_uuid(),
        }
    }
}

impl Listed for Member {
    fn position(&self) -> Position {
        Position {
            at: self.joined_at,
            id: self.user_id.as_uuid(),
        }
    }
}

impl Listed for OrganizationMembership {
    fn position(&self) -> Position {
        Position {
            at: self.joined_at,
            id: self.organization.id.as_uuid(),
        }
    }
}

impl Listed for TokenRecord {
    fn position(&self) -> Position {
        Position {
            at: self.issued_at,
            id: self.id.as_uuid(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, in the page's order.
    pub items: Vec<T>,
    /// The page size asked for.
    pub limit: usize,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Every row matching the filters, on every page, when it was asked for.
    pub total: Option<u64>,
}

impl<T: Listed> Page<T> {
    /// Builds the page from up to `limit + 1` rows read after the request's cursor: the extra
    /// row only says that another page follows.
    pub fn from_rows(request: &PageRequest, read: Rows<T>) -> Self {
        let Rows { mut rows, total } = read;
        let limit = request.limit.get();
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(
                Cursor {
                    listing: request.listing,
                    order: request.order,
                    after: last.position(),
                }
                .encode(),
            ),
            _ => None,
        };
        Self {
            items: rows,
            limit,
            next_cursor,
            total,
        }
    }
}

#[cfg(test)]
mod tests;

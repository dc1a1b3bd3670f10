//! Keyset pagination for the platform listings: bounded page sizes and opaque cursors.

use uuid::Uuid;
use validator::Validate;

use crate::entities::{OrganizationSummary, User, Workspace};
use crate::timestamp::Timestamp;

/// Which platform listing a page belongs to. A cursor only continues its own listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every user of the platform.
    Users,
    /// Every organization of the platform.
    Organizations,
    /// Every workspace of the platform.
    Workspaces,
}

impl Listing {
    /// The first byte of this listing's cursors.
    const fn tag(self) -> u8 {
        match self {
            Listing::Users => b'u',
            Listing::Organizations => b'o',
            Listing::Workspaces => b'w',
        }
    }

    /// The pattern every cursor of this listing matches, and every string matching it is a
    /// valid cursor of this listing: the tag byte, then 48 lowercase hex digits.
    pub const fn cursor_pattern(self) -> &'static str {
        match self {
            Listing::Users => "^75[0-9a-f]{48}$",
            Listing::Organizations => "^6f[0-9a-f]{48}$",
            Listing::Workspaces => "^77[0-9a-f]{48}$",
        }
    }
}

/// A position in a listing: rows come in (creation time, id) order, strictly after it.
///
/// Its text form is opaque to clients: 50 lowercase hex digits encoding the listing, the
/// creation time and the id of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The creation time of the last row seen.
    pub created_at: Timestamp,
    /// The id of the last row seen.
    pub id: Uuid,
}

impl Cursor {
    /// The length of a cursor, in characters.
    pub const LEN: usize = 50;

    /// The opaque text form handed to clients for `listing`.
    pub fn encode(&self, listing: Listing) -> String {
        let mut bytes = Vec::with_capacity(25);
        bytes.push(listing.tag());
        bytes.extend_from_slice(&self.created_at.unix_micros().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        hex::encode(bytes)
    }

    /// Reads a cursor this API issued for `listing`; anything else is `None`. Times beyond
    /// what storage holds are brought within it (the page is then simply empty or complete).
    pub fn decode(listing: Listing, text: &str) -> Option<Self> {
        let lowercase = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if text.len() != Self::LEN || !lowercase {
            return None;
        }
        let bytes = hex::decode(text).ok()?;
        let (tag, rest) = bytes.split_first()?;
        let (micros, id) = rest.split_at_checked(8)?;
        if *tag != listing.tag() {
            return None;
        }
        let micros = i64::from_be_bytes(micros.try_into().ok()?);
        Some(Self {
            created_at: Timestamp::from_unix_micros(
                micros.clamp(Timestamp::MIN.unix_micros(), Timestamp::MAX.unix_micros()),
            ),
            id: Uuid::from_slice(id).ok()?,
        })
    }
}

/// How many rows a page holds: 1 to 200, 50 when not asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Validate)]
pub struct Limit {
    #[validate(range(min = Limit::MIN, max = Limit::MAX))]
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
        let limit = Limit { value };
        match limit.validate() {
            Ok(()) => Ok(limit),
            Err(_) if value < Self::MIN => Err(LimitError::TooSmall),
            Err(_) => Err(LimitError::TooLarge),
        }
    }

    /// The page size.
    pub fn get(self) -> usize {
        usize::try_from(self.value).unwrap_or(1)
    }
}

/// One page to read from a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Which listing.
    pub listing: Listing,
    /// How many rows at most.
    pub limit: Limit,
    /// Where the previous page ended, if there was one.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// How many rows to read: one more than the page holds, to learn whether another follows.
    pub fn rows_to_read(&self) -> usize {
        self.limit.get() + 1
    }
}

/// A row of a listing: it knows its place in the keyset order.
pub trait Listed {
    /// The cursor that continues after this row.
    fn cursor(&self) -> Cursor;
}

impl Listed for User {
    fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.as_uuid(),
        }
    }
}

impl Listed for OrganizationSummary {
    fn cursor(&self) -> Cursor {
        let organization = &self.organization;
        Cursor {
            created_at: organization.created_at,
            id: organization.id.as_uuid(),
        }
    }
}

impl Listed for Workspace {
    fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.as_uuid(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, in (creation time, id) order.
    pub items: Vec<T>,
    /// The page size asked for.
    pub limit: usize,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: Listed> Page<T> {
    /// Builds the page from up to `limit + 1` rows read after the request's cursor: the extra
    /// row only says that another page follows.
    pub fn from_rows(request: &PageRequest, mut rows: Vec<T>) -> Self {
        let limit = request.limit.get();
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(last.cursor().encode(request.listing)),
            _ => None,
        };
        Self {
            items: rows,
            limit,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn user(micros: i64) -> User {
        User {
            id: UserId::generate(),
            email: crate::provisioning::Email::parse(&format!("u{micros}@example.com"))
                .expect("an email"),
            display_name: None,
            is_active: true,
            created_at: Timestamp::from_unix_micros(micros),
        }
    }

    #[test]
    fn cursors_round_trip_for_their_own_listing_only() {
        let cursor = Cursor {
            created_at: Timestamp::from_unix_micros(1_700_000_000_000_001),
            id: Uuid::new_v4(),
        };
        let text = cursor.encode(Listing::Users);
        assert_eq!(Cursor::decode(Listing::Users, &text), Some(cursor));
        assert_eq!(Cursor::decode(Listing::Workspaces, &text), None);
    }

    #[test]
    fn malformed_cursors_are_refused() {
        let valid = Cursor {
            created_at: Timestamp::now(),
            id: Uuid::new_v4(),
        }
        .encode(Listing::Users);
        let upper = valid.to_uppercase();
        let short = &valid[..48];
        for text in ["", "!!!", "dS4xLjI", &"7".repeat(50), upper.as_str(), short] {
            assert_eq!(Cursor::decode(Listing::Users, text), None, "{text}");
        }
    }

    #[test]
    fn every_string_matching_the_pattern_is_a_cursor() {
        for digit in ["0", "f", "7"] {
            let text = format!("75{}", digit.repeat(48));
            let cursor = Cursor::decode(Listing::Users, &text).expect("decodes");
            assert!(Timestamp::MIN <= cursor.created_at && cursor.created_at <= Timestamp::MAX);
        }
        assert_eq!(Listing::Users.cursor_pattern(), "^75[0-9a-f]{48}$");
        let encoded = Cursor {
            created_at: Timestamp::now(),
            id: Uuid::new_v4(),
        }
        .encode(Listing::Organizations);
        assert!(encoded.starts_with("6f") && encoded.len() == 50);
    }

    #[test]
    fn limit_defaults_to_50_and_stays_within_1_and_200() {
        assert_eq!(Limit::DEFAULT.get(), 50);
        assert_eq!(Limit::new(1).map(Limit::get), Ok(1));
        assert_eq!(Limit::new(200).map(Limit::get), Ok(200));
        assert_eq!(Limit::new(0), Err(LimitError::TooSmall));
        assert_eq!(Limit::new(201), Err(LimitError::TooLarge));
    }

    #[test]
    fn a_page_with_an_extra_row_has_a_cursor_to_its_last_item() {
        let request = PageRequest {
            listing: Listing::Users,
            limit: Limit::new(2).unwrap_or(Limit::DEFAULT),
            after: None,
        };
        let rows = vec![user(1), user(2), user(3)];
        let last_kept = rows[1].cursor();
        let page = Page::from_rows(&request, rows);
        assert_eq!(page.items.len(), 2);
        let next = page
            .next_cursor
            .and_then(|c| Cursor::decode(Listing::Users, &c));
        assert_eq!(next, Some(last_kept));
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        let request = PageRequest {
            listing: Listing::Users,
            limit: Limit::DEFAULT,
            after: None,
        };
        let page = Page::from_rows(&request, vec![user(1)]);
        assert_eq!(page.next_cursor, None);
        assert_eq!(page.limit, 50);
    }
}

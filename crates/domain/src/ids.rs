//! Typed identifiers: a `UserId` can never be passed where an `OrganizationId` is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::errors::InvalidInput;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new identifier: a UUIDv7, time-ordered (so new rows land at the end of the
            /// primary key's index) and random beyond the millisecond.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps a UUID read from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;

            /// Parses the hyphenated UUID form (any case).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|_| InvalidInput::new($what, "is not a UUID"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }
    };
}

typed_id!(
    /// Identifies a user.
    UserId,
    "user id"
);
typed_id!(
    /// Identifies an organization.
    OrganizationId,
    "organization id"
);
typed_id!(
    /// Identifies a workspace.
    WorkspaceId,
    "workspace id"
);
typed_id!(
    /// Identifies a token record.
    TokenId,
    "token id"
);
typed_id!(
    /// Identifies an audit event.
    AuditEventId,
    "audit event id"
);

/// The revocation identifier of a token's authority block, lowercase hex.
///
/// It is what ties a presented token to its record in the token store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RevocationId(String);

impl RevocationId {
    /// Longest accepted hex form (a 64-byte Ed25519 signature is 128 digits).
    pub const MAX_LEN: usize = 256;

    /// Parses the hex form: lowercase hex digits, even length, bounded.
    pub fn parse(hex: &str) -> Result<Self, InvalidInput> {
        let valid = !hex.is_empty()
            && hex.len() <= Self::MAX_LEN
            && hex.len().is_multiple_of(2)
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(hex.to_owned()))
        } else {
            Err(InvalidInput::new("revocation id", "is not lowercase hex"))
        }
    }

    /// The hex form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RevocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id = UserId::generate();
        assert_eq!(id.to_string().parse::<UserId>().ok(), Some(id));
    }

    #[test]
    fn a_non_uuid_is_refused_with_the_field_named() {
        let err = "nope".parse::<OrganizationId>().err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("organization id is not a UUID")
        );
    }

    #[test]
    fn revocation_ids_are_lowercase_hex() {
        assert!(RevocationId::parse("0aff").is_ok());
        assert!(RevocationId::parse("0AFF").is_err());
        assert!(RevocationId::parse("abc").is_err());
        assert!(RevocationId::parse("").is_err());
    }
}

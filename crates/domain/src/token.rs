//! Tokens as the domain sees them: a bounded bearer string in, claims and a revocation id out.

use crate::errors::AuthFailure;
use crate::ids::{OrganizationId, RevocationId, TokenId, UserId};
use crate::timestamp::Timestamp;

/// A bearer token as presented, checked for size and alphabet before any parsing.
///
/// Holding one says nothing about its validity: only that it is small and made of URL-safe
/// base64 characters. It never prints its content.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// The longest token accepted, in bytes.
    pub const MAX_LEN: usize = 4096;

    /// Accepts a non-empty, bounded string of URL-safe base64 characters (with optional `=`
    /// padding); anything else is [`AuthFailure::Malformed`].
    pub fn parse(token: &str) -> Result<Self, AuthFailure> {
        let well_formed = !token.is_empty()
            && token.len() <= Self::MAX_LEN
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='));
        if well_formed {
            Ok(Self(token.to_owned()))
        } else {
            Err(AuthFailure::Malformed)
        }
    }

    /// The token text. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// What a token to issue states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The id of the token's record.
    pub token_id: TokenId,
    /// The user it authenticates.
    pub user_id: UserId,
    /// The organization it is scoped to, if any.
    pub organization_id: Option<OrganizationId>,
    /// When it expires (whole seconds, as Biscuit dates are).
    pub expires_at: Timestamp,
}

/// A token whose signature the token verification port checked, and what its authority
/// block states: read without evaluating anything its holders appended. (Its expiry is a
/// check, not a claim: the record holds it too.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The id of its record.
    pub token_id: TokenId,
    /// The user it authenticates.
    pub user_id: UserId,
    /// The organization it is scoped to, if any.
    pub organization_id: Option<OrganizationId>,
    /// The revocation id of its authority block: the key of its record.
    pub revocation_id: RevocationId,
}

/// A newly signed token.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token to hand to its holder. Never log it.
    pub token: String,
    /// The revocation id of its authority block.
    pub revocation_id: RevocationId,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"<redacted>")
            .field("revocation_id", &self.revocation_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_bounded_url_safe_base64() {
        assert!(BearerToken::parse("En0KEwoEdXNlchgDIgkKBwgKEgMYgAg=").is_ok());
        assert_eq!(BearerToken::parse(""), Err(AuthFailure::Malformed));
        assert_eq!(BearerToken::parse("abc def"), Err(AuthFailure::Malformed));
        assert_eq!(BearerToken::parse("abc+/"), Err(AuthFailure::Malformed));
        assert_eq!(
            BearerToken::parse(&"a".repeat(4097)),
            Err(AuthFailure::Malformed)
        );
        assert!(BearerToken::parse(&"a".repeat(4096)).is_ok());
    }

    #[test]
    fn tokens_never_print() {
        let token = BearerToken::parse("secretsecret").map(|t| format!("{t:?}"));
        assert_eq!(token.as_deref(), Ok("BearerToken(<redacted>)"));
    }
}

//! The authority block's claims, read from its wire form: exactly the block
//! `BiscuitAuthority::issue` signs, or the token is malformed.
//!
//! ```text
//! user("<user id>");
//! token_id("<token id>");
//! organization("<organization id>");          // only for a scoped token
//! check if time($time), $time < <expiry>;
//! ```

use admin_domain::{AuthFailure, OrganizationId, TokenId, UserId};
use biscuit_auth::format::schema::{self, op, op_binary, term};

use super::blocks::Block;

/// What the authority block states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    /// The id of the token's record.
    pub token_id: TokenId,
    /// The user it authenticates.
    pub user_id: UserId,
    /// The organization it is scoped to.
    pub organization_id: Option<OrganizationId>,
    /// Its expiry, in seconds since the Unix epoch (the authority block's one check).
    pub expires_at: u64,
}

impl Claims {
    /// Reads the claims of `authority`, which must have the issued shape and nothing else.
    pub fn read(authority: &Block) -> Result<Self, AuthFailure> {
        let block = &authority.block;
        if !block.rules.is_empty() || !block.scope.is_empty() || block.checks.len() != 1 {
            return Err(AuthFailure::Malformed);
        }
        let (mut user, mut token, mut organization) = (None, None, None);
        for fact in &block.facts {
            let (name, value) = string_fact(authority, &fact.predicate)?;
            let slot = match name {
                "user" => &mut user,
                "token_id" => &mut token,
                "organization" => &mut organization,
                _ => return Err(AuthFailure::Malformed),
            };
            if slot.replace(value).is_some() {
                return Err(AuthFailure::Malformed);
            }
        }
        let malformed = |_| AuthFailure::Malformed;
        Ok(Self {
            token_id: token
                .ok_or(AuthFailure::Malformed)?
                .parse()
                .map_err(malformed)?,
            user_id: user
                .ok_or(AuthFailure::Malformed)?
                .parse()
                .map_err(malformed)?,
            organization_id: organization
                .map(|id| id.parse().map_err(malformed))
                .transpose()?,
            expires_at: expiry(authority, &block.checks[0]).ok_or(AuthFailure::Malformed)?,
        })
    }
}

/// `name("value")`: the name and the value.
fn string_fact<'a>(
    block: &'a Block,
    predicate: &schema::Predicate,
) -> Result<(&'a str, &'a str), AuthFailure> {
    let name = block.symbol(predicate.name).ok_or(AuthFailure::Malformed)?;
    match predicate.terms.as_slice() {
        [
            schema::Term {
                content: Some(term::Content::String(value)),
            },
        ] => Ok((name, block.symbol(*value).ok_or(AuthFailure::Malformed)?)),
        _ => Err(AuthFailure::Malformed),
    }
}

/// The expiry of `check if time($t), $t < <date>`.
fn expiry(block: &Block, check: &schema::Check) -> Option<u64> {
    let [query] = check.queries.as_slice() else {
        return None;
    };
    let [time] = query.body.as_slice() else {
        return None;
    };
    let [expression] = query.expressions.as_slice() else {
        return None;
    };
    let variable = match time.terms.as_slice() {
        [
            schema::Term {
                content: Some(term::Content::Variable(variable)),
            },
        ] => *variable,
        _ => return None,
    };
    let is_one = check.kind.unwrap_or(0) == schema::check::Kind::One as i32;
    if !is_one || block.symbol(time.name) != Some("time") || !query.scope.is_empty() {
        return None;
    }
    let ops: Vec<&op::Content> = expression
        .ops
        .iter()
        .filter_map(|o| o.content.as_ref())
        .collect();
    match ops.as_slice() {
        [
            op::Content::Value(schema::Term {
                content: Some(term::Content::Variable(left)),
            }),
            op::Content::Value(schema::Term {
                content: Some(term::Content::Date(date)),
            }),
            op::Content::Binary(binary),
        ] if *left == variable
            && expression.ops.len() == 3
            && binary.kind == op_binary::Kind::LessThan as i32 =>
        {
            Some(*date)
        }
        _ => None,
    }
}

//! Verified tokens, remembered: the signature checks, the reading of the claims and the
//! budget of the holders' blocks (about 150 µs for a token of one block) are paid once per
//! token, not once per request.
//!
//! What is remembered never goes stale: a token's bytes either carry a valid signature or do
//! not, and its claims and blocks are what those bytes say. Whether the token's own checks
//! accept an operation depends on the time too, and Biscuit's `time` fact has whole-second
//! precision: the decision for (token, operation, second) is remembered for that second only.
//! Revocation, expiry and roles are not decided here: the store is read on every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use admin_domain::{AuthFailure, Permission, RevocationId, VerifiedToken};
use biscuit_auth::Biscuit;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use super::blocks;
use super::budget::{self, OverBudget};
use super::claims::Claims;

/// How many verified tokens are remembered; the least recently used go first.
pub const CAPACITY: usize = 4_096;

/// What the blocks appended by the token's holders ask of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holders {
    /// None: the token is as issued, and its one check is its expiry.
    None,
    /// Blocks whose evaluation costs at most this many budget units.
    Within(u64),
    /// Blocks that cannot be decided within the budget: every operation is refused.
    Over(OverBudget),
}

/// A token whose signature was checked and whose blocks were read, never evaluated.
pub struct VerifiedBiscuit {
    /// The token, for running its checks.
    pub biscuit: Biscuit,
    /// What its authority block states.
    pub claims: Claims,
    /// The revocation id of its authority block.
    pub revocation_id: RevocationId,
    /// What its holders appended.
    pub holders: Holders,
    /// Per operation: the second a decision was taken for, and the decision
    /// (`second << 1 | allowed`); 0 when none was taken yet.
    decisions: [AtomicU64; Permission::ALL.len()],
}

impl VerifiedBiscuit {
    /// Reads a token whose signatures biscuit-auth checked: its claims, its revocation id, and
    /// the budget of its holders' blocks.
    pub fn read(biscuit: Biscuit) -> Result<Self, AuthFailure> {
        let blocks = blocks::decode(&biscuit)?;
        let claims = Claims::read(&blocks[0])?;
        let revocation_id = biscuit
            .revocation_identifiers()
            .into_iter()
            .next()
            .and_then(|id| RevocationId::parse(&hex::encode(id)).ok())
            .ok_or(AuthFailure::Malformed)?;
        let holders = match blocks.len() {
            1 => Holders::None,
            _ => match budget::cost(&blocks) {
                Ok(cost) => Holders::Within(cost),
                Err(over) => Holders::Over(over),
            },
        };
        Ok(Self {
            biscuit,
            claims,
            revocation_id,
            holders,
            decisions: Default::default(),
        })
    }

    /// The claims, as the domain takes them.
    pub fn token(&self) -> VerifiedToken {
        VerifiedToken {
            token_id: self.claims.token_id,
            user_id: self.claims.user_id,
            organization_id: self.claims.organization_id,
            revocation_id: self.revocation_id.clone(),
        }
    }

    /// The decision taken for `operation` during `second`, if one was.
    pub fn decision(&self, operation: Permission, second: u64) -> Option<bool> {
        let remembered = self.decisions[slot(operation)].load(Ordering::Relaxed);
        (remembered != 0 && remembered >> 1 == second).then_some(remembered & 1 == 1)
    }

    /// Remembers the decision for `operation` during `second`.
    pub fn remember(&self, operation: Permission, second: u64, allowed: bool) {
        self.decisions[slot(operation)].store(second << 1 | u64::from(allowed), Ordering::Relaxed);
    }
}

fn slot(operation: Permission) -> usize {
    Permission::ALL
        .iter()
        .position(|p| *p == operation)
        .unwrap_or(0)
}

/// The key a token is remembered by: the SHA-256 of its text, so lookups compare digests,
/// never the secret tokens themselves.
pub type Key = [u8; 32];

/// The remembered tokens.
pub struct VerifiedTokens(Cache<Key, Arc<VerifiedBiscuit>>);

impl VerifiedTokens {
    /// An empty cache holding at most [`CAPACITY`] tokens.
    pub fn new() -> Self {
        Self(Cache::new(CAPACITY))
    }

    /// The key of `token`.
    pub fn key(token: &str) -> Key {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The token remembered under `key`.
    pub fn get(&self, key: &Key) -> Option<Arc<VerifiedBiscuit>> {
        self.0.get(key)
    }

    /// Remembers `verified` under `key` (failures are not remembered).
    pub fn insert(&self, key: Key, verified: VerifiedBiscuit) -> Arc<VerifiedBiscuit> {
        let verified = Arc::new(verified);
        self.0.insert(key, Arc::clone(&verified));
        verified
    }
}

//! Verified tokens, remembered: the signature checks, the reading of the claims and the
//! budget of the holders' blocks are paid once per token, not once per request.
//!
//! What is remembered never goes stale: a token's bytes either carry a valid signature or do
//! not, and its claims and blocks are what those bytes say. Whether the token's own checks
//! accept an operation depends on the time too, and Biscuit's `time` fact has whole-second
//! precision: the decision for (token, operation, second) is remembered for that second only.
//! Revocation, expiry and roles are not decided here: the store is read on every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

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
    /// Blocks whose evaluation costs at most this many budget units.
    Within(u64),
    /// Blocks that cannot be decided within the budget: every operation is refused.
    Over(OverBudget),
}

/// A token its holders appended blocks to, its every signature checked and its blocks read,
/// never evaluated: what deciding its checks runs.
pub struct Decidable {
    /// The token, for running its checks.
    pub biscuit: Biscuit,
    /// What its holders appended.
    pub holders: Holders,
}

impl Decidable {
    /// Reads a token whose signatures biscuit-auth checked: the budget of its holders' blocks.
    fn read(biscuit: Biscuit) -> Result<Self, AuthFailure> {
        let holders = match budget::cost(&blocks::decode(&biscuit)?) {
            Ok(cost) => Holders::Within(cost),
            Err(over) => Holders::Over(over),
        };
        Ok(Self { biscuit, holders })
    }
}

/// A token whose authority block was verified: its claims, and for a token its holders
/// appended to, what those blocks are once a decision first needs them.
pub struct VerifiedBiscuit {
    /// What its authority block states.
    pub claims: Claims,
    /// The revocation id of its authority block.
    pub revocation_id: RevocationId,
    /// `None` for a token as issued (verified whole: its one check is its expiry); else its
    /// holders' blocks, verified and read by the first decision that needs them.
    appended: Option<OnceLock<Result<Decidable, AuthFailure>>>,
    /// Per operation: the second a decision was taken for, and the decision
    /// (`second << 1 | allowed`); 0 when none was taken yet.
    decisions: [AtomicU64; Permission::ALL.len()],
}

impl VerifiedBiscuit {
    /// A token as issued, verified whole.
    pub fn issued(claims: Claims, revocation_id: RevocationId) -> Self {
        Self::new(claims, revocation_id, None)
    }

    /// A token its holders appended blocks to, of which only the authority block is verified.
    pub fn attenuated(claims: Claims, revocation_id: RevocationId) -> Self {
        Self::new(claims, revocation_id, Some(OnceLock::new()))
    }

    fn new(
        claims: Claims,
        revocation_id: RevocationId,
        appended: Option<OnceLock<Result<Decidable, AuthFailure>>>,
    ) -> Self {
        Self {
            claims,
            revocation_id,
            appended,
            decisions: Default::default(),
        }
    }

    /// Whether its holders appended blocks.
    pub fn is_attenuated(&self) -> bool {
        self.appended.is_some()
    }

    /// What its holders appended, every signature verified (by `verify`, the first time it is
    /// asked): `None` for a token as issued.
    pub fn holders(
        &self,
        verify: impl FnOnce() -> Result<Biscuit, AuthFailure>,
    ) -> Option<&Result<Decidable, AuthFailure>> {
        let appended = self.appended.as_ref()?;
        Some(appended.get_or_init(|| verify().and_then(Decidable::read)))
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

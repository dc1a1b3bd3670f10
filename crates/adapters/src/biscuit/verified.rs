//! Verified tokens, remembered: the signature checks and claim reading a token costs (about
//! 150 µs) are paid once per token, not once per request.
//!
//! What is remembered never goes stale: a token's bytes either carry a valid signature or do
//! not, and its claims are what those bytes say. Whether the token's own checks accept an
//! operation depends on the time too, and Biscuit's `time` fact has whole-second precision: the
//! decision for (token, operation, second) is remembered for that second only. Revocation,
//! expiry and roles are not decided here: the store is read on every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use admin_domain::{OrganizationId, Permission, RevocationId, TokenId, UserId};
use biscuit_auth::Biscuit;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// How many verified tokens are remembered; the least recently used go first.
pub const CAPACITY: usize = 4_096;

/// A token whose signature was checked and whose authority block was read.
pub struct VerifiedBiscuit {
    /// The token, for running its checks.
    pub biscuit: Biscuit,
    /// Its record's id.
    pub token_id: TokenId,
    /// The user it names.
    pub user_id: UserId,
    /// The organization it is scoped to.
    pub organization_id: Option<OrganizationId>,
    /// The revocation id of its authority block.
    pub revocation_id: RevocationId,
    /// Per operation: the second a decision was taken for, and the decision
    /// (`second << 1 | allowed`); 0 when none was taken yet.
    decisions: [AtomicU64; Permission::ALL.len()],
}

impl VerifiedBiscuit {
    /// Wraps what verification found.
    pub fn new(
        biscuit: Biscuit,
        token_id: TokenId,
        user_id: UserId,
        organization_id: Option<OrganizationId>,
        revocation_id: RevocationId,
    ) -> Self {
        Self {
            biscuit,
            token_id,
            user_id,
            organization_id,
            revocation_id,
            decisions: Default::default(),
        }
    }

    /// Whether the token's checks accept `operation` during `second` (seconds since the Unix
    /// epoch), deciding with `decide` only the first time in that second.
    pub fn allows(
        &self,
        operation: Permission,
        second: u64,
        decide: impl FnOnce() -> bool,
    ) -> bool {
        let slot = &self.decisions[slot(operation)];
        let remembered = slot.load(Ordering::Relaxed);
        if remembered != 0 && remembered >> 1 == second {
            return remembered & 1 == 1;
        }
        let allowed = decide();
        slot.store(second << 1 | u64::from(allowed), Ordering::Relaxed);
        allowed
    }
}

fn slot(operation: Permission) -> usize {
    Permission::ALL
        .iter()
        .position(|p| *p == operation)
        .unwrap_or(0)
}

/// The remembered tokens, keyed by the SHA-256 of their text: lookups compare digests, never
/// the secret tokens themselves.
pub struct VerifiedTokens(Cache<[u8; 32], Arc<VerifiedBiscuit>>);

impl VerifiedTokens {
    /// An empty cache holding at most [`CAPACITY`] tokens.
    pub fn new() -> Self {
        Self(Cache::new(CAPACITY))
    }

    /// The remembered verification of `token`, or the one `verify` makes (remembered when it
    /// succeeds; failures are not).
    pub fn get_or_verify<E>(
        &self,
        token: &str,
        verify: impl FnOnce() -> Result<VerifiedBiscuit, E>,
    ) -> Result<Arc<VerifiedBiscuit>, E> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(verified) = self.0.get(&key) {
            return Ok(verified);
        }
        let verified = Arc::new(verify()?);
        self.0.insert(key, Arc::clone(&verified));
        Ok(verified)
    }
}

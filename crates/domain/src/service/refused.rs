//! Tokens whose record refused them for good, remembered: a revoked, expired or unknown token
//! never authenticates again, and neither does any token attenuated from it (they share its
//! revocation id). Its holder can append blocks offline to make as many new tokens as they
//! like; remembering the refusal by revocation id makes each of them cost no record read.
//! Only refusals that cannot be undone are remembered: an inactive user may be reactivated.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::errors::AuthFailure;
use crate::ids::RevocationId;

/// How many refused revocation ids are remembered; when full, all are forgotten at once (a
/// forgotten one costs one record read more).
pub const CAPACITY: usize = 4_096;

/// The refused token families, by revocation id.
#[derive(Debug, Default)]
pub struct RefusedTokens(Mutex<HashMap<RevocationId, AuthFailure>>);

impl RefusedTokens {
    /// Why the token family `id` was refused for good, if it was.
    pub fn get(&self, id: &RevocationId) -> Option<AuthFailure> {
        self.lock().get(id).copied()
    }

    /// Remembers that the record refused `id` for `failure`, when that is for good.
    pub fn remember(&self, id: &RevocationId, failure: AuthFailure) {
        if !matches!(
            failure,
            AuthFailure::Revoked | AuthFailure::Expired | AuthFailure::Unknown
        ) {
            return;
        }
        let mut refused = self.lock();
        if refused.len() >= CAPACITY {
            refused.clear();
        }
        refused.insert(id.clone(), failure);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RevocationId, AuthFailure>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_for_good_are_remembered_and_the_memory_is_bounded() {
        let refused = RefusedTokens::default();
        let id = |n: usize| RevocationId::parse(&format!("{n:08x}")).unwrap_or_else(|_| panic!());
        refused.remember(&id(1), AuthFailure::Revoked);
        refused.remember(&id(2), AuthFailure::InactiveUser);
        refused.remember(&id(3), AuthFailure::Expired);
        assert_eq!(refused.get(&id(1)), Some(AuthFailure::Revoked));
        assert_eq!(refused.get(&id(2)), None);
        assert_eq!(refused.get(&id(3)), Some(AuthFailure::Expired));
        for n in 10..10 + CAPACITY {
            refused.remember(&id(n), AuthFailure::Unknown);
        }
        assert!(refused.lock().len() <= CAPACITY);
    }
}

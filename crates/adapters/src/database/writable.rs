//! Keeping the primary's connections on the server that accepts writes.
//!
//! A connection to the primary is made to whichever of `DATABASE_URL`'s hosts accepts writes
//! (`target_session_attrs=read-write`, `url::postgres_config`). The server it was made to may
//! stop accepting writes later while the connection stays open: demoted by a failover manager,
//! or fenced with `default_transaction_read_only`. When any statement meets such a server (a
//! write refused as read-only, or the readiness probe finding it so), the instance marks the
//! moment: from then on every pool drops the connections it made before, as it hands them out
//! (a `pre_recycle` hook), shared connections made before stop being shared, and the request
//! that met it is answered 503, so that the next connections are made to the writable server.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use admin_domain::StoreError;
use diesel::result::{DatabaseErrorKind, Error};

/// When the primary's connections last met a server that no longer accepts writes: shared by
/// every pool of an instance.
#[derive(Debug, Default)]
pub struct Writable {
    lost: Mutex<Option<Instant>>,
}

impl Writable {
    /// Whether a connection made at `created` may be on a server that no longer accepts
    /// writes: it was made before one was met.
    pub fn stale(&self, created: Instant) -> bool {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|lost| created <= lost)
    }

    /// Marks now as the moment a server was found not to accept writes.
    pub fn lose(&self) {
        let now = Instant::now();
        *self.lost.lock().unwrap_or_else(PoisonError::into_inner) = Some(now);
        tracing::warn!(
            "the primary's server no longer accepts writes: its connections are being replaced"
        );
    }

    /// Marks the moment when `result` failed because the server no longer accepts writes.
    pub fn notice<T>(&self, result: &Result<T, StoreError>) {
        if let Err(StoreError::Unavailable(source)) = result
            && source.downcast_ref::<Error>().is_some_and(read_only)
        {
            self.lose();
        }
    }
}

/// Whether `error` is a write refused because the server accepts no writes.
pub fn read_only(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_made_before_a_read_only_server_was_met_are_stale() {
        let writable = Writable::default();
        let before = Instant::now();
        assert!(!writable.stale(before), "nothing met yet");
        let refused: Result<(), StoreError> =
            Err(StoreError::Unavailable(Box::new(Error::DatabaseError(
                DatabaseErrorKind::ReadOnlyTransaction,
                Box::new("cannot execute UPDATE in a read-only transaction".to_owned()),
            ))));
        writable.notice(&refused);
        assert!(writable.stale(before));
        assert!(!writable.stale(Instant::now()), "made after");
        let other: Result<(), StoreError> = Err(StoreError::Unavailable("refused".into()));
        let writable = Writable::default();
        writable.notice(&other);
        assert!(!writable.stale(before), "another failure marks nothing");
    }
}

//! A user's tokens listed by state, and revoked all at once, on real databases.

use std::collections::HashSet;

use admin_adapters::testing::TestDatabase;
use admin_adapters::{Database, on_both_backends};
use admin_domain::*;

use super::fixtures::*;

on_both_backends!(
    a_users_tokens_are_listed_by_state_in_both_orders_with_exact_totals,
    revoking_all_revokes_exactly_the_tokens_that_could_authenticate,
    concurrent_revocations_and_issues_revoke_each_token_once,
);

/// Every token of `user` `filter` keeps, walked 2 at a time in `order`, checked against its
/// total: their ids.
async fn listed(db: &Database, user: UserId, filter: TokenFilter, order: Order) -> Vec<TokenId> {
    let read = async |seek: Seek| db.tokens_of(user, &filter, &seek).await.expect("reads");
    let rows = walk(Listing::Tokens(user), order, 2, read, async || {}).await;
    assert!(strictly_ordered(&rows, order), "{filter:?} {order:?}");
    let total =
        total(async |seek: Seek| db.tokens_of(user, &filter, &seek).await.expect("counts")).await;
    assert_eq!(total, rows.len() as u64, "{filter:?}: the total");
    rows.into_iter().map(|record| record.id).collect()
}

fn issued(user: UserId, micros: i64, expires_at: Timestamp, revoked: bool) -> TokenRecord {
    TokenRecord {
        issued_at: at(micros),
        ..token(user, expires_at, revoked.then(|| at(micros + 1)))
    }
}

async fn a_users_tokens_are_listed_by_state_in_both_orders_with_exact_totals(db: TestDatabase) {
    let db = db.database.clone();
    let (user, other) = (stored_user(&db).await.id, stored_user(&db).await.id);
    let now = Timestamp::now();
    let (later, earlier) = (now.saturating_add(hours(1)), now.saturating_sub(hours(1)));
    let records = vec![
        issued(user, 1, later, false),
        issued(user, 2, earlier, false),
        issued(user, 3, later, true),
        issued(user, 4, later, false),
        issued(user, 5, earlier, true),
        issued(user, 6, earlier, false),
        issued(user, 7, later, false),
        issued(other, 8, later, false),
    ];
    db.record(&records, &[]).await.expect("recorded");
    let ids = |picks: &[usize]| -> Vec<TokenId> { picks.iter().map(|&i| records[i].id).collect() };

    let cases = [
        (None, ids(&[0, 1, 2, 3, 4, 5, 6])),
        (Some(TokenState::Active), ids(&[0, 3, 6])),
        (Some(TokenState::Expired), ids(&[1, 5])),
        (Some(TokenState::Revoked), ids(&[2, 4])),
    ];
    for (state, expected) in cases {
        let filter = TokenFilter { state, at: now };
        assert_eq!(
            listed(&db, user, filter, Order::Asc).await,
            expected,
            "{state:?}"
        );
        let mut desc = listed(&db, user, filter, Order::Desc).await;
        desc.reverse();
        assert_eq!(desc, expected, "{state:?}, newest first");
    }
    let nobody = TokenFilter {
        state: None,
        at: now,
    };
    let first = PageRequest::first(Listing::Tokens(user)).seek();
    let unknown = db.tokens_of(UserId::generate(), &nobody, &first).await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(Missing::User))),
        "an unknown user is said so where the tokens are read: {unknown:?}"
    );
    let tokenless = stored_user(&db).await.id;
    assert!(listed(&db, tokenless, nobody, Order::Asc).await.is_empty());
    for record in &records[..7] {
        let state = record.state(now);
        let expected = match (record.revoked_at, record.expires_at > now) {
            (Some(_), _) => TokenState::Revoked,
            (None, true) => TokenState::Active,
            (None, false) => TokenState::Expired,
        };
        assert_eq!(state, expected, "{record:?}");
    }
}

async fn revoking_all_revokes_exactly_the_tokens_that_could_authenticate(db: TestDatabase) {
    let db = db.database.clone();
    let (user, other) = (stored_user(&db).await.id, stored_user(&db).await.id);
    let now = Timestamp::now();
    let (later, earlier) = (now.saturating_add(hours(1)), now.saturating_sub(hours(1)));
    let records = vec![
        issued(user, 1, later, false),
        issued(user, 2, later, false),
        issued(user, 3, earlier, false),
        issued(user, 4, later, true),
        issued(other, 5, later, false),
    ];
    db.record(&records, &[]).await.expect("recorded");

    let revoked_at = Timestamp::now();
    assert_eq!(
        db.revoke_all(
            user,
            revoked_at,
            &event(Action::UserRevokeTokens).counting("revoked_count")
        )
        .await
        .expect("revokes"),
        2
    );

    let read = async |record: &TokenRecord| {
        db.token_record(&record.revocation_id)
            .await
            .expect("reads")
            .expect("kept")
            .revoked_at
    };
    assert_eq!(read(&records[0]).await, Some(revoked_at));
    assert_eq!(read(&records[1]).await, Some(revoked_at));
    assert_eq!(read(&records[2]).await, None, "expired: left as it was");
    assert_eq!(
        read(&records[3]).await,
        records[3].revoked_at,
        "the first revocation stays"
    );
    assert_eq!(read(&records[4]).await, None, "another user's");

    // A token recorded after the revocation committed is not affected by it.
    let fresh = issued(user, 6, later, false);
    db.record(std::slice::from_ref(&fresh), &[])
        .await
        .expect("recorded");
    assert_eq!(read(&fresh).await, None);
    assert_eq!(
        db.revoke_all(
            user,
            Timestamp::now(),
            &event(Action::UserRevokeTokens).counting("revoked_count")
        )
        .await
        .expect("revokes"),
        1
    );
    assert_eq!(
        db.revoke_all(
            user,
            Timestamp::now(),
            &event(Action::UserRevokeTokens).counting("revoked_count")
        )
        .await
        .expect("revokes"),
        0
    );
    let unknown = db
        .revoke_all(
            UserId::generate(),
            now,
            &event(Action::UserRevokeTokens).counting("revoked_count"),
        )
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(Missing::User))),
        "an unknown user is said so where the tokens are: {unknown:?}"
    );
}

async fn concurrent_revocations_and_issues_revoke_each_token_once(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await.id;
    let later = Timestamp::now().saturating_add(hours(1));
    let records: Vec<TokenRecord> = (0..300).map(|i| issued(user, i, later, false)).collect();
    db.record(&records[..100], &[]).await.expect("recorded");

    let issue = {
        let db = db.clone();
        let rest = records[100..].to_vec();
        tokio::spawn(async move {
            for record in rest {
                db.record(&[record], &[]).await.expect("recorded");
            }
        })
    };
    let revokers: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut revoked = 0;
                for _ in 0..10 {
                    revoked += db
                        .revoke_all(
                            user,
                            Timestamp::now(),
                            &event(Action::UserRevokeTokens).counting("revoked_count"),
                        )
                        .await
                        .expect("revokes");
                    tokio::task::yield_now().await;
                }
                revoked
            })
        })
        .collect();
    issue.await.expect("issued");
    let mut counted = 0;
    for revoker in revokers {
        counted += revoker.await.expect("revoked");
    }
    counted += db
        .revoke_all(
            user,
            Timestamp::now(),
            &event(Action::UserRevokeTokens).counting("revoked_count"),
        )
        .await
        .expect("revokes");

    assert_eq!(
        counted, 300,
        "each token counted by the one call that revoked it"
    );
    let filter = TokenFilter {
        state: Some(TokenState::Revoked),
        at: Timestamp::now(),
    };
    let revoked: HashSet<TokenId> = listed(&db, user, filter, Order::Asc)
        .await
        .into_iter()
        .collect();
    assert_eq!(revoked, records.iter().map(|r| r.id).collect());
}

use std::time::Duration;

use admin_adapters::database::CLEANUP_TURN;
use admin_adapters::on_both_backends;
use admin_adapters::testing::{Backend, TestDatabase};
use admin_domain::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::fixtures::*;

on_both_backends!(
    a_recorded_token_is_found_exactly_as_recorded,
    a_token_for_an_unknown_user_is_not_recorded,
    a_duplicate_revocation_id_is_a_conflict,
    revoking_marks_the_record_once_and_keeps_the_first_time,
    revoking_an_unknown_token_reports_it,
    cleanup_removes_exactly_the_records_that_can_no_longer_authenticate,
    cleanup_deletes_at_most_a_batch_at_a_time,
    two_concurrent_cleanups_delete_each_record_once,
);

async fn a_recorded_token_is_found_exactly_as_recorded(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let organization = stored_organization(&db, "acme", false).await;
    let mut record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    record.organization_id = Some(organization.id);
    record.issued_at = at(123_456);

    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");

    assert_eq!(
        db.token_record(&record.revocation_id).await.expect("reads"),
        Some(record)
    );
}

async fn a_token_for_an_unknown_user_is_not_recorded(db: TestDatabase) {
    let record = token(UserId::generate(), Timestamp::now(), None);

    let outcome = db.database.record(&[record], &[]).await;

    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
}

async fn a_duplicate_revocation_id_is_a_conflict(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let first = token(user.id, Timestamp::now(), None);
    let second = TokenRecord {
        id: TokenId::generate(),
        ..first.clone()
    };
    db.record(&[first], &[]).await.expect("recorded");

    let outcome = db.record(&[second], &[]).await;

    assert!(
        matches!(outcome, Err(StoreError::Conflict(_))),
        "{outcome:?}"
    );
}

async fn revoking_marks_the_record_once_and_keeps_the_first_time(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");

    assert_eq!(
        db.revoke(record.id, at(1), &event(Action::TokenRevoke))
            .await
            .expect("revokes"),
        Some(Revocation {
            revoked_at: at(1),
            already_revoked: false
        })
    );
    assert_eq!(
        db.revoke(record.id, at(2), &event(Action::TokenRevoke))
            .await
            .expect("revokes again"),
        Some(Revocation {
            revoked_at: at(1),
            already_revoked: true
        })
    );

    let stored = db
        .token_record(&record.revocation_id)
        .await
        .expect("reads")
        .expect("found");
    assert_eq!(stored.revoked_at, Some(at(1)));
}

async fn revoking_an_unknown_token_reports_it(db: TestDatabase) {
    assert_eq!(
        db.database
            .revoke(
                TokenId::generate(),
                Timestamp::now(),
                &event(Action::TokenRevoke)
            )
            .await
            .expect("answers"),
        None
    );
}

async fn cleanup_removes_exactly_the_records_that_can_no_longer_authenticate(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let now = Timestamp::now();
    let cutoff = now.saturating_sub(hours(1));
    let before = cutoff.saturating_sub(hours(1));
    let after = cutoff.saturating_add(std::time::Duration::from_secs(60));
    let later = now.saturating_add(hours(1));
    let stale = [
        token(user.id, before, None),        // expired before the cutoff
        token(user.id, later, Some(before)), // revoked before the cutoff
        token(user.id, before, Some(before)),
    ];
    let kept = [
        token(user.id, later, None),        // can still authenticate
        token(user.id, after, None),        // expired, but after the cutoff: retained
        token(user.id, later, Some(after)), // revoked, but after the cutoff: retained
    ];
    db.record(&stale, &[]).await.expect("recorded");
    db.record(&kept, &[]).await.expect("recorded");

    assert_eq!(db.count_stale(cutoff).await.expect("counts"), 3);
    assert_eq!(
        db.delete_stale(cutoff, 100, &event(Action::TokensCleanup))
            .await
            .expect("deletes"),
        3
    );

    for record in &stale {
        assert_eq!(
            db.token_record(&record.revocation_id).await.expect("reads"),
            None
        );
    }
    for record in &kept {
        assert!(
            db.token_record(&record.revocation_id)
                .await
                .expect("reads")
                .is_some()
        );
    }
    assert_eq!(db.count_stale(cutoff).await.expect("counts"), 0);
}

async fn cleanup_deletes_at_most_a_batch_at_a_time(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let expired = Timestamp::now().saturating_sub(hours(2));
    let records: Vec<TokenRecord> = (0..25).map(|_| token(user.id, expired, None)).collect();
    db.record(&records, &[]).await.expect("recorded");

    let batches: Vec<u64> = [
        db.delete_stale(Timestamp::now(), 10, &event(Action::TokensCleanup))
            .await
            .expect("deletes"),
        db.delete_stale(Timestamp::now(), 10, &event(Action::TokensCleanup))
            .await
            .expect("deletes"),
        db.delete_stale(Timestamp::now(), 10, &event(Action::TokensCleanup))
            .await
            .expect("deletes"),
    ]
    .into();

    assert_eq!(batches, [10, 10, 5]);
}

async fn two_concurrent_cleanups_delete_each_record_once(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let expired = Timestamp::now().saturating_sub(hours(2));
    let records: Vec<TokenRecord> = (0..3_000u32)
        .map(|i| token(user.id, expired, i.is_multiple_of(3).then_some(expired)))
        .collect();
    db.record(&records, &[]).await.expect("recorded");
    let cutoff = Timestamp::now();

    let clean = |db: admin_adapters::Database| async move {
        let mut total = 0;
        loop {
            let deleted = db
                .delete_stale(cutoff, 100, &event(Action::TokensCleanup))
                .await
                .expect("deletes");
            total += deleted;
            if deleted < 100 {
                return total;
            }
        }
    };
    let (first, second) = tokio::join!(clean(db.clone()), clean(db.clone()));

    assert_eq!(
        first + second,
        3_000,
        "every record deleted once: {first} + {second}"
    );
    assert_eq!(db.count_stale(cutoff).await.expect("counts"), 0);
}

/// On PostgreSQL a cleanup batch locks no rows: it waits for its turn while another cleanup's
/// batch holds it, then deletes a full batch (had it picked rows that other batch was deleting,
/// it would find them gone and come back short, and its run would end early).
#[tokio::test]
async fn a_postgres_cleanup_batch_waits_for_its_turn() {
    let Some(test) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let db = test.database.clone();
    let user = stored_user(&db).await;
    let expired = Timestamp::now().saturating_sub(hours(2));
    let records: Vec<TokenRecord> = (0..300).map(|_| token(user.id, expired, None)).collect();
    db.record(&records, &[]).await.expect("recorded");
    let cutoff = Timestamp::now();
    let mut other = AsyncPgConnection::establish(&test.url)
        .await
        .expect("another cleanup's connection");
    let take = format!("SELECT pg_advisory_lock({CLEANUP_TURN})");
    diesel::sql_query(take)
        .execute(&mut other)
        .await
        .expect("the turn taken");

    let cleaning = db.clone();
    let batch = tokio::spawn(async move {
        cleaning
            .delete_stale(cutoff, 100, &event(Action::TokensCleanup))
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!batch.is_finished(), "the batch waits for its turn");
    assert_eq!(db.count_stale(cutoff).await.expect("counts"), 300);

    let give = format!("SELECT pg_advisory_unlock({CLEANUP_TURN})");
    diesel::sql_query(give)
        .execute(&mut other)
        .await
        .expect("the turn given back");
    let deleted = batch.await.expect("the batch ran").expect("deletes");
    assert_eq!(deleted, 100, "a full batch once its turn came");
    assert_eq!(db.count_stale(cutoff).await.expect("counts"), 200);
}

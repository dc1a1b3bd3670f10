use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;

on_both_backends!(
    migrations_apply_from_empty_and_leave_nothing_pending,
    a_database_that_answers_is_ready
);

async fn migrations_apply_from_empty_and_leave_nothing_pending(db: TestDatabase) {
    // TestDatabase created the database empty and migrated it.
    assert_eq!(db.database.pending_migrations().await.expect("inspects"), 0);
    assert_eq!(
        db.database.migrate().await.expect("migrates"),
        0,
        "nothing left to apply"
    );
}

async fn a_database_that_answers_is_ready(db: TestDatabase) {
    db.database.ping().await.expect("answers");
    let status = db.database.pool_status();
    assert!(status.size >= 1 && status.size <= status.max_size);
}

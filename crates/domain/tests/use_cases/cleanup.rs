use std::time::Duration;

use admin_domain::*;
use mockall::Sequence;

use super::support::{Holder, World, ready};

async fn admin() -> Caller {
    Holder::platform(Role::Owner)
        .authenticate(Permission::TokensCleanup)
        .await
        .expect("admin")
}

#[tokio::test]
async fn a_dry_run_counts_and_deletes_nothing() {
    let caller = admin().await;
    let mut world = World::default();
    world
        .tokens
        .expect_count_stale()
        .times(1)
        .returning(|_| ready(Ok(42)));
    world.tokens.expect_delete_stale().never();
    world
        .trail
        .expect_append()
        .withf(|event| {
            event.action == Action::TokensCleanup
                && event.via == Via::Api
                && event.details.get("dry_run") == Some(&Detail::Flag(true))
                && event.details.get("deleted_count") == Some(&Detail::Count(42))
        })
        .times(1)
        .returning(|_| ready(Ok(())));

    let report = world
        .service()
        .cleanup_tokens(&caller, CleanupRequest { dry_run: true })
        .await
        .expect("counts");

    assert_eq!(report.deleted_count, 42);
    assert!(report.dry_run);
}

#[tokio::test]
async fn cleanup_deletes_in_bounded_batches_until_one_comes_back_short() {
    let caller = admin().await;
    let mut world = World {
        settings: Settings {
            cleanup_batch: 100,
            ..Settings::default()
        },
        ..World::default()
    };
    let mut order = Sequence::new();
    for deleted in [100, 100, 7] {
        world
            .tokens
            .expect_delete_stale()
            .withf(|_, batch, _| *batch == 100)
            .times(1)
            .in_sequence(&mut order)
            .returning(move |_, _, _| ready(Ok(deleted)));
    }

    let report = world
        .service()
        .cleanup_tokens(&caller, CleanupRequest::default())
        .await
        .expect("cleans");

    assert_eq!(report.deleted_count, 207);
    assert!(!report.dry_run);
}

#[tokio::test]
async fn the_cutoff_is_now_minus_the_retention() {
    let caller = admin().await;
    let retention = Duration::from_secs(3_600);
    let mut world = World {
        settings: Settings {
            token_retention: retention,
            ..Settings::default()
        },
        ..World::default()
    };
    world
        .tokens
        .expect_delete_stale()
        .returning(|_, _, _| ready(Ok(0)));
    // A run that deletes nothing still records its one event, with its count.
    world
        .trail
        .expect_append()
        .withf(|event| event.details.get("deleted_count") == Some(&Detail::Count(0)))
        .times(1)
        .returning(|_| ready(Ok(())));
    let before = Timestamp::now().saturating_sub(retention);

    let report = world
        .service()
        .cleanup_tokens(&caller, CleanupRequest::default())
        .await
        .expect("cleans");

    let after = Timestamp::now().saturating_sub(retention);
    assert!(before <= report.cutoff && report.cutoff <= after);
}

#[tokio::test]
async fn a_caller_without_tokens_cleanup_is_forbidden_and_nothing_is_touched() {
    let caller = Holder::platform(Role::Member).caller().await;
    let mut world = World::default();
    world.tokens.expect_delete_stale().never();
    world.tokens.expect_count_stale().never();

    let outcome = world
        .service()
        .cleanup_tokens(&caller, CleanupRequest::default())
        .await;

    assert!(matches!(
        outcome,
        Err(AdminError::Forbidden(Permission::TokensCleanup))
    ));
}

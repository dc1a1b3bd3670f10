use admin_domain::*;

use super::support::{Holder, World, forbidden, ready, token, unauthenticated};

const PLATFORM_ONLY: [Permission; 4] = [
    Permission::TokensCleanup,
    Permission::UsersList,
    Permission::OrganizationsList,
    Permission::WorkspacesList,
];

#[tokio::test]
async fn a_token_with_a_bad_signature_does_not_authenticate() {
    let mut world = World::default();
    world
        .authority
        .expect_verify()
        .returning(|_| ready(Err(AuthFailure::BadSignature.into())));
    world.access.expect_caller().never();

    let outcome = world
        .service()
        .authenticate(&token(), Permission::AccessCheck)
        .await;

    assert!(unauthenticated(AuthFailure::BadSignature)(&outcome));
}

#[tokio::test]
async fn a_token_unknown_to_the_store_does_not_authenticate() {
    let mut world = World::default();
    let verified = Holder::new().verified();
    world
        .authority
        .expect_verify()
        .returning(move |_| ready(Ok(verified.clone())));
    world.access.expect_caller().returning(|_| ready(Ok(None)));

    let outcome = world
        .service()
        .authenticate(&token(), Permission::AccessCheck)
        .await;

    assert!(unauthenticated(AuthFailure::Unknown)(&outcome));
}

#[tokio::test]
async fn a_revoked_token_does_not_authenticate() {
    let holder = Holder {
        revoked: true,
        ..Holder::new()
    };
    assert!(unauthenticated(AuthFailure::Revoked)(
        &holder.authenticate(Permission::AccessCheck).await
    ));
}

#[tokio::test]
async fn an_expired_token_does_not_authenticate() {
    let holder = Holder {
        expired: true,
        ..Holder::new()
    };
    assert!(unauthenticated(AuthFailure::Expired)(
        &holder.authenticate(Permission::AccessCheck).await
    ));
}

#[tokio::test]
async fn a_deactivated_users_token_does_not_authenticate() {
    let holder = Holder {
        user_active: false,
        ..Holder::new()
    };
    assert!(unauthenticated(AuthFailure::InactiveUser)(
        &holder.authenticate(Permission::AccessCheck).await
    ));
}

#[tokio::test]
async fn a_record_that_does_not_match_the_claims_does_not_authenticate() {
    let holder = Holder::new();
    let mut world = World::default();
    let verified = holder.verified();
    let mut record = holder.record(&verified);
    record.token.user_id = UserId::generate();
    world
        .authority
        .expect_verify()
        .returning(move |_| ready(Ok(verified.clone())));
    world
        .access
        .expect_caller()
        .returning(move |_| ready(Ok(Some(record.clone()))));

    let outcome = world
        .service()
        .authenticate(&token(), Permission::AccessCheck)
        .await;

    assert!(unauthenticated(AuthFailure::Unknown)(&outcome));
}

#[tokio::test]
async fn a_revoked_expired_unknown_or_inactive_token_is_refused_before_its_checks_run() {
    let refused = [
        (
            AuthFailure::Revoked,
            Holder {
                revoked: true,
                ..Holder::platform(Role::Owner)
            },
        ),
        (
            AuthFailure::Expired,
            Holder {
                expired: true,
                ..Holder::platform(Role::Owner)
            },
        ),
        (
            AuthFailure::InactiveUser,
            Holder {
                user_active: false,
                ..Holder::platform(Role::Owner)
            },
        ),
    ];
    for (failure, holder) in refused {
        let mut world = World::default();
        holder.present_to(&mut world);
        world.authority.expect_authorize().never();
        let outcome = world
            .service()
            .authenticate(&token(), Permission::UsersList)
            .await;
        assert!(unauthenticated(failure)(&outcome), "{failure:?}");
    }

    let mut world = World::default();
    let verified = Holder::new().verified();
    world
        .authority
        .expect_verify()
        .returning(move |_| ready(Ok(verified.clone())));
    world.authority.expect_authorize().never();
    world.access.expect_caller().returning(|_| ready(Ok(None)));
    let outcome = world
        .service()
        .authenticate(&token(), Permission::UsersList)
        .await;
    assert!(unauthenticated(AuthFailure::Unknown)(&outcome));
}

#[tokio::test]
async fn the_callers_permissions_are_checked_before_the_tokens_own_checks_run() {
    let mut world = World::default();
    Holder::platform(Role::Member).present_to(&mut world);
    world.authority.expect_authorize().never();

    let outcome = world
        .service()
        .authenticate(&token(), Permission::UsersList)
        .await;

    assert!(forbidden(Permission::UsersList)(&outcome));
}

#[tokio::test]
async fn saturated_token_verification_is_unavailable_not_unauthenticated() {
    let mut world = World::default();
    world
        .authority
        .expect_verify()
        .returning(|_| ready(Err(AuthorityError::Busy)));
    world.access.expect_caller().never();

    let outcome = world
        .service()
        .authenticate(&token(), Permission::AccessCheck)
        .await;

    assert!(matches!(outcome, Err(AdminError::Unavailable(_))));
}

#[tokio::test]
async fn a_revoked_token_is_unauthenticated_even_when_its_checks_also_reject_the_operation() {
    let holder = Holder {
        revoked: true,
        allows_operation: false,
        ..Holder::platform(Role::Owner)
    };
    assert!(unauthenticated(AuthFailure::Revoked)(
        &holder.authenticate(Permission::UsersList).await
    ));
}

#[tokio::test]
async fn a_token_whose_own_checks_reject_the_operation_is_forbidden_naming_it() {
    let holder = Holder {
        allows_operation: false,
        ..Holder::platform(Role::Admin)
    };
    for operation in Permission::ALL {
        assert!(
            forbidden(operation)(&holder.authenticate(operation).await),
            "{operation}"
        );
    }
}

#[tokio::test]
async fn platform_owners_and_admins_hold_every_permission() {
    for role in [Role::Owner, Role::Admin] {
        for operation in Permission::ALL {
            let caller = Holder::platform(role).authenticate(operation).await;
            assert!(caller.is_ok(), "{role} {operation}");
        }
    }
}

#[tokio::test]
async fn everyone_else_is_forbidden_each_platform_permission_with_its_name() {
    let others = [
        Holder::platform(Role::Member),
        Holder::platform(Role::Viewer),
        Holder::new(),
    ];
    for holder in others {
        for operation in PLATFORM_ONLY {
            assert!(
                forbidden(operation)(&holder.authenticate(operation).await),
                "{holder:?} {operation}"
            );
        }
    }
}

#[tokio::test]
async fn anyone_authenticated_may_check_access_and_platform_status() {
    for operation in [Permission::AccessCheck, Permission::PlatformStatus] {
        assert!(Holder::new().authenticate(operation).await.is_ok());
    }
}

#[tokio::test]
async fn a_demoted_admin_is_forbidden_on_the_very_next_request() {
    let before = Holder::platform(Role::Admin);
    let after = Holder {
        platform_role: Some(Role::Member),
        ..before.clone()
    };
    let mut world = World::default();
    let verified = before.verified();
    let records = [before.record(&verified), after.record(&verified)];
    world
        .authority
        .expect_verify()
        .times(2)
        .returning(move |_| ready(Ok(verified.clone())));
    let mut reads = records.into_iter();
    world
        .access
        .expect_caller()
        .times(2)
        .returning(move |_| ready(Ok(reads.next())));
    world
        .authority
        .expect_authorize()
        .returning(|_, _, _| ready(Ok(true)));
    let service = world.service();

    let first = service.authenticate(&token(), Permission::UsersList).await;
    let second = service.authenticate(&token(), Permission::UsersList).await;

    assert!(first.is_ok());
    assert!(forbidden(Permission::UsersList)(&second));
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable_not_unauthenticated() {
    let mut world = World::default();
    let verified = Holder::new().verified();
    world
        .authority
        .expect_verify()
        .returning(move |_| ready(Ok(verified.clone())));
    world
        .access
        .expect_caller()
        .returning(|_| ready(Err(StoreError::Unavailable("connection refused".into()))));

    let outcome = world
        .service()
        .authenticate(&token(), Permission::AccessCheck)
        .await;

    assert!(matches!(outcome, Err(AdminError::Unavailable(_))));
}

/// A family refused for good (revoked, expired, unknown) is refused again without its record
/// being read: its holder's fresh attenuations cost no read each. An inactive user's is read
/// every time (the user may be reactivated).
#[tokio::test]
async fn a_family_refused_for_good_is_refused_again_without_a_read() {
    for (holder, failure, reads) in [
        (
            Holder {
                revoked: true,
                ..Holder::new()
            },
            AuthFailure::Revoked,
            1,
        ),
        (
            Holder {
                expired: true,
                ..Holder::new()
            },
            AuthFailure::Expired,
            1,
        ),
        (
            Holder {
                user_active: false,
                ..Holder::new()
            },
            AuthFailure::InactiveUser,
            3,
        ),
    ] {
        let mut world = World::default();
        let verified = holder.verified();
        let record = holder.record(&verified);
        world
            .authority
            .expect_verify()
            .times(3)
            .returning(move |_| ready(Ok(verified.clone())));
        world
            .access
            .expect_caller()
            .times(reads)
            .returning(move |_| ready(Ok(Some(record.clone()))));
        world.authority.expect_authorize().never();
        let service = world.service();
        for _ in 0..3 {
            let outcome = service
                .authenticate(&token(), Permission::AccessCheck)
                .await;
            assert!(unauthenticated(failure)(&outcome), "{failure:?}");
        }
    }
}

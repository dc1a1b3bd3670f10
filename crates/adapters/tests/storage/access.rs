use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;
use admin_domain::*;

use super::fixtures::*;

on_both_backends!(
    the_caller_is_read_with_its_token_record_platform_role_and_scope,
    a_caller_outside_the_platform_organization_has_no_platform_role,
    an_unknown_revocation_id_has_no_caller,
    a_deactivated_user_is_reported_inactive,
    role_in_reports_the_membership_and_nothing_for_strangers_and_unknown_organizations,
);

async fn the_caller_is_read_with_its_token_record_platform_role_and_scope(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let platform = stored_organization(&db, "platform", true).await;
    member(&db, user.id, platform.id, Role::Admin).await;
    let mut record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    record.organization_id = Some(platform.id);
    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");

    let caller = db
        .caller(&record.revocation_id)
        .await
        .expect("reads")
        .expect("found");

    assert_eq!(caller.token, record);
    assert!(caller.user_active);
    assert_eq!(caller.platform_role, Some(Role::Admin));
    assert!(caller.scoped_to_platform);
}

async fn a_caller_outside_the_platform_organization_has_no_platform_role(db: TestDatabase) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    stored_organization(&db, "platform", true).await;
    let customer = stored_organization(&db, "customer", false).await;
    member(&db, user.id, customer.id, Role::Owner).await;
    let mut record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    record.organization_id = Some(customer.id);
    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");

    let caller = db
        .caller(&record.revocation_id)
        .await
        .expect("reads")
        .expect("found");

    assert_eq!(caller.platform_role, None);
    assert!(!caller.scoped_to_platform);
}

async fn an_unknown_revocation_id_has_no_caller(db: TestDatabase) {
    let unknown = RevocationId::parse("0123abcd").unwrap();
    assert_eq!(db.database.caller(&unknown).await.expect("reads"), None);
}

async fn a_deactivated_user_is_reported_inactive(db: TestDatabase) {
    let db = db.database.clone();
    let mut user = user(1, Timestamp::now());
    user.is_active = false;
    db.add_users(std::slice::from_ref(&user), &[])
        .await
        .expect("stored");
    let record = token(user.id, Timestamp::now().saturating_add(hours(1)), None);
    db.record(std::slice::from_ref(&record), &[])
        .await
        .expect("recorded");

    let caller = db
        .caller(&record.revocation_id)
        .await
        .expect("reads")
        .expect("found");

    assert!(!caller.user_active);
    assert!(
        !caller.scoped_to_platform,
        "an unscoped token is not scoped to the platform"
    );
}

async fn role_in_reports_the_membership_and_nothing_for_strangers_and_unknown_organizations(
    db: TestDatabase,
) {
    let db = db.database.clone();
    let user = stored_user(&db).await;
    let stranger = stored_user_named(&db, 2).await;
    let organization = stored_organization(&db, "acme", false).await;
    member(&db, user.id, organization.id, Role::Viewer).await;

    assert_eq!(
        db.role_in(user.id, organization.id).await.expect("reads"),
        Some(Role::Viewer)
    );
    assert_eq!(
        db.role_in(stranger.id, organization.id)
            .await
            .expect("reads"),
        None
    );
    assert_eq!(
        db.role_in(user.id, OrganizationId::generate())
            .await
            .expect("reads"),
        None
    );

    member(&db, user.id, organization.id, Role::Owner).await;
    assert_eq!(
        db.role_in(user.id, organization.id).await.expect("reads"),
        Some(Role::Owner),
        "a role changes in place"
    );
}

async fn stored_user_named(db: &admin_adapters::Database, n: usize) -> User {
    let user = user(n, Timestamp::now());
    db.add_users(std::slice::from_ref(&user), &[])
        .await
        .expect("stored");
    user
}

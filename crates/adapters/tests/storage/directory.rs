use std::collections::HashSet;

use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;
use admin_domain::*;

use super::fixtures::*;

on_both_backends!(
    users_pages_walk_to_the_end_with_no_row_missing_or_repeated_while_rows_are_inserted,
    rows_sharing_a_creation_time_are_ordered_by_id,
    organizations_carry_their_member_and_workspace_counts,
    workspaces_page_in_keyset_order,
    a_taken_slug_is_a_conflict,
    a_second_platform_organization_is_a_conflict,
    a_taken_email_is_a_conflict,
    a_workspace_in_an_unknown_organization_is_not_found,
    users_and_organizations_are_found_by_id,
    cursors_at_the_ends_of_time_read_without_error,
    counts_follow_memberships_and_workspaces_as_they_come_and_go,
    concurrent_writers_to_the_same_organizations_all_succeed_and_are_counted,
);

/// Every user, `limit` at a time, oldest first, calling `between` after each page.
async fn walk_users(
    db: &admin_adapters::Database,
    limit: usize,
    between: impl AsyncFnMut(),
) -> Vec<User> {
    let read = async |seek: Seek| {
        db.users(&UserFilter::default(), &seek)
            .await
            .expect("reads")
    };
    walk(Listing::Users, Order::Asc, limit, read, between).await
}

/// The first `rows` organizations, oldest first.
async fn organizations(db: &admin_adapters::Database, rows: usize) -> Vec<OrganizationSummary> {
    let seek = Seek {
        rows,
        ..PageRequest::first(Listing::Organizations).seek()
    };
    db.organizations(&OrganizationFilter::default(), &seek)
        .await
        .expect("reads")
        .rows
}

async fn users_pages_walk_to_the_end_with_no_row_missing_or_repeated_while_rows_are_inserted(
    db: TestDatabase,
) {
    let db = db.database.clone();
    let existing: Vec<User> = (0..40).map(|i| user(i, at(i as i64 * 1_000))).collect();
    db.add_users(&existing, &[]).await.expect("stored");
    let mut inserted = Vec::new();
    let mut n = 100;

    let seen = walk_users(&db, 7, async || {
        // A row created now lands after every existing one; one back-dated lands before the
        // cursor and must not disturb the walk.
        let new = [user(n, Timestamp::now()), user(n + 1, at(-1))];
        db.add_users(&new, &[]).await.expect("stored");
        inserted.push(new[0].id);
        n += 2;
    })
    .await;

    let ids: Vec<UserId> = seen.iter().map(|u| u.id).collect();
    let unique: HashSet<UserId> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no user repeated");
    let existing_ids: Vec<UserId> = existing.iter().map(|u| u.id).collect();
    assert_eq!(
        ids[..40],
        existing_ids[..],
        "every existing user, in creation order"
    );
    for id in &inserted[..inserted.len() - 1] {
        assert!(
            unique.contains(id),
            "rows created while walking appear at the end"
        );
    }
    let key = |user: &User| (user.created_at, user.id.as_uuid());
    assert!(
        seen.windows(2).all(|w| key(&w[0]) < key(&w[1])),
        "strictly ascending"
    );
    assert_eq!(seen[0], existing[0], "every field read back exactly");
}

async fn rows_sharing_a_creation_time_are_ordered_by_id(db: TestDatabase) {
    let db = db.database.clone();
    let same = at(5);
    let users: Vec<User> = (0..9).map(|i| user(i, same)).collect();
    db.add_users(&users, &[]).await.expect("stored");
    let mut expected: Vec<UserId> = users.iter().map(|u| u.id).collect();
    expected.sort_by_key(|id| *id.as_uuid().as_bytes());

    let seen: Vec<UserId> = walk_users(&db, 2, async || {})
        .await
        .iter()
        .map(|u| u.id)
        .collect();

    assert_eq!(seen, expected);
}

async fn organizations_carry_their_member_and_workspace_counts(db: TestDatabase) {
    let db = db.database.clone();
    let busy = Organization {
        created_at: at(1),
        ..organization("busy", false)
    };
    let empty = Organization {
        created_at: at(2),
        ..organization("empty", false)
    };
    db.add_organizations(&[busy.clone(), empty.clone()], &[])
        .await
        .expect("stored");
    for n in 0..3 {
        let user = user(n, Timestamp::now());
        db.add_users(std::slice::from_ref(&user), &[])
            .await
            .expect("stored");
        member(&db, user.id, busy.id, Role::Member).await;
    }
    let workspaces = [
        workspace(busy.id, "a", at(1)),
        workspace(busy.id, "b", at(2)),
    ];
    db.add_workspaces(&workspaces, &[]).await.expect("stored");

    let page = organizations(&db, 10).await;

    let counts: Vec<(OrganizationId, u64, u64)> = page
        .iter()
        .map(|o| (o.organization.id, o.member_count, o.workspace_count))
        .collect();
    assert_eq!(counts, [(busy.id, 3, 2), (empty.id, 0, 0)]);
    assert_eq!(page[0].organization, busy);
}

async fn workspaces_page_in_keyset_order(db: TestDatabase) {
    let db = db.database.clone();
    let organization = stored_organization(&db, "acme", false).await;
    let rows: Vec<Workspace> = (0..5)
        .rev()
        .map(|i| workspace(organization.id, &format!("w{i}"), at(i)))
        .collect();
    db.add_workspaces(&rows, &[]).await.expect("stored");

    let read = async |seek: Seek| {
        db.workspaces(&WorkspaceFilter::default(), &seek)
            .await
            .expect("reads")
    };
    let seen = walk(Listing::Workspaces, Order::Asc, 3, read, async || {}).await;

    let slugs: Vec<&str> = seen.iter().map(|w| w.slug.as_str()).collect();
    assert_eq!(slugs, ["w0", "w1", "w2", "w3", "w4"]);
}

async fn a_taken_slug_is_a_conflict(db: TestDatabase) {
    stored_organization(&db.database, "acme", false).await;
    let outcome = db
        .database
        .add_organizations(&[organization("acme", false)], &[])
        .await;
    assert!(
        matches!(&outcome, Err(StoreError::Conflict(Conflict::SlugTaken))),
        "{outcome:?}"
    );
}

async fn a_second_platform_organization_is_a_conflict(db: TestDatabase) {
    stored_organization(&db.database, "platform", true).await;
    let outcome = db
        .database
        .add_organizations(&[organization("other", true)], &[])
        .await;
    assert!(
        matches!(
            &outcome,
            Err(StoreError::Conflict(Conflict::SecondPlatform))
        ),
        "{outcome:?}"
    );
    stored_organization(&db.database, "customer", false).await;
}

async fn a_taken_email_is_a_conflict(db: TestDatabase) {
    let first = stored_user(&db.database).await;
    let again = User {
        id: UserId::generate(),
        ..first
    };
    let outcome = db.database.add_users(&[again], &[]).await;
    assert!(
        matches!(&outcome, Err(StoreError::Conflict(Conflict::EmailTaken))),
        "{outcome:?}"
    );
}

async fn a_workspace_in_an_unknown_organization_is_not_found(db: TestDatabase) {
    let outcome = db
        .database
        .add_workspaces(&[workspace(OrganizationId::generate(), "w", at(0))], &[])
        .await;
    assert!(
        matches!(outcome, Err(StoreError::NotFound(_))),
        "{outcome:?}"
    );
}

async fn users_and_organizations_are_found_by_id(db: TestDatabase) {
    let user = stored_user(&db.database).await;
    let organization = stored_organization(&db.database, "acme", false).await;
    assert_eq!(
        db.database.find_user(user.id).await.expect("reads"),
        Some(user)
    );
    assert_eq!(
        db.database
            .find_user(UserId::generate())
            .await
            .expect("reads"),
        None
    );
    assert_eq!(
        db.database
            .find_organization(organization.id)
            .await
            .expect("reads")
            .map(|summary| summary.organization),
        Some(organization)
    );
    assert_eq!(
        db.database
            .find_organization(OrganizationId::generate())
            .await
            .expect("reads"),
        None
    );
}

async fn cursors_at_the_ends_of_time_read_without_error(db: TestDatabase) {
    stored_user(&db.database).await;
    let id = UserId::generate().as_uuid();
    let read = async |order, at| {
        let seek = Seek {
            order,
            after: Position { at, id },
            rows: 10,
            total: false,
        };
        let rows = db.database.users(&UserFilter::default(), &seek).await;
        rows.expect("reads").rows.len()
    };
    assert_eq!(read(Order::Asc, Timestamp::MIN).await, 1);
    assert_eq!(read(Order::Asc, Timestamp::MAX).await, 0);
    assert_eq!(read(Order::Desc, Timestamp::MAX).await, 1);
    assert_eq!(read(Order::Desc, Timestamp::MIN).await, 0);
}

async fn counts_follow_memberships_and_workspaces_as_they_come_and_go(db: TestDatabase) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    let other = stored_organization(&db, "other", false).await;
    let users: Vec<User> = (0..4).map(|i| user(i, Timestamp::now())).collect();
    db.add_users(&users, &[]).await.expect("stored");
    let counts = || async {
        let page = organizations(&db, 10).await;
        page.iter()
            .map(|o| (o.member_count, o.workspace_count))
            .collect::<Vec<_>>()
    };

    let memberships: Vec<Membership> = users
        .iter()
        .map(|u| Membership {
            user_id: u.id,
            organization_id: acme.id,
            role: Role::Member,
            joined_at: Timestamp::now(),
        })
        .collect();
    db.set_memberships(&memberships, &[]).await.expect("bulk");
    db.add_workspaces(
        &[
            workspace(acme.id, "a", at(1)),
            workspace(other.id, "b", at(2)),
        ],
        &[],
    )
    .await
    .expect("stored");
    assert_eq!(counts().await, [(4, 1), (0, 1)]);

    member(&db, users[0].id, acme.id, Role::Owner).await;
    member(&db, users[0].id, other.id, Role::Viewer).await;
    assert_eq!(
        counts().await,
        [(4, 1), (1, 1)],
        "a role change is not a new member"
    );
    assert_eq!(
        db.role_in(users[0].id, acme.id).await.expect("reads"),
        Some(Role::Owner)
    );
}

/// Every writer checks the organizations exist (a key-share lock on PostgreSQL) before its
/// trigger moves their counters: that must queue writers, never deadlock them.
async fn concurrent_writers_to_the_same_organizations_all_succeed_and_are_counted(
    db: TestDatabase,
) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    let other = stored_organization(&db, "other", false).await;
    let users: Vec<User> = (0..400).map(|i| user(i, Timestamp::now())).collect();
    db.add_users(&users, &[]).await.expect("stored");

    let writers: Vec<_> = users
        .chunks(50)
        .enumerate()
        .map(|(n, chunk)| {
            let db = db.clone();
            // Half the writers name the organizations in one order, half in the other.
            let (first, second) = if n % 2 == 0 {
                (acme.id, other.id)
            } else {
                (other.id, acme.id)
            };
            let memberships: Vec<Membership> = chunk
                .iter()
                .enumerate()
                .map(|(i, u)| Membership {
                    user_id: u.id,
                    organization_id: if i % 2 == 0 { first } else { second },
                    role: Role::Member,
                    joined_at: Timestamp::now(),
                })
                .collect();
            tokio::spawn(async move { db.set_memberships(&memberships, &[]).await })
        })
        .collect();
    for writer in writers {
        writer.await.expect("the writer ran").expect("written");
    }

    let page = organizations(&db, 10).await;
    let counts: Vec<u64> = page.iter().map(|o| o.member_count).collect();
    assert_eq!(counts, [200, 200]);
}

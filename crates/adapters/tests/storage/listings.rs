//! Part 2's listings on real databases: every filter alone and combined, prefixes as text,
//! both orders while rows arrive, the sub-listings, exact totals, single rows.

use std::collections::HashSet;
use std::fmt::Debug;

use admin_adapters::database::{DatabaseUrl, PoolSettings, SELECTIVE};
use admin_adapters::testing::{
    Backend, TestDatabase, analyze, index_scans_above, rows_fetched_above,
};
use admin_adapters::{Database, on_both_backends};
use admin_domain::*;
use uuid::Uuid;

use super::fixtures::*;

on_both_backends!(
    users_are_found_by_email_in_any_case_by_its_start_and_by_activity,
    emails_written_in_mixed_case_behind_the_service_are_lowercased_and_found,
    users_whose_emails_differ_only_in_case_stop_the_migration_by_name,
    organizations_are_found_by_slug_by_the_start_of_the_name_and_by_platform,
    workspaces_are_found_by_organization_and_by_the_start_of_the_name,
    a_prefix_is_text_not_a_pattern,
    a_prefix_matching_many_rows_reads_them_all_in_both_orders,
    a_long_prefix_with_another_filter_walks_every_page,
    every_listing_walks_in_both_orders_with_rows_inserted_between_pages,
    members_and_memberships_are_found_by_role_and_keep_when_they_joined,
    totals_are_exact_after_inserts_deletes_and_role_changes,
    single_resources_equal_their_listing_items,
    memberships_made_before_the_migration_joined_when_both_sides_existed,
    members_carry_their_user_however_it_was_written,
    a_filter_no_stored_text_can_match_matches_nothing,
    filtered_pages_are_read_through_their_own_indexes,
    a_broad_prefix_reads_only_its_pages_rows_from_the_table,
    a_broad_prefix_is_probed_once_for_its_pages,
    a_broad_name_prefix_lists_every_organization_and_workspace_it_starts,
);

/// Every row a listing holds, in `order`, read 7 at a time.
async fn all<T: Listed>(order: Order, read: impl AsyncFnMut(Seek) -> Rows<T>) -> Vec<T> {
    // The listing is irrelevant to reading: only the cursors name it.
    walk(Listing::Users, order, 7, read, async || {}).await
}

/// The rows `filter` keeps, checked to be the same both ways and to be what the total counts.
async fn users_where(db: &Database, filter: UserFilter) -> Vec<String> {
    users_paged(db, filter, 7).await
}

/// [`users_where`], read `size` at a time.
async fn users_paged(db: &Database, filter: UserFilter, size: usize) -> Vec<String> {
    let read = async |seek: Seek| db.users(&filter, &seek).await.expect("reads");
    let asc = walk(Listing::Users, Order::Asc, size, read, async || {}).await;
    let read = async |seek: Seek| db.users(&filter, &seek).await.expect("reads");
    let mut desc = walk(Listing::Users, Order::Desc, size, read, async || {}).await;
    desc.reverse();
    assert_eq!(asc, desc, "{filter:?}: the same rows both ways");
    let total = total(async |seek: Seek| db.users(&filter, &seek).await.expect("counts")).await;
    assert_eq!(total, asc.len() as u64, "{filter:?}: the total");
    asc.into_iter()
        .map(|u| u.email.as_str().to_owned())
        .collect()
}

async fn organizations_where(db: &Database, filter: OrganizationFilter) -> Vec<String> {
    let read = async |seek: Seek| db.organizations(&filter, &seek).await.expect("reads");
    let asc = all(Order::Asc, read).await;
    let read = async |seek: Seek| db.organizations(&filter, &seek).await.expect("reads");
    let mut desc = all(Order::Desc, read).await;
    desc.reverse();
    assert_eq!(asc, desc, "{filter:?}: the same rows both ways");
    let read = async |seek: Seek| db.organizations(&filter, &seek).await.expect("counts");
    assert_eq!(total(read).await, asc.len() as u64, "{filter:?}");
    asc.into_iter()
        .map(|o| o.organization.name.as_str().to_owned())
        .collect()
}

async fn workspaces_where(db: &Database, filter: WorkspaceFilter) -> Vec<String> {
    let read = async |seek: Seek| db.workspaces(&filter, &seek).await.expect("reads");
    let asc = all(Order::Asc, read).await;
    let read = async |seek: Seek| db.workspaces(&filter, &seek).await.expect("reads");
    let mut desc = all(Order::Desc, read).await;
    desc.reverse();
    assert_eq!(asc, desc, "{filter:?}: the same rows both ways");
    let read = async |seek: Seek| db.workspaces(&filter, &seek).await.expect("counts");
    assert_eq!(total(read).await, asc.len() as u64, "{filter:?}");
    asc.into_iter()
        .map(|w| w.name.as_str().to_owned())
        .collect()
}

fn caseless(text: &str) -> Option<Caseless> {
    Some(Caseless::new(text))
}

fn person(email: &str, is_active: bool, micros: i64) -> User {
    User {
        email: Email::parse(email).unwrap(),
        is_active,
        ..user(0, at(micros))
    }
}

/// The migration that lowercases stored emails.
const LOWERCASE_EMAILS: &str = "2026-12-05-000000";

/// Rows written in mixed case by raw SQL before the migration (a legacy import, a sibling
/// service) are lowercased by it and found by both email filters; after it, no writer can
/// store an email with an uppercase letter.
async fn emails_written_in_mixed_case_behind_the_service_are_lowercased_and_found(
    db: TestDatabase,
) {
    let db = db.database.clone();
    let reverted = db
        .revert_migrations_through(LOWERCASE_EMAILS)
        .await
        .expect("reverts");
    db.add_users(
        &[
            person("alice.smith@example.com", true, 1),
            person("bob@example.com", true, 2),
        ],
        &[],
    )
    .await
    .expect("stored");
    db.execute_raw(
        "UPDATE users SET email = 'Alice.Smith@Example.COM' WHERE email = 'alice.smith@example.com'",
    )
    .await
    .expect("a writer behind the service's back");
    let exact = |text: &str| UserFilter {
        email: caseless(text),
        ..UserFilter::default()
    };
    let prefix = |text: &str| UserFilter {
        email_prefix: caseless(text),
        ..UserFilter::default()
    };
    // Before the migration, the row is invisible to both filters: the bug it fixes.
    assert!(
        users_where(&db, exact("alice.smith@example.com"))
            .await
            .is_empty()
    );
    assert!(users_where(&db, prefix("alice")).await.is_empty());
    assert_eq!(db.migrate().await.expect("migrates"), reverted);

    let alice = vec!["alice.smith@example.com".to_owned()];
    assert_eq!(
        users_where(&db, exact("Alice.Smith@Example.com")).await,
        alice
    );
    assert_eq!(
        users_where(&db, exact("alice.smith@example.com")).await,
        alice
    );
    assert_eq!(users_where(&db, prefix("ALICE.")).await, alice);
    assert_eq!(users_where(&db, prefix("alice.s")).await, alice);
    for refused in [
        "UPDATE users SET email = 'Bob@example.com' WHERE email = 'bob@example.com'",
        "INSERT INTO users (id, email, display_name, is_active, created_at) \
         SELECT '00000000-0000-4000-8000-000000000001', 'Carol@Example.com', display_name, \
         is_active, created_at FROM users WHERE email = 'bob@example.com'",
    ] {
        db.execute_raw(refused).await.expect_err(refused);
    }
    assert_eq!(
        users_where(&db, UserFilter::default()).await,
        vec!["alice.smith@example.com", "bob@example.com"]
    );
}

/// Two users whose emails differ only in case cannot both be lowercased: `migrate` stops
/// before changing anything, naming both, and goes on once one of them has another address.
async fn users_whose_emails_differ_only_in_case_stop_the_migration_by_name(db: TestDatabase) {
    let db = db.database.clone();
    let reverted = db
        .revert_migrations_through(LOWERCASE_EMAILS)
        .await
        .expect("reverts");
    let (bob, twin) = (
        person("bob@example.com", true, 1),
        person("twin@example.com", true, 2),
    );
    db.add_users(&[bob.clone(), twin.clone()], &[])
        .await
        .expect("stored");
    db.execute_raw("UPDATE users SET email = 'BOB@example.com' WHERE email = 'twin@example.com'")
        .await
        .expect("a writer behind the service's back");

    let error = db.migrate().await.expect_err("refused").to_string();
    assert!(error.contains("differ only in case"), "{error}");
    assert!(
        error.contains(&format!("{} (BOB@example.com)", twin.id)),
        "{error}"
    );
    assert!(
        error.contains(&format!("{} (bob@example.com)", bob.id)),
        "{error}"
    );
    assert_eq!(db.pending_migrations().await.expect("inspects"), reverted);

    db.execute_raw("UPDATE users SET email = 'robert@example.com' WHERE email = 'BOB@example.com'")
        .await
        .expect("renamed");
    assert_eq!(db.migrate().await.expect("migrates"), reverted);
}

fn named(name: &str, slug: &str, is_platform: bool, micros: i64) -> Organization {
    Organization {
        name: Name::parse(name).unwrap(),
        created_at: at(micros),
        ..organization(slug, is_platform)
    }
}

async fn users_are_found_by_email_in_any_case_by_its_start_and_by_activity(db: TestDatabase) {
    let db = db.database.clone();
    db.add_users(
        &[
            person("ada@example.com", true, 1),
            person("Ada.Lovelace@Example.org", true, 2),
            person("adam@example.com", true, 3),
            person("adele@example.com", false, 4),
            person("bob@example.com", true, 5),
        ],
        &[],
    )
    .await
    .expect("stored");
    let filter = |email: Option<&str>, prefix: Option<&str>, active: Option<bool>| UserFilter {
        email: email.map(Caseless::new),
        email_prefix: prefix.map(Caseless::new),
        is_active: active,
    };

    let ada = ["ada@example.com"];
    let ad = [
        "ada@example.com",
        "ada.lovelace@example.org",
        "adam@example.com",
        "adele@example.com",
    ];
    let cases: Vec<(UserFilter, Vec<&str>)> = vec![
        (filter(Some("ADA@EXAMPLE.COM"), None, None), ada.to_vec()),
        (filter(Some("ada@example"), None, None), vec![]),
        (filter(None, Some("AD"), None), ad.to_vec()),
        (
            filter(None, Some("ada."), None),
            vec!["ada.lovelace@example.org"],
        ),
        (filter(None, None, Some(false)), vec!["adele@example.com"]),
        (
            filter(None, None, Some(true)),
            vec![ad[0], ad[1], ad[2], "bob@example.com"],
        ),
        (filter(None, Some("ad"), Some(true)), ad[..3].to_vec()),
        (filter(Some("adele@example.com"), None, Some(true)), vec![]),
        (
            filter(Some("bob@example.com"), Some("B"), None),
            vec!["bob@example.com"],
        ),
        (filter(Some("bob@example.com"), Some("a"), None), vec![]),
        (filter(None, Some("zzz"), None), vec![]),
        (
            filter(None, None, None),
            [&ad[..], &["bob@example.com"]].concat(),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            users_where(&db, filter.clone()).await,
            expected,
            "{filter:?}"
        );
    }
}

async fn organizations_are_found_by_slug_by_the_start_of_the_name_and_by_platform(
    db: TestDatabase,
) {
    let db = db.database.clone();
    db.add_organizations(
        &[
            named("Acme Corp", "acme", false, 1),
            named("ACME Labs", "acme-labs", false, 2),
            named("Platform", "platform", true, 3),
            named("Beta", "beta", false, 4),
        ],
        &[],
    )
    .await
    .expect("stored");
    let filter = |slug: Option<&str>, prefix: Option<&str>, platform| OrganizationFilter {
        slug: slug.map(Caseless::new),
        name_prefix: prefix.map(Caseless::new),
        is_platform: platform,
    };

    let cases = [
        (filter(Some("ACME"), None, None), vec!["Acme Corp"]),
        (filter(Some("acm"), None, None), vec![]),
        (
            filter(None, Some("acme"), None),
            vec!["Acme Corp", "ACME Labs"],
        ),
        (filter(None, Some("ACME L"), None), vec!["ACME Labs"]),
        (filter(None, None, Some(true)), vec!["Platform"]),
        (
            filter(None, None, Some(false)),
            vec!["Acme Corp", "ACME Labs", "Beta"],
        ),
        (filter(None, Some("p"), Some(false)), vec![]),
        (filter(Some("beta"), Some("b"), Some(false)), vec!["Beta"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            organizations_where(&db, filter.clone()).await,
            expected,
            "{filter:?}"
        );
    }
}

async fn workspaces_are_found_by_organization_and_by_the_start_of_the_name(db: TestDatabase) {
    let db = db.database.clone();
    let (one, other) = (
        stored_organization(&db, "one", false).await,
        stored_organization(&db, "other", false).await,
    );
    let named = |organization, name: &str, slug: &str, micros| Workspace {
        name: Name::parse(name).unwrap(),
        ..workspace(organization, slug, at(micros))
    };
    db.add_workspaces(
        &[
            named(one.id, "Prod EU", "prod-eu", 1),
            named(one.id, "prod US", "prod-us", 2),
            named(one.id, "Staging", "staging", 3),
            named(other.id, "Production", "production", 4),
        ],
        &[],
    )
    .await
    .expect("stored");
    let filter = |organization: Option<OrganizationId>, prefix: Option<&str>| WorkspaceFilter {
        organization_id: organization,
        name_prefix: prefix.map(Caseless::new),
    };

    let cases = [
        (
            filter(Some(one.id), None),
            vec!["Prod EU", "prod US", "Staging"],
        ),
        (
            filter(None, Some("PROD")),
            vec!["Prod EU", "prod US", "Production"],
        ),
        (
            filter(Some(one.id), Some("prod")),
            vec!["Prod EU", "prod US"],
        ),
        (filter(Some(other.id), Some("s")), vec![]),
        (filter(Some(OrganizationId::generate()), None), vec![]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            workspaces_where(&db, filter.clone()).await,
            expected,
            "{filter:?}"
        );
    }
}

async fn a_prefix_is_text_not_a_pattern(db: TestDatabase) {
    let db = db.database.clone();
    let names = [
        "50% off",
        "50_ off",
        "50\\ off",
        "500 off",
        "Über",
        "über uns",
        "ÜBERALL",
        "uber",
        "日本語",
    ];
    let organizations: Vec<Organization> = names
        .iter()
        .enumerate()
        .map(|(i, name)| named(name, &format!("o{i}"), false, i as i64))
        .collect();
    db.add_organizations(&organizations, &[])
        .await
        .expect("stored");
    db.add_users(
        &[
            person("a%b@example.com", true, 1),
            person("a_b@example.com", true, 2),
            person("axb@example.com", true, 3),
        ],
        &[],
    )
    .await
    .expect("stored");
    let prefix = |text: &str| OrganizationFilter {
        name_prefix: caseless(text),
        ..OrganizationFilter::default()
    };
    let email_prefix = |text: &str| UserFilter {
        email_prefix: caseless(text),
        ..UserFilter::default()
    };

    assert_eq!(organizations_where(&db, prefix("50%")).await, ["50% off"]);
    assert_eq!(organizations_where(&db, prefix("50_")).await, ["50_ off"]);
    assert_eq!(organizations_where(&db, prefix("50\\")).await, ["50\\ off"]);
    assert_eq!(organizations_where(&db, prefix("50")).await, &names[..4]);
    let uber = ["Über", "über uns", "ÜBERALL"];
    assert_eq!(organizations_where(&db, prefix("über")).await, uber);
    assert_eq!(organizations_where(&db, prefix("ÜB")).await, uber);
    assert_eq!(organizations_where(&db, prefix("u")).await, ["uber"]);
    assert_eq!(organizations_where(&db, prefix("日本")).await, ["日本語"]);
    assert!(
        organizations_where(&db, prefix("\u{10FFFF}"))
            .await
            .is_empty()
    );
    assert_eq!(
        users_where(&db, email_prefix("a%")).await,
        ["a%b@example.com"]
    );
    assert_eq!(
        users_where(&db, email_prefix("a_")).await,
        ["a_b@example.com"]
    );
    assert!(users_where(&db, email_prefix("a\\")).await.is_empty());
}

/// More rows than the selective strategy takes: read in keyset order through the index of the
/// prefix's first three characters, among eleven times as many rows that share those but not
/// the prefix, interleaved with them (so that pages take several statements).
async fn a_prefix_matching_many_rows_reads_them_all_in_both_orders(db: TestDatabase) {
    let db = db.database.clone();
    let bulk: Vec<User> = (0..SELECTIVE as i64 + 100)
        .map(|i| person(&format!("bulk{i}@example.com"), i % 100 != 0, i * 12))
        .collect();
    let near: Vec<User> = (0..(SELECTIVE as i64 + 100) * 12)
        .filter(|i| i % 12 != 0)
        .map(|i| person(&format!("bulb{i}@example.com"), true, i))
        .collect();
    let others: Vec<User> = (0..50)
        .map(|i| person(&format!("other{i}@example.com"), true, i))
        .collect();
    for part in [&bulk, &near, &others] {
        db.add_users(part, &[]).await.expect("stored");
    }

    let expected: Vec<&str> = bulk.iter().map(|u| u.email.as_str()).collect();
    for size in [7, 200] {
        let found = users_paged(
            &db,
            UserFilter {
                email_prefix: caseless("BULK"),
                ..UserFilter::default()
            },
            size,
        )
        .await;
        assert_eq!(found, expected, "pages of {size}");
    }
    let inactive = users_paged(
        &db,
        UserFilter {
            email_prefix: caseless("bulk"),
            is_active: Some(false),
            ..UserFilter::default()
        },
        200,
    )
    .await;
    assert_eq!(inactive.len(), (SELECTIVE + 100).div_ceil(100));
    let short = users_paged(
        &db,
        UserFilter {
            email_prefix: caseless("bul"),
            ..UserFilter::default()
        },
        200,
    )
    .await;
    assert_eq!(short.len(), bulk.len() + near.len());
}

/// A prefix longer than the heads that matches few rows, with another filter that keeps only
/// the later of them: the page is chosen among every match after the cursor, not among the
/// first page's worth (which the filter may empty, ending the walk early).
async fn a_long_prefix_with_another_filter_walks_every_page(db: TestDatabase) {
    let db = db.database.clone();
    let first = stored_organization(&db, "first", false).await;
    let second = stored_organization(&db, "second", false).await;
    let mut workspaces: Vec<Workspace> = (0..120)
        .map(|i| workspace(first.id, &format!("w{i}"), at(i)))
        .collect();
    workspaces.extend((0..10).map(|i| workspace(second.id, &format!("x{i}"), at(200 + i))));
    db.add_workspaces(&workspaces, &[]).await.expect("stored");
    let found = workspaces_where(
        &db,
        WorkspaceFilter {
            organization_id: Some(second.id),
            name_prefix: caseless("workspace"),
        },
    )
    .await;
    let expected: Vec<String> = (0..10).map(|i| format!("Workspace x{i}")).collect();
    assert_eq!(found, expected);

    let users: Vec<User> = (0..120)
        .map(|i| person(&format!("team{i:03}@example.com"), i < 110, i))
        .collect();
    db.add_users(&users, &[]).await.expect("stored");
    let inactive = users_paged(
        &db,
        UserFilter {
            email_prefix: caseless("team"),
            is_active: Some(false),
            ..UserFilter::default()
        },
        7,
    )
    .await;
    let expected: Vec<String> = (110..120)
        .map(|i| format!("team{i:03}@example.com"))
        .collect();
    assert_eq!(inactive, expected);
}

/// Walks a listing in `order`, `inserting` two rows between pages: one at a time the walk has
/// yet to reach (`ahead`), one it has passed. Every row there was is seen once, in order; every
/// row inserted ahead but the last is seen too; none inserted behind is.
async fn walk_while_inserting<T: Listed + Clone + PartialEq + Debug>(
    listing: Listing,
    order: Order,
    read: impl AsyncFn(Seek) -> Rows<T>,
    insert: impl AsyncFn(Timestamp) -> Uuid,
) {
    let before = all(order, async |seek| read(seek).await).await;
    assert!(before.len() > 10, "enough rows for several pages");
    let (mut ahead, mut behind) = (Vec::new(), Vec::new());
    let mut n = 0i64;
    let seen = walk(
        listing,
        order,
        4,
        async |seek| read(seek).await,
        async || {
            n += 1;
            let (soon, late) = match order {
                Order::Asc => (Timestamp::now(), at(-20_000_000 - n)),
                Order::Desc => (at(-40_000_000 - n), Timestamp::now()),
            };
            ahead.push(insert(soon).await);
            behind.push(insert(late).await);
        },
    )
    .await;

    let ids: Vec<Uuid> = seen.iter().map(|row| row.position().id).collect();
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "{listing:?} {order:?}: none repeated"
    );
    assert_eq!(seen[..before.len()], before[..], "{listing:?} {order:?}");
    assert!(strictly_ordered(&seen, order), "{listing:?} {order:?}");
    for id in &ahead[..ahead.len() - 1] {
        assert!(unique.contains(id), "{listing:?} {order:?}: a row ahead");
    }
    assert!(behind.iter().all(|id| !unique.contains(id)));
}

async fn every_listing_walks_in_both_orders_with_rows_inserted_between_pages(db: TestDatabase) {
    let db = db.database.clone();
    let (hub, person) = (
        stored_organization(&db, "hub", false).await,
        stored_user(&db).await,
    );
    let n = std::sync::atomic::AtomicUsize::new(0);
    let next = || n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let new_user = async |created_at: Timestamp| {
        let user = user(next(), created_at);
        db.add_users(std::slice::from_ref(&user), &[])
            .await
            .expect("stored");
        user.id
    };
    let new_organization = async |created_at: Timestamp| {
        let organization = Organization {
            created_at,
            ..organization(&format!("org{}", next()), false)
        };
        db.add_organizations(std::slice::from_ref(&organization), &[])
            .await
            .expect("stored");
        organization.id
    };
    let join = async |user: UserId, organization: OrganizationId, joined_at: Timestamp| {
        let membership = Membership {
            user_id: user,
            organization_id: organization,
            role: Role::Member,
            joined_at,
        };
        db.set_memberships(&[membership], &[])
            .await
            .expect("stored");
    };
    for i in 0..12 {
        let user = new_user(at(i * 1_000)).await;
        let organization = new_organization(at(i * 1_000)).await;
        join(user, hub.id, at(i * 1_000 + 1)).await;
        join(person.id, organization, at(i * 1_000 + 1)).await;
        let workspace = workspace(hub.id, &format!("w{i}"), at(i * 1_000));
        db.add_workspaces(&[workspace], &[]).await.expect("stored");
    }

    for order in Order::ALL {
        let users = async |seek: Seek| db.users(&UserFilter::default(), &seek).await.unwrap();
        walk_while_inserting(Listing::Users, order, users, async |t| {
            new_user(t).await.as_uuid()
        })
        .await;

        let read = async |seek: Seek| {
            let filter = OrganizationFilter::default();
            db.organizations(&filter, &seek).await.unwrap()
        };
        walk_while_inserting(Listing::Organizations, order, read, async |t| {
            new_organization(t).await.as_uuid()
        })
        .await;

        let read = async |seek: Seek| {
            let filter = WorkspaceFilter::default();
            db.workspaces(&filter, &seek).await.unwrap()
        };
        walk_while_inserting(Listing::Workspaces, order, read, async |t| {
            let workspace = workspace(hub.id, &format!("w{}", next()), t);
            db.add_workspaces(std::slice::from_ref(&workspace), &[])
                .await
                .expect("stored");
            workspace.id.as_uuid()
        })
        .await;

        let read = async |seek: Seek| {
            let filter = RoleFilter::default();
            db.members(hub.id, &filter, &seek).await.unwrap()
        };
        walk_while_inserting(Listing::Members(hub.id), order, read, async |t| {
            let user = new_user(at(0)).await;
            join(user, hub.id, t).await;
            user.as_uuid()
        })
        .await;

        let read = async |seek: Seek| {
            let filter = RoleFilter::default();
            db.memberships(person.id, &filter, &seek).await.unwrap()
        };
        walk_while_inserting(Listing::Memberships(person.id), order, read, async |t| {
            let organization = new_organization(at(0)).await;
            join(person.id, organization, t).await;
            organization.as_uuid()
        })
        .await;
    }
}

async fn members_and_memberships_are_found_by_role_and_keep_when_they_joined(db: TestDatabase) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    let users: Vec<User> = (0..3).map(|i| user(i, at(i as i64))).collect();
    db.add_users(&users, &[]).await.expect("stored");
    let membership = |user: &User, role, micros| Membership {
        user_id: user.id,
        organization_id: acme.id,
        role,
        joined_at: at(micros),
    };
    db.set_memberships(
        &[
            membership(&users[0], Role::Owner, 10),
            membership(&users[1], Role::Member, 20),
            membership(&users[2], Role::Member, 30),
        ],
        &[],
    )
    .await
    .expect("stored");
    // A role change, from a later add: the role moves, the time it joined stays.
    db.set_memberships(&[membership(&users[1], Role::Admin, 99)], &[])
        .await
        .expect("stored");

    let members_with = async |role| {
        let read = async |seek: Seek| {
            let filter = RoleFilter { role };
            db.members(acme.id, &filter, &seek).await.expect("reads")
        };
        all(Order::Asc, read).await
    };
    let everyone = members_with(None).await;
    let summary: Vec<(UserId, Role, Timestamp)> = everyone
        .iter()
        .map(|m| (m.user_id, m.role, m.joined_at))
        .collect();
    assert_eq!(
        summary,
        [
            (users[0].id, Role::Owner, at(10)),
            (users[1].id, Role::Admin, at(20)),
            (users[2].id, Role::Member, at(30)),
        ]
    );
    assert_eq!(
        member_fields(&everyone[1]),
        user_fields(&users[1]),
        "the member is the user as stored"
    );
    let members = members_with(Some(Role::Member)).await;
    assert_eq!(members.len(), 1);
    assert!(members_with(Some(Role::Viewer)).await.is_empty());

    let read = async |seek: Seek| {
        let filter = RoleFilter {
            role: Some(Role::Admin),
        };
        db.memberships(users[1].id, &filter, &seek)
            .await
            .expect("reads")
    };
    let memberships = all(Order::Desc, read).await;
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].organization, acme);
    assert_eq!(
        (memberships[0].role, memberships[0].joined_at),
        (Role::Admin, at(20))
    );
}

async fn totals_are_exact_after_inserts_deletes_and_role_changes(db: TestDatabase) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    let other = stored_organization(&db, "other", false).await;
    let users: Vec<User> = (0..5)
        .map(|i| User {
            is_active: i != 4,
            ..user(i, at(i as i64))
        })
        .collect();
    db.add_users(&users, &[]).await.expect("stored");
    for (i, user) in users.iter().enumerate() {
        let role = if i == 0 { Role::Admin } else { Role::Member };
        member(&db, user.id, acme.id, role).await;
    }
    member(&db, users[0].id, other.id, Role::Viewer).await;
    db.add_workspaces(
        &[
            workspace(acme.id, "a", at(1)),
            workspace(acme.id, "b", at(2)),
            workspace(other.id, "c", at(3)),
        ],
        &[],
    )
    .await
    .expect("stored");
    let users_where = async |is_active| {
        let filter = UserFilter {
            is_active,
            ..UserFilter::default()
        };
        total(async |seek: Seek| db.users(&filter, &seek).await.expect("counts")).await
    };
    let members = async |organization: &Organization, role| {
        let filter = RoleFilter { role };
        let read = async |seek: Seek| db.members(organization.id, &filter, &seek).await;
        total(async |seek: Seek| read(seek).await.expect("counts")).await
    };
    let workspaces = async |organization_id| {
        let filter = WorkspaceFilter {
            organization_id,
            ..WorkspaceFilter::default()
        };
        total(async |seek: Seek| db.workspaces(&filter, &seek).await.expect("counts")).await
    };
    let organizations = async || {
        let filter = OrganizationFilter::default();
        total(async |seek: Seek| db.organizations(&filter, &seek).await.expect("counts")).await
    };
    let memberships = async || {
        let filter = RoleFilter::default();
        total(async |seek: Seek| {
            db.memberships(users[0].id, &filter, &seek)
                .await
                .expect("counts")
        })
        .await
    };

    assert_eq!(users_where(None).await, 5);
    assert_eq!(users_where(Some(true)).await, 4);
    assert_eq!(users_where(Some(false)).await, 1);
    assert_eq!(organizations().await, 2);
    assert_eq!(workspaces(None).await, 3);
    assert_eq!(workspaces(Some(acme.id)).await, 2);
    assert_eq!(members(&acme, None).await, 5);
    assert_eq!(members(&acme, Some(Role::Member)).await, 4);
    assert_eq!(memberships().await, 2);

    member(&db, users[1].id, acme.id, Role::Admin).await;
    assert_eq!(members(&acme, None).await, 5, "a role change adds no one");
    assert_eq!(members(&acme, Some(Role::Member)).await, 3);
    assert_eq!(members(&acme, Some(Role::Admin)).await, 2);

    let removed = db.remove_users(&[users[0].id, users[4].id]).await;
    assert_eq!(removed.expect("removed"), 2);
    assert_eq!(users_where(None).await, 3);
    assert_eq!(users_where(Some(true)).await, 3);
    assert_eq!(users_where(Some(false)).await, 0);
    assert_eq!(members(&acme, None).await, 3);
    assert_eq!(members(&acme, Some(Role::Admin)).await, 1);
    assert_eq!(memberships().await, 0);
    assert_eq!(members(&other, None).await, 0);
    let read = async |seek: Seek| {
        let filter = RoleFilter::default();
        db.members(acme.id, &filter, &seek).await.expect("reads")
    };
    assert_eq!(all(Order::Asc, read).await.len(), 3, "the listing agrees");
    assert_eq!(workspaces(Some(acme.id)).await, 2);
}

async fn single_resources_equal_their_listing_items(db: TestDatabase) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    let user = stored_user(&db).await;
    member(&db, user.id, acme.id, Role::Owner).await;
    let workspace = workspace(acme.id, "main", at(0));
    db.add_workspaces(std::slice::from_ref(&workspace), &[])
        .await
        .expect("stored");

    let users = all(Order::Asc, async |seek: Seek| {
        db.users(&UserFilter::default(), &seek).await.unwrap()
    })
    .await;
    let organizations = all(Order::Asc, async |seek: Seek| {
        db.organizations(&OrganizationFilter::default(), &seek)
            .await
            .unwrap()
    })
    .await;
    let workspaces = all(Order::Asc, async |seek: Seek| {
        db.workspaces(&WorkspaceFilter::default(), &seek)
            .await
            .unwrap()
    })
    .await;

    assert_eq!(users, [db.find_user(user.id).await.unwrap().unwrap()]);
    let found = db.find_organization(acme.id).await.unwrap().unwrap();
    assert_eq!(organizations, std::slice::from_ref(&found));
    assert_eq!((found.member_count, found.workspace_count), (1, 1));
    assert_eq!(
        workspaces,
        [db.find_workspace(workspace.id).await.unwrap().unwrap()]
    );
    assert_eq!(
        db.find_workspace(WorkspaceId::generate()).await.unwrap(),
        None
    );
}

/// What a members page shows of a member, and what it should be: its user's.
fn member_fields(member: &Member) -> (UserId, Email, Option<Name>) {
    (
        member.user_id,
        member.email.clone(),
        member.display_name.clone(),
    )
}

fn user_fields(user: &User) -> (UserId, Email, Option<Name>) {
    (user.id, user.email.clone(), user.display_name.clone())
}

/// A membership carries its user's email and display name, which the database copies: for
/// memberships made before the copy existed (the migration run whole, or on PostgreSQL again
/// after it stopped), made by any SQL, and after the user's row changes.
async fn members_carry_their_user_however_it_was_written(db: TestDatabase) {
    let db = db.database.clone();
    let (named_one, unnamed) = (user(2, at(10)), user(1, at(20)));
    assert!(named_one.display_name.is_some() && unnamed.display_name.is_none());
    let by_sql = user(4, at(30));
    db.add_users(&[named_one.clone(), unnamed.clone(), by_sql.clone()], &[])
        .await
        .expect("stored");
    let acme = named("Acme", "acme", false, 5);
    db.add_organizations(std::slice::from_ref(&acme), &[])
        .await
        .expect("stored");
    member(&db, named_one.id, acme.id, Role::Member).await;
    member(&db, unnamed.id, acme.id, Role::Admin).await;
    let members = async || {
        let read = async |seek: Seek| {
            let filter = RoleFilter::default();
            db.members(acme.id, &filter, &seek).await.expect("reads")
        };
        let mut seen: Vec<_> = all(Order::Asc, read)
            .await
            .iter()
            .map(member_fields)
            .collect();
        seen.sort_by_key(|(id, ..)| id.as_uuid());
        seen
    };
    let sorted = |mut users: Vec<(UserId, Email, Option<Name>)>| {
        users.sort_by_key(|(id, ..)| id.as_uuid());
        users
    };

    db.revert_migrations_through("2026-12-04-010000")
        .await
        .expect("reverts");
    if db.is_postgres() {
        // PostgreSQL's migration commits step by step: one stopped after its first step
        // goes on from there.
        db.execute_raw("ALTER TABLE memberships ADD COLUMN email text COLLATE \"C\"")
            .await
            .expect("first step");
    }
    db.migrate().await.expect("migrates again");
    assert_eq!(
        members().await,
        sorted(vec![user_fields(&named_one), user_fields(&unnamed)]),
        "existing memberships are backfilled"
    );

    db.execute_raw(&format!(
        "INSERT INTO memberships (user_id, organization_id, role, created_at) \
         VALUES ('{}', '{}', 'viewer', '{}')",
        by_sql.id,
        acme.id,
        if db.is_postgres() {
            "2000-01-01 00:00:00+00"
        } else {
            "2000-01-01 00:00:00.000000"
        },
    ))
    .await
    .expect("inserted by SQL");
    db.execute_raw(&format!(
        "UPDATE users SET email = 'renamed@example.com', display_name = 'Renamed' \
         WHERE id = '{}'; UPDATE users SET display_name = NULL WHERE id = '{}'",
        unnamed.id, named_one.id
    ))
    .await
    .expect("users edited by SQL");
    let renamed = User {
        email: Email::parse("renamed@example.com").unwrap(),
        display_name: Some(Name::parse("Renamed").unwrap()),
        ..unnamed
    };
    let unnamed_now = User {
        display_name: None,
        ..named_one
    };
    assert_eq!(
        members().await,
        sorted(vec![
            user_fields(&by_sql),
            user_fields(&unnamed_now),
            user_fields(&renamed)
        ]),
        "a membership inserted by SQL carries its user, and an edited user moves"
    );
}

/// Memberships made before they had a creation time take the later of their user's and their
/// organization's (the earliest they can have been made); the totals start from the rows.
async fn memberships_made_before_the_migration_joined_when_both_sides_existed(db: TestDatabase) {
    let db = db.database.clone();
    let (early, late) = (user(1, at(10)), user(2, at(30)));
    db.add_users(&[early.clone(), late.clone()], &[])
        .await
        .expect("stored");
    let acme = named("Acme", "acme", false, 20);
    db.add_organizations(std::slice::from_ref(&acme), &[])
        .await
        .expect("stored");
    member(&db, early.id, acme.id, Role::Member).await;
    member(&db, late.id, acme.id, Role::Admin).await;

    db.revert_migrations_through("2026-12-01-000000")
        .await
        .expect("reverts");
    db.migrate().await.expect("migrates again");

    let read = async |seek: Seek| {
        let filter = RoleFilter::default();
        db.members(acme.id, &filter, &seek).await.expect("reads")
    };
    let joined: Vec<(UserId, Timestamp)> = all(Order::Asc, read)
        .await
        .iter()
        .map(|m| (m.user_id, m.joined_at))
        .collect();
    assert_eq!(joined, [(early.id, at(20)), (late.id, at(30))]);
    let read = async |seek: Seek| {
        db.users(&UserFilter::default(), &seek)
            .await
            .expect("counts")
    };
    assert_eq!(total(read).await, 2);
    let found = organizations_where(
        &db,
        OrganizationFilter {
            name_prefix: caseless("ac"),
            ..OrganizationFilter::default()
        },
    )
    .await;
    assert_eq!(found, ["Acme"], "names keyed from the rows");
}

/// No stored email or name holds a NUL (PostgreSQL text cannot): a filter holding one is an
/// empty page and a zero total, not an error.
async fn a_filter_no_stored_text_can_match_matches_nothing(db: TestDatabase) {
    let db = db.database.clone();
    let acme = stored_organization(&db, "acme", false).await;
    stored_user(&db).await;
    let text = caseless("a\0b");
    assert!(
        users_where(
            &db,
            UserFilter {
                email: text.clone(),
                ..UserFilter::default()
            }
        )
        .await
        .is_empty()
    );
    assert!(
        users_where(
            &db,
            UserFilter {
                email_prefix: text.clone(),
                ..UserFilter::default()
            }
        )
        .await
        .is_empty()
    );
    let organizations = OrganizationFilter {
        slug: caseless("\0"),
        name_prefix: text.clone(),
        ..OrganizationFilter::default()
    };
    assert!(organizations_where(&db, organizations).await.is_empty());
    let workspaces = WorkspaceFilter {
        organization_id: Some(acme.id),
        name_prefix: text,
    };
    assert!(workspaces_where(&db, workspaces).await.is_empty());
}

/// Filtered pages come from the indexes made for them, not from passing rows the filter drops:
/// the few deactivated users from `users_inactive`, a prefix of two or three characters from
/// its head index, a longer one matching many rows from its first three characters' (PostgreSQL;
/// SQLite has the indexes too, and no statistics to show it). A prefix of one character may be read
/// either way: with 1/16 of the rows matching, PostgreSQL reads 20,000 through the keyset index,
/// and 1M through the head's (docs/performance.md).
async fn filtered_pages_are_read_through_their_own_indexes(db: TestDatabase) {
    // 256 heads of two characters, as spread as hashed emails, and one of them crowded.
    let hex = |n: usize| char::from(b"0123456789abcdef"[n % 16]);
    let users: Vec<User> = (0..20_000 + SELECTIVE + 100)
        .map(|n| {
            let head = match n.checked_sub(20_000) {
                Some(_) => "abxy".to_owned(),
                None => format!("{}{}", hex(n), hex(n / 16)),
            };
            person(&format!("{head}{n}@example.com"), n % 100 != 7, n as i64)
        })
        .collect();
    db.database.add_users(&users, &[]).await.expect("stored");
    let postgres = db.backend() == Backend::Postgres;
    if postgres {
        analyze(&db.url).await;
    }
    let cases = [
        ("users_inactive", None, Some(false)),
        ("users_email_head2", Some("ab"), None),
        ("users_email_head3", Some("abx"), None),
        ("users_email_head3", Some("abxy"), None),
    ];
    for (index, prefix, is_active) in cases {
        let before = if postgres {
            index_scans_above(&db.url, index, -1).await
        } else {
            0
        };
        let filter = UserFilter {
            email_prefix: prefix.map(Caseless::new),
            is_active,
            ..UserFilter::default()
        };
        let own = pool_of_its_own(&db).await;
        let seek = PageRequest::first(Listing::Users).seek();
        let page = own.users(&filter, &seek).await.expect("a page");
        drop(own);
        let emails: Vec<&str> = page.rows.iter().map(|u| u.email.as_str()).collect();
        let expected: Vec<&str> = users
            .iter()
            .map(|u| u.email.as_str())
            .filter(|email| prefix.is_none_or(|p| email.starts_with(p)))
            .zip(&users)
            .filter(|(_, u)| is_active.is_none_or(|active| u.is_active == active))
            .map(|(email, _)| email)
            .take(seek.rows)
            .collect();
        assert_eq!(emails, expected, "{index}: {filter:?}");
        if postgres {
            let after = index_scans_above(&db.url, index, before).await;
            assert!(
                after > before,
                "{index} scanned {before} times before {filter:?}, {after} after"
            );
        }
    }
}

/// Another pool on `db`'s database, to be closed after what it reads: PostgreSQL counts a
/// backend's scans and reads once it exits.
async fn pool_of_its_own(db: &TestDatabase) -> Database {
    Database::open(
        DatabaseUrl::parse(&db.url).expect("a URL"),
        PoolSettings::default(),
    )
    .await
    .expect("opens")
}

/// Users whose emails all start `abx`, a tenth of them (more than [`SELECTIVE`]) `abxy`: the
/// seed's `user1` among its `use…` emails.
fn crowded_head() -> Vec<User> {
    (0..(SELECTIVE + 100) * 10)
        .map(|n| {
            let head = if n % 10 == 3 { "abxy" } else { "abxz" };
            person(&format!("{head}{n}@example.com"), true, n as i64)
        })
        .collect()
}

/// A prefix longer than three characters matching many rows, a tenth of those sharing its
/// first three, is read from the head index with the whole prefix checked in the index: a page
/// reads its own rows from the table, not the nine in ten of the head it passes over
/// (PostgreSQL's statistics show it; SQLite's pages are checked for their rows).
async fn a_broad_prefix_reads_only_its_pages_rows_from_the_table(db: TestDatabase) {
    let users = crowded_head();
    db.database.add_users(&users, &[]).await.expect("stored");
    let postgres = db.backend() == Backend::Postgres;
    if postgres {
        analyze(&db.url).await;
    }
    let filter = UserFilter {
        email_prefix: caseless("abxy"),
        ..UserFilter::default()
    };
    for order in [Order::Asc, Order::Desc] {
        let before = if postgres {
            rows_fetched_above(&db.url, "users", -1).await
        } else {
            0
        };
        let own = pool_of_its_own(&db).await;
        let seek = PageRequest {
            order,
            ..PageRequest::first(Listing::Users)
        }
        .seek();
        let page = own.users(&filter, &seek).await.expect("a page");
        drop(own);
        let mut expected: Vec<String> = users
            .iter()
            .map(|u| u.email.as_str().to_owned())
            .filter(|email| email.starts_with("abxy"))
            .collect();
        if order == Order::Desc {
            expected.reverse();
        }
        expected.truncate(seek.rows);
        let emails: Vec<String> = page
            .rows
            .iter()
            .map(|u| u.email.as_str().to_owned())
            .collect();
        assert_eq!(emails, expected, "{order:?}");
        if postgres {
            let fetched = rows_fetched_above(&db.url, "users", before).await - before;
            assert!(
                fetched <= 2 * seek.rows as i64,
                "{order:?}: {fetched} rows read from the table for a page of {}",
                seek.rows
            );
        }
    }
}

/// The read that finds a prefix broad is not repeated for its next pages (PostgreSQL's
/// statistics count the email index's scans: one read, then none, then a selective prefix's
/// one, which reads its keys at once).
async fn a_broad_prefix_is_probed_once_for_its_pages(db: TestDatabase) {
    let users = crowded_head();
    db.database.add_users(&users, &[]).await.expect("stored");
    let postgres = db.backend() == Backend::Postgres;
    if postgres {
        analyze(&db.url).await;
    }
    let filter = |prefix: &str| UserFilter {
        email_prefix: caseless(prefix),
        ..UserFilter::default()
    };
    let index = "users_email_key";
    let before = if postgres {
        index_scans_above(&db.url, index, -1).await
    } else {
        0
    };
    let own = pool_of_its_own(&db).await;
    let first = own
        .users(&filter("abxy"), &PageRequest::first(Listing::Users).seek())
        .await
        .expect("a page");
    let last = &first.rows[9];
    let next = PageRequest {
        after: Some(Position {
            at: last.created_at,
            id: last.id.as_uuid(),
        }),
        ..PageRequest::first(Listing::Users)
    };
    let second = own
        .users(&filter("abxy"), &next.seek())
        .await
        .expect("a page");
    assert_eq!(
        second.rows.first().map(|u| u.email.as_str()),
        Some("abxy103@example.com")
    );
    let one = own
        .users(
            &filter("abxz1001@"),
            &PageRequest::first(Listing::Users).seek(),
        )
        .await
        .expect("a page");
    assert_eq!(one.rows.len(), 1);
    if postgres {
        drop(own);
        let after = index_scans_above(&db.url, index, before + 1).await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let settled = index_scans_above(&db.url, index, -1).await;
        assert_eq!(
            (after - before, settled - before),
            (2, 2),
            "the email index's scans: one read, none, one read of the keys"
        );
    }
}

/// `name_prefix` is a case-insensitive prefix for organizations and workspaces too when it is
/// broad (longer than three characters, matching more than [`SELECTIVE`], a tenth of those
/// sharing its first three): every match, in order both ways, with the exact total, through
/// the head indexes that hold the name key since issue 26.
async fn a_broad_name_prefix_lists_every_organization_and_workspace_it_starts(db: TestDatabase) {
    let db = db.database.clone();
    let names: Vec<String> = (0..(SELECTIVE + 100) * 10)
        .map(|n| {
            let head = if n % 10 == 3 { "Abxy" } else { "Abxz" };
            format!("{head} {n}")
        })
        .collect();
    let organizations: Vec<Organization> = names
        .iter()
        .enumerate()
        .map(|(n, name)| named(name, &format!("o-{n}"), false, n as i64))
        .collect();
    db.add_organizations(&organizations, &[])
        .await
        .expect("stored");
    let home = organizations[0].id;
    let workspaces: Vec<Workspace> = names
        .iter()
        .enumerate()
        .map(|(n, name)| Workspace {
            name: Name::parse(name).unwrap(),
            ..workspace(home, &format!("w-{n}"), at(n as i64))
        })
        .collect();
    db.add_workspaces(&workspaces, &[]).await.expect("stored");
    let expected: Vec<String> = names
        .iter()
        .filter(|name| name.starts_with("Abxy"))
        .cloned()
        .collect();
    assert_eq!(expected.len(), SELECTIVE + 100);

    let organizations = OrganizationFilter {
        name_prefix: caseless("aBXY"),
        ..OrganizationFilter::default()
    };
    assert_eq!(organizations_where(&db, organizations).await, expected);
    let workspaces = WorkspaceFilter {
        organization_id: None,
        name_prefix: caseless("ABXY"),
    };
    assert_eq!(workspaces_where(&db, workspaces).await, expected);
}

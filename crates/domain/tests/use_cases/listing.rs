use admin_domain::*;

use super::support::{Holder, World, ready};

fn users(count: usize) -> Vec<User> {
    (0..count)
        .map(|i| User {
            id: UserId::generate(),
            email: Email::parse(&format!("user{i}@example.com")).expect("an email"),
            display_name: None,
            is_active: true,
            created_at: Timestamp::from_unix_micros(i as i64),
        })
        .collect()
}

async fn admin() -> Caller {
    Holder::platform(Role::Admin).caller().await
}

#[tokio::test]
async fn a_page_reads_one_row_more_than_it_shows_to_know_another_follows() {
    let caller = admin().await;
    let mut world = World::default();
    world
        .directory
        .expect_users()
        .withf(|after, limit| after.is_none() && *limit == 3)
        .returning(|_, _| ready(Ok(users(3))));
    let request = PageRequest {
        listing: Listing::Users,
        limit: Limit::new(2).expect("valid"),
        after: None,
    };

    let page = world
        .service()
        .list_users(&caller, &request)
        .await
        .expect("lists");

    assert_eq!(page.items.len(), 2);
    assert_eq!(page.limit, 2);
    let next = page
        .next_cursor
        .and_then(|c| Cursor::decode(Listing::Users, &c));
    assert_eq!(next, Some(page.items[1].cursor()));
}

#[tokio::test]
async fn the_cursor_continues_where_the_previous_page_ended() {
    let caller = admin().await;
    let position = Cursor {
        created_at: Timestamp::from_unix_micros(5),
        id: WorkspaceId::generate().as_uuid(),
    };
    let mut world = World::default();
    world
        .directory
        .expect_workspaces()
        .withf(move |after, _| *after == Some(position))
        .returning(|_, _| ready(Ok(Vec::new())));
    let text = position.encode(Listing::Workspaces);
    let request = PageRequest {
        listing: Listing::Workspaces,
        limit: Limit::DEFAULT,
        after: Cursor::decode(Listing::Workspaces, &text),
    };

    let page = world
        .service()
        .list_workspaces(&caller, &request)
        .await
        .expect("lists");

    assert!(page.items.is_empty());
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn each_listing_is_forbidden_without_its_permission_and_reads_nothing() {
    let caller = Holder::platform(Role::Viewer).caller().await;
    let mut world = World::default();
    world.directory.expect_users().never();
    world.directory.expect_organizations().never();
    world.directory.expect_workspaces().never();
    let service = world.service();
    let request = |listing| PageRequest {
        listing,
        limit: Limit::DEFAULT,
        after: None,
    };

    let users = service.list_users(&caller, &request(Listing::Users)).await;
    let organizations = service
        .list_organizations(&caller, &request(Listing::Organizations))
        .await;
    let workspaces = service
        .list_workspaces(&caller, &request(Listing::Workspaces))
        .await;

    assert!(matches!(
        users,
        Err(AdminError::Forbidden(Permission::UsersList))
    ));
    assert!(matches!(
        organizations,
        Err(AdminError::Forbidden(Permission::OrganizationsList))
    ));
    assert!(matches!(
        workspaces,
        Err(AdminError::Forbidden(Permission::WorkspacesList))
    ));
}

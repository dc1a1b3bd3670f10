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

/// What a listing port returns: `rows`, and no total.
fn found<T>(rows: Vec<T>) -> Rows<T> {
    Rows { rows, total: None }
}

fn member(user: User) -> Member {
    Member {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: Role::Member,
        joined_at: user.created_at,
    }
}

async fn admin() -> Caller {
    Holder::platform(Role::Admin).caller().await
}

fn request(listing: Listing) -> PageRequest {
    PageRequest::first(listing)
}

#[tokio::test]
async fn a_page_reads_one_row_more_than_it_shows_to_know_another_follows() {
    let caller = admin().await;
    let mut world = World::default();
    world
        .directory
        .expect_users()
        .withf(|filter, seek| {
            *filter == UserFilter::default()
                && *seek
                    == Seek {
                        order: Order::Desc,
                        after: Position::LAST,
                        rows: 3,
                        total: false,
                    }
        })
        .returning(|_, _| ready(Ok(found(users(3)))));
    let request = PageRequest {
        order: Order::Desc,
        limit: Limit::new(2).expect("valid"),
        ..request(Listing::Users)
    };

    let page = world
        .service()
        .list_users(&caller, &request, &UserFilter::default())
        .await
        .expect("lists");

    assert_eq!(page.items.len(), 2);
    assert_eq!(page.limit, 2);
    assert_eq!(page.total, None, "no total unless asked");
    let next = page
        .next_cursor
        .and_then(|c| Cursor::decode(Listing::Users, &c));
    assert_eq!(
        next,
        Some(Cursor {
            listing: Listing::Users,
            order: Order::Desc,
            after: page.items[1].position(),
        })
    );
}

#[tokio::test]
async fn the_cursor_continues_where_the_previous_page_ended_with_the_filters() {
    let caller = admin().await;
    let position = Position {
        at: Timestamp::from_unix_micros(5),
        id: WorkspaceId::generate().as_uuid(),
    };
    let filter = WorkspaceFilter {
        organization_id: Some(OrganizationId::generate()),
        name_prefix: Some(Caseless::new("Prod")),
    };
    let expected = filter.clone();
    let mut world = World::default();
    world
        .directory
        .expect_workspaces()
        .withf(move |filter, seek| *filter == expected && seek.after == position)
        .returning(|_, _| ready(Ok(found(Vec::new()))));
    let request = PageRequest {
        after: Some(position),
        ..request(Listing::Workspaces)
    };

    let page = world
        .service()
        .list_workspaces(&caller, &request, &filter)
        .await
        .expect("lists");

    assert!(page.items.is_empty());
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn a_total_is_asked_for_with_the_pages_filters_only_when_the_request_asks() {
    let caller = admin().await;
    let filter = UserFilter {
        email_prefix: Some(Caseless::new("ADA")),
        is_active: Some(false),
        ..UserFilter::default()
    };
    let expected = filter.clone();
    let mut world = World::default();
    world
        .directory
        .expect_users()
        .withf(move |filter, seek| *filter == expected && seek.total)
        .times(1)
        .returning(|_, _| {
            ready(Ok(Rows {
                rows: users(1),
                total: Some(1_234),
            }))
        });
    let request = PageRequest {
        include_total: true,
        ..request(Listing::Users)
    };

    let page = world
        .service()
        .list_users(&caller, &request, &filter)
        .await
        .expect("lists");

    assert_eq!(page.total, Some(1_234));
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn members_of_an_organization_that_has_some_are_listed_without_looking_it_up() {
    let caller = admin().await;
    let organization = OrganizationId::generate();
    let mut world = World::default();
    world
        .directory
        .expect_members()
        .withf(move |of, filter, _| {
            *of == organization
                && *filter
                    == RoleFilter {
                        role: Some(Role::Member),
                    }
        })
        .returning(|_, _, _| ready(Ok(found(users(2).into_iter().map(member).collect()))));
    world.directory.expect_find_organization().never();
    let filter = RoleFilter {
        role: Some(Role::Member),
    };

    let page = world
        .service()
        .list_members(
            &caller,
            organization,
            &request(Listing::Members(organization)),
            &filter,
        )
        .await
        .expect("lists");

    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn an_empty_page_of_an_unknown_parent_is_not_found() {
    let caller = admin().await;
    let (organization, user) = (OrganizationId::generate(), UserId::generate());
    let mut world = World::default();
    world
        .directory
        .expect_members()
        .returning(|_, _, _| ready(Ok(found(Vec::new()))));
    world
        .directory
        .expect_memberships()
        .returning(|_, _, _| ready(Ok(found(Vec::new()))));
    world
        .directory
        .expect_find_organization()
        .returning(|_| ready(Ok(None)));
    world
        .directory
        .expect_find_user()
        .returning(|_| ready(Ok(None)));
    let service = world.service();

    let members = service
        .list_members(
            &caller,
            organization,
            &request(Listing::Members(organization)),
            &RoleFilter::default(),
        )
        .await;
    let memberships = service
        .list_memberships(
            &caller,
            user,
            &request(Listing::Memberships(user)),
            &RoleFilter::default(),
        )
        .await;

    assert!(matches!(
        members,
        Err(AdminError::NotFound(Missing::Organization))
    ));
    assert!(matches!(
        memberships,
        Err(AdminError::NotFound(Missing::User))
    ));
}

#[tokio::test]
async fn an_unknown_resource_is_not_found_and_a_known_one_is_read_as_stored() {
    let caller = admin().await;
    let stored = users(1).remove(0);
    let found = stored.clone();
    let mut world = World::default();
    world
        .directory
        .expect_find_user()
        .returning(move |_| ready(Ok(Some(found.clone()))));
    world
        .directory
        .expect_find_organization()
        .returning(|_| ready(Ok(None)));
    world
        .directory
        .expect_find_workspace()
        .returning(|_| ready(Ok(None)));
    let service = world.service();

    let user = service.user(&caller, stored.id).await.expect("found");
    let organization = service
        .organization(&caller, OrganizationId::generate())
        .await;
    let workspace = service.workspace(&caller, WorkspaceId::generate()).await;

    assert_eq!(user, stored);
    assert!(matches!(
        organization,
        Err(AdminError::NotFound(Missing::Organization))
    ));
    assert!(matches!(
        workspace,
        Err(AdminError::NotFound(Missing::Workspace))
    ));
}

#[tokio::test]
async fn each_read_is_forbidden_without_its_permission_and_reads_nothing() {
    let caller = Holder::platform(Role::Viewer).caller().await;
    let (user, organization) = (UserId::generate(), OrganizationId::generate());
    let world = World::default(); // no expectations: any read of the directory fails
    let service = world.service();
    let roles = RoleFilter::default();

    let outcomes = [
        service
            .list_users(&caller, &request(Listing::Users), &UserFilter::default())
            .await
            .err(),
        service
            .list_organizations(
                &caller,
                &request(Listing::Organizations),
                &OrganizationFilter::default(),
            )
            .await
            .err(),
        service
            .list_workspaces(
                &caller,
                &request(Listing::Workspaces),
                &WorkspaceFilter::default(),
            )
            .await
            .err(),
        service
            .list_members(
                &caller,
                organization,
                &request(Listing::Members(organization)),
                &roles,
            )
            .await
            .err(),
        service
            .list_memberships(&caller, user, &request(Listing::Memberships(user)), &roles)
            .await
            .err(),
        service.user(&caller, user).await.err(),
        service.organization(&caller, organization).await.err(),
        service
            .workspace(&caller, WorkspaceId::generate())
            .await
            .err(),
    ];

    let required: Vec<Option<Permission>> = outcomes
        .iter()
        .map(|outcome| match outcome {
            Some(AdminError::Forbidden(permission)) => Some(*permission),
            _ => None,
        })
        .collect();
    use Permission::*;
    assert_eq!(
        required,
        [
            UsersList,
            OrganizationsList,
            WorkspacesList,
            OrganizationsList,
            UsersList,
            UsersList,
            OrganizationsList,
            WorkspacesList
        ]
        .map(Some)
    );
}

//! Part 2's listings and single resources at the edge: parameters as FastAPI reads them, the
//! filters handed to the directory, bodies, totals, cursors, 404s and the order of checks.

use admin_domain::*;
use serde_json::{Value, json};

use super::support::*;

/// What FastAPI answered for each request, captured by `scripts/fastapi-422s.py`.
const FASTAPI: &str = include_str!("fastapi-422s.tsv");

/// `uri` with every byte outside printable ASCII percent-encoded, as a client sends it.
fn encoded(uri: &str) -> String {
    uri.bytes()
        .map(|b| match b {
            b'!'..=b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn every_refusal_is_what_fastapi_answers_for_the_same_request_byte_for_byte() {
    for line in FASTAPI.lines() {
        let mut fields = line.splitn(3, '\t');
        let (uri, status, body) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        // Nothing is read: the mocks expect no call.
        let (world, _) = World::with_caller(Some(Role::Admin));
        let reply = world.send(get(&encoded(uri))).await;
        assert_eq!(reply.status.to_string(), status, "{uri}");
        assert_eq!(String::from_utf8_lossy(&reply.bytes), body, "{uri}");
    }
}

fn user(n: i64) -> User {
    User {
        id: UserId::generate(),
        email: Email::parse(&format!("u{n}@example.com")).unwrap(),
        display_name: Some(Name::parse("Ada").unwrap()),
        is_active: true,
        created_at: Timestamp::from_unix_micros(1_764_300_000_000_000 + n),
    }
}

fn organization() -> Organization {
    Organization {
        id: OrganizationId::generate(),
        name: Name::parse("Acme Corp").unwrap(),
        slug: Slug::parse("acme").unwrap(),
        is_platform: false,
        created_at: Timestamp::from_unix_micros(1_764_300_000_000_000),
    }
}

#[actix_web::test]
async fn the_filters_reach_the_directory_as_asked_and_others_are_ignored() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_users()
        .withf(|filter, seek| {
            *filter
                == UserFilter {
                    email: Some(Caseless::new("ada@example.com")),
                    email_prefix: Some(Caseless::new("ad%_")),
                    is_active: Some(false),
                }
                && seek.order == Order::Desc
                && seek.rows == 11
        })
        .times(1)
        .returning(|_, _| ready(Ok(found(Vec::new()))));
    let uri = "/v1/admin/platform/users?email=ADA@Example.com&email_prefix=Ad%25_\
               &is_active=no&order=desc&limit=10&slug=ignored&role=ignored&unknown=1";
    assert_eq!(world.send(get(uri)).await.status, 200);

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let organization = OrganizationId::generate();
    world
        .directory
        .expect_workspaces()
        .withf(move |filter, _| {
            *filter
                == WorkspaceFilter {
                    organization_id: Some(organization),
                    name_prefix: Some(Caseless::new("über")),
                }
        })
        .times(1)
        .returning(|_, _| ready(Ok(found(Vec::new()))));
    let uri = format!(
        "/v1/admin/platform/workspaces?organization_id={}&name_prefix=%C3%9Cber",
        organization.as_uuid().simple().to_string().to_uppercase()
    );
    assert_eq!(world.send(get(&uri)).await.status, 200);

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_organizations()
        .withf(|filter, _| {
            *filter
                == OrganizationFilter {
                    slug: Some(Caseless::new("acme")),
                    name_prefix: None,
                    is_platform: Some(true),
                }
        })
        .times(1)
        .returning(|_, _| ready(Ok(found(Vec::new()))));
    let uri = "/v1/admin/platform/organizations?slug=ACME&is_platform=on&email=x";
    assert_eq!(world.send(get(uri)).await.status, 200);
}

#[actix_web::test]
async fn include_total_adds_the_total_and_without_it_there_is_no_key() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_users()
        .withf(|filter, seek| *filter == UserFilter::default() && seek.total)
        .times(1)
        .returning(|_, _| {
            ready(Ok(Rows {
                rows: vec![user(1)],
                total: Some(1_000_000),
            }))
        });
    let body = world
        .send(get("/v1/admin/platform/users?include_total=true"))
        .await
        .json();
    assert_eq!(body["total"], 1_000_000);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_users()
        .withf(|_, seek| !seek.total)
        .returning(|_, _| ready(Ok(found(vec![user(1)]))));
    let body = world
        .send(get("/v1/admin/platform/users?include_total=false"))
        .await
        .json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["items", "limit", "next_cursor"]);
}

/// A cursor of `listing` in `order`, after an arbitrary row.
fn cursor(listing: Listing, order: Order) -> String {
    Cursor {
        listing,
        order,
        after: Position {
            at: Timestamp::from_unix_micros(1_764_300_000_000_000),
            id: UserId::generate().as_uuid(),
        },
    }
    .encode()
}

async fn cursor_refused(uri: &str) {
    let (world, _) = World::with_caller(Some(Role::Admin));
    let reply = world.send(get(uri)).await;
    assert_eq!(reply.status, 422, "{uri}");
    let entry = &reply.json()["detail"][0];
    assert_eq!(
        (&entry["type"], &entry["loc"], &entry["msg"]),
        (
            &json!("value_error"),
            &json!(["query", "cursor"]),
            &json!("Value error, invalid cursor")
        ),
        "{uri}"
    );
}

#[actix_web::test]
async fn a_cursor_continues_only_its_listing_its_parent_and_its_order() {
    let (one, other) = (OrganizationId::generate(), OrganizationId::generate());
    let user = UserId::generate();
    let users_asc = cursor(Listing::Users, Order::Asc);
    cursor_refused(&format!(
        "/v1/admin/platform/users?order=desc&cursor={users_asc}"
    ))
    .await;
    let users_desc = cursor(Listing::Users, Order::Desc);
    cursor_refused(&format!("/v1/admin/platform/users?cursor={users_desc}")).await;
    cursor_refused(&format!(
        "/v1/admin/platform/organizations?cursor={users_asc}"
    ))
    .await;
    let members_of_one = cursor(Listing::Members(one), Order::Asc);
    cursor_refused(&format!(
        "/v1/admin/platform/organizations/{other}/members?cursor={members_of_one}"
    ))
    .await;
    cursor_refused(&format!(
        "/v1/admin/platform/users/{user}/memberships?cursor={members_of_one}"
    ))
    .await;
    cursor_refused(&format!(
        "/v1/admin/platform/users?cursor={}",
        users_asc.to_uppercase()
    ))
    .await;
    // A user's sub-listings: another user's cursor, or the other sub-listing's, is refused.
    let another = UserId::generate();
    let memberships_of_user = cursor(Listing::Memberships(user), Order::Asc);
    let tokens_of_user = cursor(Listing::Tokens(user), Order::Asc);
    for uri in [
        format!(
            "/v1/admin/platform/users/{another}/memberships?order=asc&cursor={memberships_of_user}"
        ),
        format!("/v1/admin/platform/users/{another}/tokens?order=asc&cursor={tokens_of_user}"),
        format!("/v1/admin/platform/users/{user}/tokens?order=asc&cursor={memberships_of_user}"),
        format!("/v1/admin/platform/audit-events?order=asc&cursor={users_asc}"),
    ] {
        cursor_refused(&uri).await;
    }

    // Its own listing, parent and order: read from just after its row.
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let expected = Cursor::decode(Listing::Members(one), &members_of_one).unwrap();
    world
        .directory
        .expect_members()
        .withf(move |organization, _, seek| {
            *organization == one && seek.after == expected.after && seek.order == Order::Asc
        })
        .times(1)
        .returning(|_, _, _| ready(Ok(found(Vec::new()))));
    world
        .directory
        .expect_find_organization()
        .returning(|_| ready(Ok(Some(summary(organization())))));
    let uri =
        format!("/v1/admin/platform/organizations/{one}/members?order=asc&cursor={members_of_one}");
    assert_eq!(world.send(get(&uri)).await.status, 200);
}

fn summary(organization: Organization) -> OrganizationSummary {
    OrganizationSummary {
        organization,
        member_count: 3,
        workspace_count: 2,
    }
}

#[actix_web::test]
async fn members_and_memberships_have_the_contracts_fields() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let (member, acme) = (user(1), organization());
    let joined = Timestamp::from_unix_micros(1_764_300_000_654_321);
    let row = Member {
        user_id: member.id,
        email: member.email.clone(),
        display_name: member.display_name.clone(),
        role: Role::Admin,
        joined_at: joined,
    };
    world
        .directory
        .expect_members()
        .withf(|_, filter, _| filter.role == Some(Role::Admin))
        .returning(move |_, _, _| ready(Ok(found(vec![row.clone()]))));
    let uri = format!(
        "/v1/admin/platform/organizations/{}/members?role=admin",
        acme.id
    );
    let body = world.send(get(&uri)).await.json();
    assert_eq!(
        body,
        json!({"items": [{"user_id": member.id.to_string(), "email": "u1@example.com",
            "display_name": "Ada", "role": "admin", "created_at": "2025-11-28T03:20:00.654321"}],
            "limit": 50, "next_cursor": null})
    );

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let row = OrganizationMembership {
        organization: acme.clone(),
        role: Role::Viewer,
        joined_at: joined,
    };
    world
        .directory
        .expect_memberships()
        .returning(move |_, _, _| ready(Ok(found(vec![row.clone()]))));
    let uri = format!("/v1/admin/platform/users/{}/memberships", member.id);
    let body = world.send(get(&uri)).await.json();
    assert_eq!(
        body["items"],
        json!([{"organization_id": acme.id.to_string(), "organization_name": "Acme Corp",
            "organization_slug": "acme", "role": "viewer",
            "created_at": "2025-11-28T03:20:00.654321"}])
    );
}

#[actix_web::test]
async fn single_resources_are_their_listing_items() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let (stored, acme) = (user(7), organization());
    let found = stored.clone();
    world
        .directory
        .expect_find_user()
        .returning(move |_| ready(Ok(Some(found.clone()))));
    let body = world
        .send(get(&format!("/v1/admin/platform/users/{}", stored.id)))
        .await
        .json();
    assert_eq!(
        body,
        json!({"id": stored.id.to_string(), "email": "u7@example.com", "display_name": "Ada",
            "is_active": true, "created_at": "2025-11-28T03:20:00.000007"})
    );

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let found = summary(acme.clone());
    world
        .directory
        .expect_find_organization()
        .returning(move |_| ready(Ok(Some(found.clone()))));
    let body = world
        .send(get(&format!(
            "/v1/admin/platform/organizations/{}",
            acme.id
        )))
        .await
        .json();
    assert_eq!(
        body,
        json!({"id": acme.id.to_string(), "name": "Acme Corp", "slug": "acme",
            "is_platform": false, "created_at": "2025-11-28T03:20:00.000000",
            "member_count": 3, "workspace_count": 2})
    );

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let workspace = Workspace {
        id: WorkspaceId::generate(),
        organization_id: acme.id,
        name: Name::parse("Prod").unwrap(),
        slug: Slug::parse("prod").unwrap(),
        created_at: Timestamp::from_unix_micros(1_764_300_000_000_001),
    };
    let found = workspace.clone();
    world
        .directory
        .expect_find_workspace()
        .returning(move |_| ready(Ok(Some(found.clone()))));
    let body = world
        .send(get(&format!(
            "/v1/admin/platform/workspaces/{}",
            workspace.id
        )))
        .await
        .json();
    assert_eq!(
        body,
        json!({"id": workspace.id.to_string(), "organization_id": acme.id.to_string(),
            "name": "Prod", "slug": "prod", "created_at": "2025-11-28T03:20:00.000001"})
    );
}

#[actix_web::test]
async fn an_unknown_id_is_404_with_the_contracts_message() {
    let cases = [
        ("/v1/admin/platform/users/ID", "User not found"),
        ("/v1/admin/platform/users/ID/memberships", "User not found"),
        (
            "/v1/admin/platform/organizations/ID",
            "Organization not found",
        ),
        (
            "/v1/admin/platform/organizations/ID/members",
            "Organization not found",
        ),
        ("/v1/admin/platform/workspaces/ID", "Workspace not found"),
    ];
    for (path, message) in cases {
        let (mut world, _) = World::with_caller(Some(Role::Admin));
        world
            .directory
            .expect_find_user()
            .returning(|_| ready(Ok(None)));
        world
            .directory
            .expect_find_organization()
            .returning(|_| ready(Ok(None)));
        world
            .directory
            .expect_find_workspace()
            .returning(|_| ready(Ok(None)));
        world
            .directory
            .expect_members()
            .returning(|_, _, _| ready(Ok(found(Vec::new()))));
        world
            .directory
            .expect_memberships()
            .returning(|_, _, _| ready(Ok(found(Vec::new()))));
        let uri = path.replace("ID", ID);
        let details = world
            .send(get(&uri))
            .await
            .envelope(404, "NOT_FOUND", message);
        assert_eq!(details, json!({}), "{uri}");
    }
}

/// 401 before 403, 403 before 422, 422 before 404.
/// The POST endpoints read their path the same way, after the permission: a non-admin's
/// request with a bad id is the 403, an admin's the path's 422.
#[actix_web::test]
async fn a_bad_id_in_a_post_path_is_422_after_the_permission() {
    for (uri, name) in [
        ("/v1/admin/platform/tokens/nope/revoke", "token_id"),
        ("/v1/admin/platform/users/nope/revoke-tokens", "user_id"),
    ] {
        let reply = World::default().send(request("POST", uri)).await;
        reply.envelope(401, "AUTHENTICATION_FAILED", "Authentication required");

        let (world, _) = World::with_caller(Some(Role::Member));
        let details = world
            .send(request("POST", uri).insert_header(("Authorization", format!("Bearer {TOKEN}"))))
            .await
            .envelope(
                403,
                "FORBIDDEN",
                "You don't have permission to perform this action",
            );
        assert_eq!(details["required_permission"], "tokens:revoke", "{uri}");

        let (world, _) = World::with_caller(Some(Role::Admin));
        let reply = world
            .send(request("POST", uri).insert_header(("Authorization", format!("Bearer {TOKEN}"))))
            .await;
        assert_eq!(reply.status, 422, "{uri}");
        assert_eq!(
            reply.json(),
            json!({"detail": [{
                "type": "uuid_parsing",
                "loc": ["path", name],
                "msg": "Input should be a valid UUID, invalid character: found `n` at 0",
                "input": "nope",
                "ctx": {"error": "invalid character: found `n` at 0"}
            }]}),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn checks_run_in_the_order_401_403_422_404() {
    let bad = "/v1/admin/platform/organizations/nope/members?limit=0";
    let good = format!("/v1/admin/platform/organizations/{ID}/members");

    let reply = World::default().send(anonymous(bad)).await;
    reply.envelope(401, "AUTHENTICATION_FAILED", "Authentication required");

    let (world, _) = World::with_caller(Some(Role::Member));
    let details = world.send(get(bad)).await.envelope(
        403,
        "FORBIDDEN",
        "You don't have permission to perform this action",
    );
    assert_eq!(details["required_permission"], "organizations:list");

    let (world, _) = World::with_caller(Some(Role::Admin));
    let body: Value = world.send(get(bad)).await.json();
    let locs: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["loc"])
        .collect();
    assert_eq!(
        locs,
        [
            &json!(["path", "organization_id"]),
            &json!(["query", "limit"])
        ]
    );

    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_members()
        .returning(|_, _, _| ready(Ok(found(Vec::new()))));
    world
        .directory
        .expect_find_organization()
        .returning(|_| ready(Ok(None)));
    world
        .send(get(&good))
        .await
        .envelope(404, "NOT_FOUND", "Organization not found");
}

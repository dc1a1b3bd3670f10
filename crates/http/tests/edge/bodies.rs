use std::time::Duration;

use admin_domain::*;
use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn an_access_check_answers_every_field() {
    let (mut world, user) = World::with_caller(None);
    let organization = OrganizationId::generate();
    world
        .access
        .expect_role_in()
        .withf(move |u, o| *u == user && *o == organization)
        .returning(|_, _| ready(Ok(Some(Role::Owner))));

    let reply = world
        .send(get(&format!(
            "/v1/admin/access?organization_id={organization}"
        )))
        .await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"has_access": true, "user_id": user.to_string(), "organization_id": organization.to_string(),
               "role": "owner", "message": "User has admin access"})
    );
}

#[actix_web::test]
async fn a_non_member_gets_false_and_a_null_role() {
    let (mut world, _) = World::with_caller(None);
    world
        .access
        .expect_role_in()
        .returning(|_, _| ready(Ok(None)));
    let reply = world
        .send(get(
            "/v1/admin/access?organization_id=6f1c3c1e-0000-4000-8000-000000000000",
        ))
        .await;
    let body = reply.json();
    assert_eq!(body["has_access"], false);
    assert_eq!(body["role"], json!(null));
    assert_eq!(body["message"], "User does not have admin access");
}

#[actix_web::test]
async fn platform_status_answers_is_platform_org() {
    let (world, _) = World::with_caller(Some(Role::Member));
    let reply = world.send(get("/v1/admin/platform-status")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        String::from_utf8(reply.bytes).unwrap(),
        r#"{"is_platform_org":true}"#
    );
}

#[actix_web::test]
async fn a_cleanup_reports_its_count_cutoff_and_mode() {
    let (mut world, _) = World::with_caller(Some(Role::Owner));
    world
        .tokens
        .expect_delete_stale()
        .returning(|_, _, _| ready(Ok(3)));
    let reply = world
        .send(
            request("POST", "/v1/admin/cleanup-tokens")
                .insert_header(("Authorization", format!("Bearer {TOKEN}"))),
        )
        .await;
    let body = reply.json();
    assert_eq!(reply.status, 200);
    assert_eq!(body["deleted_count"], 3);
    assert_eq!(body["dry_run"], false);
    assert_eq!(body["message"], "Token cleanup completed");
    assert_contract_timestamp(body["cutoff"].as_str().unwrap());
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["cutoff", "deleted_count", "dry_run", "message"]);
}

#[actix_web::test]
async fn a_dry_run_only_counts() {
    let (mut world, _) = World::with_caller(Some(Role::Owner));
    world
        .tokens
        .expect_count_stale()
        .returning(|_| ready(Ok(12)));
    world.tokens.expect_delete_stale().never();
    world
        .trail
        .expect_append()
        .withf(|event| event.details.get("dry_run") == Some(&Detail::Flag(true)))
        .times(1)
        .returning(|_| ready(Ok(())));
    let reply = world
        .send(
            request("POST", "/v1/admin/cleanup-tokens?dry_run=true")
                .insert_header(("Authorization", format!("Bearer {TOKEN}"))),
        )
        .await;
    let body = reply.json();
    assert_eq!(
        (body["deleted_count"].clone(), body["dry_run"].clone()),
        (json!(12), json!(true))
    );
    assert_eq!(body["message"], "12 token records would be deleted");
}

#[actix_web::test]
async fn a_users_page_has_items_limit_and_next_cursor() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    let created = Timestamp::from_unix_micros(1_764_300_000_123_456);
    let users: Vec<User> = (0..3)
        .map(|i| User {
            id: UserId::generate(),
            email: Email::parse(&format!("u{i}@example.com")).unwrap(),
            display_name: (i == 0).then(|| Name::parse("Ada").unwrap()),
            is_active: i != 2,
            created_at: created.saturating_add(Duration::from_micros(i)),
        })
        .collect();
    let rows = users.clone();
    world
        .directory
        .expect_users()
        .withf(|filter, seek| {
            *filter == UserFilter::default()
                && *seek
                    == PageRequest {
                        limit: Limit::new(2).unwrap(),
                        ..PageRequest::first(Listing::Users)
                    }
                    .seek()
        })
        .returning(move |_, _| ready(Ok(found(rows.clone()))));

    let reply = world.send(get("/v1/admin/platform/users?limit=2")).await;

    let body = reply.json();
    assert_eq!(body["limit"], 2);
    assert_eq!(
        body["items"][0],
        json!({"id": users[0].id.to_string(), "email": "u0@example.com", "display_name": "Ada",
               "is_active": true, "created_at": "2025-11-28T03:20:00.123456"})
    );
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    let next = body["next_cursor"].as_str().expect("another page follows");
    assert_eq!(
        Cursor::decode(Listing::Users, next).map(|cursor| cursor.after),
        Some(users[1].position())
    );
    assert!(body.get("total").is_none(), "no total unless asked");
}

#[actix_web::test]
async fn the_last_page_has_a_null_cursor() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_workspaces()
        .returning(|_, _| ready(Ok(found(Vec::new()))));
    let reply = world.send(get("/v1/admin/platform/workspaces")).await;
    assert_eq!(
        reply.json(),
        json!({"items": [], "limit": 50, "next_cursor": null})
    );
}

#[actix_web::test]
async fn organization_items_carry_their_counts() {
    let (mut world, _) = World::with_caller(Some(Role::Owner));
    let organization = Organization {
        id: OrganizationId::generate(),
        name: Name::parse("Acme").unwrap(),
        slug: Slug::parse("acme").unwrap(),
        is_platform: false,
        created_at: Timestamp::from_unix_micros(0),
    };
    let summary = OrganizationSummary {
        organization: organization.clone(),
        member_count: 7,
        workspace_count: 2,
    };
    world
        .directory
        .expect_organizations()
        .returning(move |_, _| ready(Ok(found(vec![summary.clone()]))));
    let reply = world.send(get("/v1/admin/platform/organizations")).await;
    assert_eq!(
        reply.json()["items"][0],
        json!({"id": organization.id.to_string(), "name": "Acme", "slug": "acme", "is_platform": false,
               "created_at": "1970-01-01T00:00:00.000000", "member_count": 7, "workspace_count": 2})
    );
}

#[actix_web::test]
async fn workspace_items_name_their_organization() {
    let (mut world, _) = World::with_caller(Some(Role::Owner));
    let workspace = Workspace {
        id: WorkspaceId::generate(),
        organization_id: OrganizationId::generate(),
        name: Name::parse("Main").unwrap(),
        slug: Slug::parse("main").unwrap(),
        created_at: Timestamp::from_unix_micros(1),
    };
    let expected = json!({"id": workspace.id.to_string(), "organization_id": workspace.organization_id.to_string(),
                          "name": "Main", "slug": "main", "created_at": "1970-01-01T00:00:00.000001"});
    world
        .directory
        .expect_workspaces()
        .returning(move |_, _| ready(Ok(found(vec![workspace.clone()]))));
    let reply = world.send(get("/v1/admin/platform/workspaces")).await;
    assert_eq!(reply.json()["items"][0], expected);
}

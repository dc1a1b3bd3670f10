use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;
use admin_domain::*;
use serde_json::json;

use super::platform::*;

on_both_backends!(
    a_platform_admin_gets_the_contracts_answer_from_every_endpoint,
    members_and_memberships_show_the_user_and_the_organization_as_their_resources_do,
    an_organization_owner_administers_it_and_nothing_else,
    members_viewers_and_strangers_have_no_access_and_unknown_organizations_look_the_same,
    a_demoted_platform_admin_loses_the_listings_on_the_next_request,
    listings_walk_every_row_once_through_the_api,
    cleanup_deletes_only_the_records_that_can_no_longer_authenticate,
    readiness_follows_the_database,
    metrics_report_the_database_pool,
    platform_status_is_true_only_for_a_token_scoped_to_the_platform_organization,
);

async fn a_platform_admin_gets_the_contracts_answer_from_every_endpoint(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;

    assert_eq!(
        p.get("/v1/admin/platform-status", &token).await.body,
        json!({"is_platform_org": true})
    );
    let access = p
        .get(
            &format!("/v1/admin/access?organization_id={}", p.customer.id),
            &token,
        )
        .await;
    assert_eq!(
        access.body,
        json!({"has_access": true, "user_id": p.admin.id.to_string(), "organization_id": p.customer.id.to_string(),
               "role": "platform_admin", "message": "User has admin access"})
    );
    let own = p
        .get(
            &format!("/v1/admin/access?organization_id={}", p.platform.id),
            &token,
        )
        .await;
    assert_eq!(own.body["role"], "admin");

    let users = p.get("/v1/admin/platform/users", &token).await;
    assert_eq!(users.status, 200);
    let emails: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["admin@example.com", "owner@example.com"]);

    let organizations = p.get("/v1/admin/platform/organizations", &token).await;
    let summary: Vec<(bool, u64, u64)> = organizations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["is_platform"].as_bool().unwrap(),
                o["member_count"].as_u64().unwrap(),
                o["workspace_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(true, 1, 0), (false, 1, 0)]);

    let workspace = p
        .provisioning()
        .create_workspace(p.customer.id, Name::parse("Main").unwrap(), None)
        .await
        .unwrap();
    let workspaces = p.get("/v1/admin/platform/workspaces", &token).await;
    assert_eq!(workspaces.body["items"][0]["id"], workspace.id.to_string());
    assert_eq!(
        workspaces.body["items"][0]["organization_id"],
        p.customer.id.to_string()
    );

    let cleanup = p
        .call(
            "POST",
            "/v1/admin/cleanup-tokens?dry_run=true",
            Some(&token),
        )
        .await;
    assert_eq!(
        (cleanup.status, cleanup.body["dry_run"].clone()),
        (200, json!(true))
    );
}

/// An organization's members carry each member as the user's own resource shows them, with
/// the role and when they joined, and nothing more; a user's memberships carry the
/// organization as its resource shows it, joined at the same time.
async fn members_and_memberships_show_the_user_and_the_organization_as_their_resources_do(
    db: TestDatabase,
) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;
    let service = p.provisioning();
    let named = service
        .create_user(
            Email::parse("named@example.com").unwrap(),
            Some(Name::parse("Named One").unwrap()),
        )
        .await
        .unwrap();
    service
        .set_membership(named.id, p.customer.id, Role::Viewer)
        .await
        .unwrap();

    let uri = format!("/v1/admin/platform/organizations/{}/members", p.customer.id);
    let members = p.get(&uri, &token).await;
    assert_eq!(members.status, 200, "{:?}", members.body);
    let items = members.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    for (item, user, role) in [
        (&items[0], p.owner.id, "owner"),
        (&items[1], named.id, "viewer"),
    ] {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["created_at", "display_name", "email", "role", "user_id"]
        );
        let resource = p
            .get(&format!("/v1/admin/platform/users/{user}"), &token)
            .await;
        assert_eq!(item["user_id"], resource.body["id"]);
        assert_eq!(item["email"], resource.body["email"]);
        assert_eq!(item["display_name"], resource.body["display_name"]);
        assert_eq!(item["role"], role);
    }
    assert_eq!(items[0]["display_name"], json!(null));
    assert_eq!(items[1]["display_name"], "Named One");

    let organization = p
        .get(
            &format!("/v1/admin/platform/organizations/{}", p.customer.id),
            &token,
        )
        .await
        .body;
    let memberships = p
        .get(
            &format!("/v1/admin/platform/users/{}/memberships", named.id),
            &token,
        )
        .await;
    assert_eq!(
        memberships.body["items"],
        json!([{
            "organization_id": organization["id"],
            "organization_name": organization["name"],
            "organization_slug": organization["slug"],
            "role": "viewer",
            "created_at": items[1]["created_at"],
        }])
    );
}

async fn an_organization_owner_administers_it_and_nothing_else(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.owner, Some(&p.customer)).await;

    let own = p
        .get(
            &format!("/v1/admin/access?organization_id={}", p.customer.id),
            &token,
        )
        .await;
    assert_eq!(
        (own.body["has_access"].clone(), own.body["role"].clone()),
        (json!(true), json!("owner"))
    );
    let platform = p
        .get(
            &format!("/v1/admin/access?organization_id={}", p.platform.id),
            &token,
        )
        .await;
    assert_eq!(
        (
            platform.body["has_access"].clone(),
            platform.body["role"].clone()
        ),
        (json!(false), json!(null))
    );
    assert_eq!(
        p.get("/v1/admin/platform-status", &token).await.body,
        json!({"is_platform_org": false})
    );
    for (uri, permission) in [
        ("/v1/admin/platform/users", "users:list"),
        ("/v1/admin/platform/organizations", "organizations:list"),
        ("/v1/admin/platform/workspaces", "workspaces:list"),
    ] {
        assert_eq!(p.get(uri, &token).await.outcome(), (403, Some(permission)));
    }
    let cleanup = p
        .call("POST", "/v1/admin/cleanup-tokens", Some(&token))
        .await;
    assert_eq!(cleanup.outcome(), (403, Some("tokens:cleanup")));
}

async fn members_viewers_and_strangers_have_no_access_and_unknown_organizations_look_the_same(
    db: TestDatabase,
) {
    let p = Platform::new(db).await;
    let member = p
        .user("member@example.com", Some((&p.customer, Role::Member)))
        .await;
    let viewer = p
        .user("viewer@example.com", Some((&p.customer, Role::Viewer)))
        .await;
    let stranger = p.user("stranger@example.com", None).await;
    let ask = |organization: String| format!("/v1/admin/access?organization_id={organization}");

    for (user, role) in [
        (&member, json!("member")),
        (&viewer, json!("viewer")),
        (&stranger, json!(null)),
    ] {
        let token = p.token(user, None).await;
        let reply = p.get(&ask(p.customer.id.to_string()), &token).await;
        assert_eq!(
            (reply.body["has_access"].clone(), reply.body["role"].clone()),
            (json!(false), role)
        );
    }
    let token = p.token(&stranger, None).await;
    let known = p.get(&ask(p.customer.id.to_string()), &token).await.body;
    let unknown_id = OrganizationId::generate().to_string();
    let unknown = p.get(&ask(unknown_id.clone()), &token).await.body;
    let strip = |mut body: serde_json::Value| {
        body.as_object_mut().unwrap().remove("organization_id");
        body
    };
    assert_eq!(
        strip(known),
        strip(unknown.clone()),
        "an unknown organization answers like one not joined"
    );
    assert_eq!(unknown["organization_id"], unknown_id);
    let not_an_id = p.get(&ask("not-an-id".to_owned()), &token).await;
    assert_eq!(not_an_id.status, 200, "text that is no id is no 422 either");
    assert_eq!(
        strip(not_an_id.body.clone()),
        strip(unknown),
        "text that is no id answers like an organization not joined"
    );
    assert_eq!(not_an_id.body["organization_id"], "not-an-id");
}

async fn a_demoted_platform_admin_loses_the_listings_on_the_next_request(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;
    assert_eq!(p.get("/v1/admin/platform/users", &token).await.status, 200);

    p.provisioning()
        .set_membership(p.admin.id, p.platform.id, Role::Member)
        .await
        .unwrap();

    assert_eq!(
        p.get("/v1/admin/platform/users", &token).await.outcome(),
        (403, Some("users:list"))
    );
    assert_eq!(
        p.get("/v1/admin/platform-status", &token).await.status,
        200,
        "open operations stay open"
    );
}

async fn listings_walk_every_row_once_through_the_api(db: TestDatabase) {
    let p = Platform::new(db).await;
    let plan = SeedPlan {
        users: 23,
        organizations: 4,
        workspaces: 9,
        expired_tokens: 0,
    };
    p.provisioning().seed(plan).await.unwrap();
    let token = p.token(&p.admin, None).await;

    for (listing, expected) in [("users", 25), ("organizations", 6), ("workspaces", 9)] {
        let mut ids = std::collections::HashSet::new();
        let mut uri = format!("/v1/admin/platform/{listing}?limit=4");
        loop {
            let page = p.get(&uri, &token).await;
            assert_eq!(page.status, 200);
            for item in page.body["items"].as_array().unwrap() {
                assert!(
                    ids.insert(item["id"].as_str().unwrap().to_owned()),
                    "{listing}: repeated {item}"
                );
            }
            match page.body["next_cursor"].as_str() {
                Some(cursor) => {
                    uri = format!("/v1/admin/platform/{listing}?limit=4&cursor={cursor}")
                }
                None => break,
            }
        }
        assert_eq!(ids.len(), expected, "{listing}");
    }
}

async fn cleanup_deletes_only_the_records_that_can_no_longer_authenticate(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, None).await;
    let live = p.token(&p.owner, None).await;
    let revoked = p.token(&p.owner, None).await;
    p.service()
        .revoke_text_by_operator(&BearerToken::parse(&revoked).unwrap())
        .await
        .unwrap();
    p.provisioning()
        .seed(SeedPlan {
            users: 1,
            expired_tokens: 40,
            ..SeedPlan::default()
        })
        .await
        .unwrap();

    let dry = p
        .call(
            "POST",
            "/v1/admin/cleanup-tokens?dry_run=true",
            Some(&token),
        )
        .await;
    assert_eq!(dry.body["deleted_count"], 41);
    let done = p
        .call("POST", "/v1/admin/cleanup-tokens", Some(&token))
        .await;
    assert_eq!(
        (done.status, done.body["deleted_count"].clone()),
        (200, json!(41))
    );
    assert_eq!(done.body["message"], "Token cleanup completed");

    assert_eq!(
        p.get("/v1/admin/platform-status", &live).await.status,
        200,
        "a live token survives"
    );
    assert_eq!(p.get("/v1/admin/platform-status", &token).await.status, 200);
    let again = p
        .call("POST", "/v1/admin/cleanup-tokens?dry_run=1", Some(&token))
        .await;
    assert_eq!(again.body["deleted_count"], 0);
}

async fn readiness_follows_the_database(db: TestDatabase) {
    let p = Platform::new(db).await;
    assert_eq!(p.call("GET", "/readyz", None).await.status, 200);
    assert_eq!(p.call("GET", "/healthz", None).await.status, 200);
}

async fn metrics_report_the_database_pool(db: TestDatabase) {
    admin_http::metrics::install();
    let p = Platform::new(db).await;
    let text = p.management_text("/metrics").await;
    assert!(
        text.lines()
            .any(|l| l == "admin_api_db_pool_max_connections 4"),
        "{text}"
    );
    for gauge in [
        "admin_api_db_pool_connections ",
        "admin_api_db_pool_in_use ",
        "admin_api_db_pool_waiting ",
        "admin_api_db_pipelined_statements ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(gauge)),
            "{gauge} in {text}"
        );
    }
}

/// The platform admin's own role does not make every token a platform token: the answer
/// follows the organization the token is scoped to.
async fn platform_status_is_true_only_for_a_token_scoped_to_the_platform_organization(
    db: TestDatabase,
) {
    let p = Platform::new(db).await;
    p.provisioning()
        .set_membership(p.admin.id, p.customer.id, Role::Viewer)
        .await
        .unwrap();
    for (scope, expected) in [
        (Some(&p.platform), true),
        (Some(&p.customer), false),
        (None, false),
    ] {
        let token = p.token(&p.admin, scope).await;
        let reply = p.get("/v1/admin/platform-status", &token).await;
        assert_eq!(
            (reply.status, reply.body),
            (200, json!({"is_platform_org": expected})),
            "scope {:?}",
            scope.map(|o| &o.name)
        );
    }
}

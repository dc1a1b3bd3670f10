//! The audit trail through the real use cases and app on real databases: one event per
//! recorded action with every field as the contract says, reads recorded only when asked,
//! and a change whose event cannot be written answered 500 and undone.

use admin_adapters::on_both_backends;
use admin_adapters::testing::TestDatabase;
use admin_domain::*;
use serde_json::{Value, json};

use super::platform::*;

on_both_backends!(
    each_command_records_one_event_with_every_field,
    each_api_change_records_its_caller_and_request_id,
    reads_are_recorded_only_when_asked_with_their_parameters,
    a_revocation_whose_event_cannot_be_written_is_a_500_and_does_not_happen,
    the_listing_filters_and_refuses_bad_parameters_as_fastapi_does,
);

/// The newest event, as the API shows it, after checking it follows the one before it.
async fn newest(p: &Platform, token: &str) -> Value {
    let reply = p
        .get("/v1/admin/platform/audit-events?limit=2", token)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let items = reply.body["items"].as_array().expect("items").clone();
    let event = items[0].clone();
    let keys: Vec<&str> = event
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "id",
        "at",
        "action",
        "via",
        "actor",
        "target",
        "details",
        "request_id",
        "prev_hash",
        "hash",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(event["hash"].as_str().map(str::len), Some(64));
    if let Some(before) = items.get(1) {
        assert_eq!(event["prev_hash"], before["hash"], "chained");
    }
    assert_eq!(event["at"].as_str().map(str::len), Some(26));
    event
}

/// The fields an event's content is judged by (not its id, time or hashes).
fn content(event: &Value) -> Value {
    json!({
        "action": event["action"], "via": event["via"], "actor": event["actor"],
        "target": event["target"], "details": event["details"], "request_id": event["request_id"],
    })
}

async fn each_command_records_one_event_with_every_field(db: TestDatabase) {
    let p = Platform::new(db).await;
    let token = p.token(&p.admin, Some(&p.platform)).await;
    let commands = p.provisioning();
    let cli = |action: &str, target: Value, details: Value| {
        json!({"action": action, "via": "cli", "actor": null, "target": target,
               "details": details, "request_id": null})
    };

    let org = commands
        .create_organization(NewOrganization {
            name: Name::parse("Globex").unwrap(),
            slug: None,
            platform: false,
        })
        .await
        .unwrap();
    let event = newest(&p, &token).await;
    assert_eq!(event["id"].as_str().map(str::len), Some(36));
    assert_eq!(
        content(&event),
        cli(
            "organization.create",
            json!({"type": "organization", "id": org.id.to_string()}),
            json!({})
        )
    );

    let user = commands
        .create_user(Email::parse("new@example.com").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        content(&newest(&p, &token).await),
        cli(
            "user.create",
            json!({"type": "user", "id": user.id.to_string()}),
            json!({})
        )
    );

    commands
        .set_membership(user.id, org.id, Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        content(&newest(&p, &token).await),
        cli(
            "membership.set",
            json!({"type": "organization", "id": org.id.to_string()}),
            json!({"user_id": user.id.to_string(), "role": "viewer"})
        )
    );

    let workspace = commands
        .create_workspace(org.id, Name::parse("Docs").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        content(&newest(&p, &token).await),
        cli(
            "workspace.create",
            json!({"type": "workspace", "id": workspace.id.to_string()}),
            json!({"organization_id": org.id.to_string()})
        )
    );

    let service = p.service();
    service
        .issue_token(user.id, Some(org.id), Ttl::parse("1h").unwrap())
        .await
        .unwrap();
    let issued = newest(&p, &token).await;
    let token_id = issued["target"]["id"]
        .as_str()
        .expect("a token id")
        .to_owned();
    let listed = p
        .get(
            &format!("/v1/admin/platform/users/{}/tokens", user.id),
            &token,
        )
        .await;
    let record = &listed.body["items"][0];
    assert_eq!(record["id"].as_str(), Some(token_id.as_str()));
    assert_eq!(
        content(&issued),
        cli(
            "token.issue",
            json!({"type": "token", "id": token_id}),
            json!({"user_id": user.id.to_string(), "organization_id": org.id.to_string(),
                   "expires_at": record["expires_at"]})
        )
    );

    service
        .revoke_by_operator(token_id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        content(&newest(&p, &token).await),
        cli(
            "token.revoke",
            json!({"type": "token", "id": token_id}),
            json!({})
        )
    );

    commands
        .seed(SeedPlan {
            users: 3,
            organizations: 1,
            workspaces: 2,
            expired_tokens: 4,
        })
        .await
        .unwrap();
    assert_eq!(
        content(&newest(&p, &token).await),
        cli(
            "seed",
            Value::Null,
            json!({"users": 3, "organizations": 1, "workspaces": 2, "expired_tokens": 4})
        )
    );
    let seeded = p
        .get(
            "/v1/admin/platform/audit-events?action=user.create&include_total=true",
            &token,
        )
        .await;
    assert_eq!(
        seeded.body["total"], 3,
        "the seeded rows have no events of their own: {:?}",
        seeded.body
    );
    assert!(matches!(
        p.db.database.verify().await.unwrap(),
        ChainCheck::Intact { .. }
    ));
}

async fn each_api_change_records_its_caller_and_request_id(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let admin_tokens = p
        .get(
            &format!("/v1/admin/platform/users/{}/tokens", p.admin.id),
            &admin,
        )
        .await;
    let admin_token_id = admin_tokens.body["items"][0]["id"].clone();
    let actor = json!({"user_id": p.admin.id.to_string(), "token_id": admin_token_id});
    let api = |action: &str, target: Value, details: Value, request: &str| {
        json!({"action": action, "via": "api", "actor": actor, "target": target,
               "details": details, "request_id": request})
    };
    let post = async |uri: &str, request_id: &str| {
        let request =
            request("POST", uri, Some(&admin)).insert_header(("X-Request-Id", request_id));
        let reply = p.send(p.service(), request).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        reply
    };

    let victim = p.token(&p.owner, Some(&p.customer)).await;
    let listed = p
        .get(
            &format!("/v1/admin/platform/users/{}/tokens", p.owner.id),
            &admin,
        )
        .await;
    let victim_id = listed.body["items"][0]["id"].as_str().unwrap().to_owned();
    post(
        &format!("/v1/admin/platform/tokens/{victim_id}/revoke"),
        "req-revoke",
    )
    .await;
    assert_eq!(
        content(&newest(&p, &admin).await),
        api(
            "token.revoke",
            json!({"type": "token", "id": victim_id}),
            json!({}),
            "req-revoke"
        )
    );
    let before = newest(&p, &admin).await["id"].clone();
    post(
        &format!("/v1/admin/platform/tokens/{victim_id}/revoke"),
        "req-again",
    )
    .await;
    assert_eq!(
        newest(&p, &admin).await["id"],
        before,
        "revoking again records nothing"
    );
    assert_eq!(
        p.get("/v1/admin/platform-status", &victim).await.status,
        401
    );

    p.token(&p.owner, None).await;
    p.token(&p.owner, None).await;
    post(
        &format!("/v1/admin/platform/users/{}/revoke-tokens", p.owner.id),
        "req-all",
    )
    .await;
    assert_eq!(
        content(&newest(&p, &admin).await),
        api(
            "user.revoke_tokens",
            json!({"type": "user", "id": p.owner.id.to_string()}),
            json!({"revoked_count": 2}),
            "req-all"
        )
    );
    let revocations = p
        .get(
            "/v1/admin/platform/audit-events?action=token.revoke&include_total=true",
            &admin,
        )
        .await;
    assert_eq!(
        revocations.body["total"], 1,
        "one event for revoke-tokens, none per token"
    );

    let reply = post("/v1/admin/cleanup-tokens", "req-clean").await;
    let event = newest(&p, &admin).await;
    let run_id = event["details"]["run_id"]
        .as_str()
        .expect("a run id")
        .to_owned();
    assert_eq!(run_id.len(), 36);
    assert_eq!(
        content(&event),
        api(
            "tokens.cleanup",
            Value::Null,
            json!({"run_id": run_id, "cutoff": reply.body["cutoff"], "deleted_count": 3, "dry_run": false}),
            "req-clean"
        )
    );
    let reply = post("/v1/admin/cleanup-tokens?dry_run=true", "req-dry").await;
    let event = newest(&p, &admin).await;
    assert_eq!(event["details"]["dry_run"], true);
    assert_eq!(event["details"]["deleted_count"], 0);
    assert_eq!(event["details"]["cutoff"], reply.body["cutoff"]);
    assert_eq!(event["request_id"], "req-dry");

    // No X-Request-Id sent: the event holds the one the service made and answered with.
    let reply = p
        .call(
            "POST",
            "/v1/admin/cleanup-tokens?dry_run=true",
            Some(&admin),
        )
        .await;
    let made = reply.request_id.expect("the service answers with one");
    assert!(!made.is_empty());
    assert_eq!(newest(&p, &admin).await["request_id"], made.as_str());

    // No event holds a token, nor a revocation id (the signature's hex).
    let trail = p
        .get("/v1/admin/platform/audit-events?limit=200", &admin)
        .await
        .body
        .to_string();
    for token in [&admin, &victim] {
        let verified = p
            .authority
            .verify(&BearerToken::parse(token).unwrap())
            .await
            .expect("verifies its signature");
        assert!(!trail.contains(token.as_str()));
        assert!(!trail.contains(verified.revocation_id.as_str()));
    }
}

async fn reads_are_recorded_only_when_asked_with_their_parameters(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let total = async || {
        let reply = p
            .get(
                "/v1/admin/platform/audit-events?include_total=true&limit=1",
                &admin,
            )
            .await;
        reply.body["total"].as_u64().expect("a total")
    };
    let quiet = total().await;
    p.get("/v1/admin/platform/users?email_prefix=own", &admin)
        .await;
    assert_eq!(total().await, quiet, "reads are not recorded by default");

    let settings = Settings {
        audit_reads: true,
        ..Settings::default()
    };
    let recording = || service_with(p.db.database.clone(), &p.authority, settings);
    let read = async |uri: String| {
        let reply = p.call_on(recording(), "GET", &uri, Some(&admin)).await;
        assert_eq!(reply.status, 200, "{uri}: {:?}", reply.body);
        let event = newest(&p, &admin).await;
        (
            event["action"].clone(),
            event["target"].clone(),
            event["details"].clone(),
        )
    };
    let (user, org) = (p.owner.id.to_string(), p.customer.id.to_string());
    let of_user = json!({"type": "user", "id": user});
    let of_org = json!({"type": "organization", "id": org});
    let cases = [
        (
            "/v1/admin/platform/users?email_prefix=own&limit=2".to_owned(),
            "users.list",
            Value::Null,
            json!({"email_prefix": "own", "limit": "2"}),
        ),
        (
            "/v1/admin/platform/organizations".to_owned(),
            "organizations.list",
            Value::Null,
            json!({}),
        ),
        (
            "/v1/admin/platform/workspaces?order=desc".to_owned(),
            "workspaces.list",
            Value::Null,
            json!({"order": "desc"}),
        ),
        (
            format!("/v1/admin/platform/users/{user}"),
            "user.read",
            of_user.clone(),
            json!({}),
        ),
        (
            format!("/v1/admin/platform/organizations/{org}"),
            "organization.read",
            of_org.clone(),
            json!({}),
        ),
        (
            format!("/v1/admin/platform/organizations/{org}/members?role=owner"),
            "members.list",
            of_org,
            json!({"role": "owner"}),
        ),
        (
            format!("/v1/admin/platform/users/{user}/memberships"),
            "memberships.list",
            of_user.clone(),
            json!({}),
        ),
        (
            format!("/v1/admin/platform/users/{user}/tokens?state=active"),
            "tokens.list",
            of_user,
            json!({"state": "active"}),
        ),
        (
            "/v1/admin/platform/audit-events?limit=1".to_owned(),
            "audit_events.list",
            Value::Null,
            json!({"limit": "1"}),
        ),
        // What any length of text can mean is recorded normalized: a date-time's fraction
        // digits and an integer's zeros (10,000 of them) cost the trail nothing.
        (
            format!(
                "/v1/admin/platform/audit-events?since=2026-01-02T03:04:05.{}Z&until=1700000000&limit=%202.{}",
                "1".repeat(10_000),
                "0".repeat(10_000)
            ),
            "audit_events.list",
            Value::Null,
            json!({
                "since": "2026-01-02T03:04:05.111111",
                "until": "2023-11-14T22:13:20.000000",
                "limit": "2",
            }),
        ),
    ];
    for (uri, action, target, details) in cases {
        assert_eq!(
            read(uri.clone()).await,
            (json!(action), target, details),
            "{uri}"
        );
    }
    let reply = p
        .call_on(
            recording(),
            "GET",
            "/v1/admin/platform/users?is_active=maybe",
            Some(&admin),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        newest(&p, &admin).await["action"],
        "audit_events.list",
        "a refused read records nothing"
    );
}

async fn a_revocation_whose_event_cannot_be_written_is_a_500_and_does_not_happen(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let victim = p.token(&p.owner, None).await;
    let sql = if p.db.database.is_postgres() {
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no events'; END $$; \
         CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse();"
    } else {
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'no events'); END;"
    };
    p.db.database
        .execute_raw(sql)
        .await
        .expect("the trigger is made");

    let uri = format!("/v1/admin/platform/users/{}/revoke-tokens", p.owner.id);
    let reply = p.call("POST", &uri, Some(&admin)).await;
    assert_eq!(reply.status, 500, "{:?}", reply.body);
    assert_eq!(reply.body["error"], "INTERNAL_SERVER_ERROR");
    assert_eq!(
        p.get("/v1/admin/platform-status", &victim).await.status,
        200,
        "not revoked"
    );
}

async fn the_listing_filters_and_refuses_bad_parameters_as_fastapi_does(db: TestDatabase) {
    let p = Platform::new(db).await;
    let admin = p.token(&p.admin, Some(&p.platform)).await;
    let list = async |query: &str| {
        p.get(&format!("/v1/admin/platform/audit-events?{query}"), &admin)
            .await
    };

    let all = list("include_total=true").await;
    assert_eq!(
        all.body["total"], 7,
        "4 creations, 2 memberships, 1 issue: {:?}",
        all.body
    );
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items[0]["action"], "token.issue", "newest first by default");
    let oldest = list("order=asc&limit=1").await;
    assert_eq!(oldest.body["items"][0]["action"], "organization.create");
    assert_eq!(oldest.body["items"][0]["prev_hash"], "0".repeat(64));
    let target = list(&format!("target_id={}&include_total=true", p.platform.id)).await;
    assert_eq!(target.body["total"], 2, "created, and its membership");
    let since = items[3]["at"].as_str().unwrap();
    let window = list(&format!(
        "since={since}&until=2999-01-01T00:00:00Z&include_total=true"
    ))
    .await;
    assert_eq!(window.body["total"], 4);
    let none = list(&format!("actor_user_id={}&include_total=true", p.admin.id)).await;
    assert_eq!(none.body["total"], 0, "no API call yet");

    let bad = list("since=yesterday&until=2026-13-01&action=&actor_user_id=nope&order=up").await;
    assert_eq!(bad.status, 422);
    let entries: Vec<(Value, Value)> = bad.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["type"].clone(), entry["loc"].clone()))
        .collect();
    assert_eq!(
        entries,
        vec![
            (json!("literal_error"), json!(["query", "order"])),
            (json!("string_too_short"), json!(["query", "action"])),
            (json!("uuid_parsing"), json!(["query", "actor_user_id"])),
            (
                json!("datetime_from_date_parsing"),
                json!(["query", "since"])
            ),
            (
                json!("datetime_from_date_parsing"),
                json!(["query", "until"])
            ),
        ]
    );
    assert!(all.body.get("total").is_some());
    let paged = list("limit=2").await;
    assert!(paged.body.get("total").is_none(), "no total unless asked");
    let newest_first = paged.body["next_cursor"].as_str().unwrap().to_owned();
    let next = list(&format!("limit=2&cursor={newest_first}")).await;
    assert_eq!(next.status, 200, "{:?}", next.body);
    assert_eq!(
        next.body["items"][0]["id"], items[2]["id"],
        "the cursor continues"
    );
    let other_order = list(&format!("order=asc&cursor={newest_first}")).await;
    assert_eq!(other_order.status, 422, "a cursor of the other order");
    assert_eq!(
        other_order.body["detail"][0]["loc"],
        json!(["query", "cursor"])
    );
    let foreign = p
        .get("/v1/admin/platform/users?limit=1&order=desc", &admin)
        .await;
    let cursor = foreign.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        list(&format!("cursor={cursor}")).await.status,
        422,
        "another listing's cursor"
    );
    let owner = p.token(&p.owner, Some(&p.customer)).await;
    let refused = p.get("/v1/admin/platform/audit-events", &owner).await;
    assert_eq!(refused.outcome(), (403, Some("audit:list")));
}

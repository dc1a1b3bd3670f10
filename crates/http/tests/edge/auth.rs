use admin_domain::*;
use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn every_endpoint_answers_401_without_a_token() {
    for (method, uri) in all_endpoints() {
        let reply = World::default().send(request(method, uri)).await;
        let details = reply.envelope(401, "AUTHENTICATION_FAILED", "Authentication required");
        assert_eq!(details, json!({}), "{method} {uri}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer"),
            "{method} {uri}"
        );
    }
}

#[actix_web::test]
async fn malformed_authorization_headers_are_401_without_reaching_verification() {
    let huge = format!("Bearer {}", "a".repeat(5_000));
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Token abc",
        "Bearer ab+/",
        huge.as_str(),
    ] {
        let mut world = World::default();
        world.authority.expect_verify().never();
        let request =
            anonymous("/v1/admin/platform-status").insert_header(("Authorization", header));
        let reply = world.send(request).await;
        reply.envelope(401, "AUTHENTICATION_FAILED", "Authentication required");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

#[actix_web::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let (world, _) = World::with_caller(None);
    let request = anonymous("/v1/admin/platform-status")
        .insert_header(("Authorization", format!("bEaReR {TOKEN}")));
    assert_eq!(world.send(request).await.status, 200);
}

#[actix_web::test]
async fn every_reason_a_token_fails_gives_the_same_401_body() {
    let mut bodies = Vec::new();
    for failure in [AuthFailure::Malformed, AuthFailure::BadSignature] {
        let mut world = World::default();
        world
            .authority
            .expect_verify()
            .returning(move |_| ready(Err(failure.into())));
        bodies.push(world.send(get("/v1/admin/platform/users")).await);
    }
    for (revoked, expired, known) in [
        (true, false, true),
        (false, true, true),
        (false, false, false),
    ] {
        let mut world = World::default();
        let user = UserId::generate();
        let verified = VerifiedToken {
            token_id: TokenId::generate(),
            user_id: user,
            organization_id: None,
            revocation_id: RevocationId::parse("ab").unwrap(),
        };
        let record = CallerRecord {
            token: TokenRecord {
                id: verified.token_id,
                user_id: user,
                organization_id: None,
                revocation_id: verified.revocation_id.clone(),
                issued_at: Timestamp::now(),
                expires_at: if expired {
                    Timestamp::now()
                } else {
                    Timestamp::now().saturating_add(std::time::Duration::from_secs(60))
                },
                revoked_at: revoked.then(Timestamp::now),
            },
            user_active: true,
            platform_role: Some(Role::Owner),
            scoped_to_platform: true,
        };
        world
            .authority
            .expect_verify()
            .returning(move |_| ready(Ok(verified.clone())));
        world
            .access
            .expect_caller()
            .returning(move |_| ready(Ok(known.then(|| record.clone()))));
        bodies.push(world.send(get("/v1/admin/platform/users")).await);
    }
    let without_timestamp = |reply: &Reply| {
        let mut body = reply.json();
        body.as_object_mut().unwrap().remove("timestamp");
        (
            reply.status,
            body,
            reply.header("www-authenticate").map(str::to_owned),
        )
    };
    let first = without_timestamp(&bodies[0]);
    assert_eq!(first.0, 401);
    for reply in &bodies {
        assert_eq!(without_timestamp(reply), first);
    }
}

#[actix_web::test]
async fn each_platform_endpoint_is_403_naming_its_permission_for_a_non_admin() {
    for (method, uri, permission) in PLATFORM_ENDPOINTS {
        for role in [None, Some(Role::Member), Some(Role::Viewer)] {
            let (world, _) = World::with_caller(role);
            let reply = world
                .send(
                    request(method, uri)
                        .insert_header(("Authorization", format!("Bearer {TOKEN}"))),
                )
                .await;
            let details = reply.envelope(
                403,
                "FORBIDDEN",
                "You don't have permission to perform this action",
            );
            assert_eq!(
                details,
                json!({ "required_permission": permission.as_str() }),
                "{uri} {role:?}"
            );
        }
    }
}

#[actix_web::test]
async fn a_token_whose_checks_reject_the_operation_is_403_naming_it() {
    let mut world = World::default();
    world.authenticates(UserId::generate(), Some(Role::Owner), false);
    let reply = world.send(get("/v1/admin/platform-status")).await;
    let details = reply.envelope(
        403,
        "FORBIDDEN",
        "You don't have permission to perform this action",
    );
    assert_eq!(details, json!({ "required_permission": "platform:status" }));
}

#[actix_web::test]
async fn authentication_is_decided_before_query_parameters_are_read() {
    let reply = World::default()
        .send(anonymous("/v1/admin/platform/users?limit=500"))
        .await;
    assert_eq!(reply.status, 401);
    let (world, _) = World::with_caller(Some(Role::Member));
    let reply = world.send(get("/v1/admin/platform/users?limit=500")).await;
    assert_eq!(reply.status, 403);
}

#[actix_web::test]
async fn the_operation_decided_is_the_endpoints_permission() {
    let open_to_any_caller = [
        (
            "GET",
            "/v1/admin/access?organization_id=x",
            Permission::AccessCheck,
        ),
        (
            "GET",
            "/v1/admin/platform-status",
            Permission::PlatformStatus,
        ),
    ];
    for (method, uri, permission) in open_to_any_caller.into_iter().chain(PLATFORM_ENDPOINTS) {
        let mut world = World::default();
        world.verifies(UserId::generate(), Some(Role::Owner));
        world
            .authority
            .expect_authorize()
            .withf(move |_, operation, _| *operation == permission)
            .times(1)
            .returning(|_, _, _| ready(Ok(false)));
        let reply = world
            .send(request(method, uri).insert_header(("Authorization", format!("Bearer {TOKEN}"))))
            .await;
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.json()["details"]["required_permission"],
            permission.as_str()
        );
    }
}

/// Two `Authorization` headers are refused, whatever they hold: a proxy in front may read the
/// last where we would read the first.
#[actix_web::test]
async fn a_request_with_two_authorization_headers_is_401_unverified() {
    for second in [format!("Bearer {TOKEN}"), "Basic dXNlcjpwYXNz".to_owned()] {
        let mut world = World::default();
        world.authority.expect_verify().never();
        let request = get("/v1/admin/platform-status").append_header(("Authorization", second));
        let reply = world.send(request).await;
        reply.envelope(401, "AUTHENTICATION_FAILED", "Authentication required");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

/// What an authenticated endpoint answers (emails, token metadata, audit events), refusals
/// included, is never kept by a cache; open endpoints are not marked.
#[actix_web::test]
async fn authenticated_answers_carry_cache_control_no_store() {
    for (method, uri) in all_endpoints() {
        let reply = World::default().send(request(method, uri)).await;
        assert_eq!(reply.status, 401, "{method} {uri}");
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "{method} {uri}"
        );
    }
    let (world, _) = World::with_caller(None);
    let reply = world.send(get("/v1/admin/platform-status")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let reply = World::default().send(anonymous("/healthz")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), None);
}

/// A 401 leaves no sooner than the refusal delay after its request arrived, whatever refused
/// it: a flood of refused requests cannot take the cores, and the wait tells nothing.
#[actix_web::test]
async fn refusals_are_answered_after_the_refusal_delay() {
    for request in [
        anonymous("/v1/admin/platform-status"),
        anonymous("/v1/admin/platform-status").insert_header(("Authorization", "Basic eA==")),
    ] {
        let started = std::time::Instant::now();
        let reply = World::default().send(request).await;
        assert_eq!(reply.status, 401);
        assert!(
            started.elapsed() >= admin_http::middleware::REFUSAL_DELAY,
            "{:?}",
            started.elapsed()
        );
    }
    let (world, _) = World::with_caller(None);
    let started = std::time::Instant::now();
    assert_eq!(
        world.send(get("/v1/admin/platform-status")).await.status,
        200
    );
    assert!(started.elapsed() < admin_http::middleware::REFUSAL_DELAY);
}

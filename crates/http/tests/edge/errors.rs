use admin_domain::*;
use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn an_unknown_path_is_the_404_envelope() {
    for uri in [
        "/",
        "/v1/admin",
        "/v1/admin/platform/teams",
        "/v1/admin/access/extra",
    ] {
        let reply = World::default().send(anonymous(uri)).await;
        assert_eq!(
            reply.envelope(404, "NOT_FOUND", "Not found"),
            json!({}),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let cases = [
        ("POST", "/v1/admin/access", "GET, HEAD"),
        ("DELETE", "/v1/admin/platform-status", "GET, HEAD"),
        ("GET", "/v1/admin/cleanup-tokens", "POST"),
        ("PUT", "/v1/admin/platform/users", "GET, HEAD"),
        ("POST", "/v1/admin/platform/organizations", "GET, HEAD"),
        ("DELETE", "/v1/admin/platform/workspaces", "GET, HEAD"),
        (
            "POST",
            "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e",
            "GET, HEAD",
        ),
        (
            "DELETE",
            "/v1/admin/platform/organizations/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/members",
            "GET, HEAD",
        ),
        (
            "GET",
            "/v1/admin/platform/tokens/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/revoke",
            "POST",
        ),
        (
            "GET",
            "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e/revoke-tokens",
            "POST",
        ),
        ("DELETE", "/v1/admin/platform/audit-events", "GET, HEAD"),
        ("POST", "/healthz", "GET, HEAD"),
        ("PUT", "/readyz", "GET, HEAD"),
        ("DELETE", "/openapi.json", "GET, HEAD"),
    ];
    for (method, uri, allow) in cases {
        let reply = World::default().send(request(method, uri)).await;
        reply.envelope(405, "METHOD_NOT_ALLOWED", "Method not allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {uri}");
    }
}

#[actix_web::test]
async fn a_storage_failure_is_500_without_internals() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world.directory.expect_users().returning(|_, _| {
        ready(Err(StoreError::Failed(
            "relation \"users\" does not exist".into(),
        )))
    });
    let reply = world.send(get("/v1/admin/platform/users")).await;
    assert_eq!(
        reply.envelope(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
        json!({})
    );
    assert!(!String::from_utf8_lossy(&reply.bytes).contains("relation"));
}

#[actix_web::test]
async fn a_panic_below_the_edge_is_the_500_envelope_not_a_dropped_connection() {
    let (mut world, _) = World::with_caller(Some(Role::Admin));
    world
        .directory
        .expect_users()
        .returning(|_, _| panic!("a bug with a secret in its message"));
    let reply = world.send(get("/v1/admin/platform/users")).await;
    assert_eq!(
        reply.envelope(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
        json!({})
    );
    assert!(!String::from_utf8_lossy(&reply.bytes).contains("secret"));
    assert!(
        reply.header("x-request-id").is_some(),
        "still logged and counted"
    );
}

#[actix_web::test]
async fn an_unreachable_database_is_503_with_retry_after() {
    let mut world = World::default();
    world.authority.expect_verify().returning(|_| {
        ready(Ok(VerifiedToken {
            token_id: TokenId::generate(),
            user_id: UserId::generate(),
            organization_id: None,
            revocation_id: RevocationId::parse("ab").unwrap(),
        }))
    });
    world
        .access
        .expect_caller()
        .returning(|_| ready(Err(StoreError::Unavailable("connection refused".into()))));
    let reply = world.send(get("/v1/admin/platform-status")).await;
    reply.envelope(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is temporarily unavailable",
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(!String::from_utf8_lossy(&reply.bytes).contains("refused"));
}

#[actix_web::test]
async fn the_envelope_keeps_the_contracts_field_order_and_timestamp_form() {
    let reply = World::default()
        .send(anonymous("/v1/admin/platform-status"))
        .await;
    let text = String::from_utf8(reply.bytes.clone()).unwrap();
    let prefix = r#"{"error":"AUTHENTICATION_FAILED","message":"Authentication required","details":{},"timestamp":""#;
    assert!(text.starts_with(prefix), "{text}");
    let timestamp = &text[prefix.len()..prefix.len() + 26];
    assert_contract_timestamp(timestamp);
    assert_eq!(&text[prefix.len() + 26..], r#"","status_code":401}"#);
}

#[actix_web::test]
async fn every_response_carries_a_request_id_echoing_a_sane_incoming_one() {
    let reply = World::default()
        .send(anonymous("/nowhere").insert_header(("X-Request-Id", "trace-42.a:b_c")))
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-42.a:b_c"));

    let generated = World::default().send(anonymous("/healthz")).await;
    let id = generated.header("x-request-id").expect("a new id");
    assert_eq!(id.len(), 36, "a UUID: {id}");

    for insane in ["has space", "quote\"", &"x".repeat(129)] {
        let reply = World::default()
            .send(anonymous("/healthz").insert_header(("X-Request-Id", insane)))
            .await;
        let id = reply.header("x-request-id").expect("an id");
        assert_ne!(id, insane);
        assert_eq!(id.len(), 36);
    }
}

#[actix_web::test]
async fn head_on_a_get_endpoint_answers_without_a_body() {
    let reply = World::default()
        .send(
            actix_web::test::TestRequest::default()
                .method(actix_web::http::Method::HEAD)
                .uri("/healthz"),
        )
        .await;
    assert_eq!(reply.status, 200);
}

#[actix_web::test]
async fn a_body_larger_than_the_limit_is_413_before_authentication() {
    let mut world = World::default();
    world.authority.expect_verify().never();
    let request = request("POST", "/v1/admin/cleanup-tokens")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .insert_header(("Content-Length", "1000000"));
    let reply = world.send(request).await;
    assert_eq!(
        reply.envelope(413, "PAYLOAD_TOO_LARGE", "Request body too large"),
        json!({})
    );
    assert!(reply.header("x-request-id").is_some());
}

#[actix_web::test]
async fn too_many_or_too_large_headers_are_431_before_authentication() {
    let many = (0..70).fold(anonymous("/v1/admin/platform-status"), |request, i| {
        request.insert_header((format!("x-extra-{i}"), "1"))
    });
    let large =
        anonymous("/v1/admin/platform-status").insert_header(("x-large", "a".repeat(17_000)));
    for request in [many, large] {
        let mut world = World::default();
        world.authority.expect_verify().never();
        let reply = world.send(request).await;
        assert_eq!(
            reply.envelope(431, "HEADERS_TOO_LARGE", "Request headers too large"),
            json!({})
        );
    }
}

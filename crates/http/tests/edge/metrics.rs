use admin_domain::Role;

use super::support::*;

fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.trim().parse().ok())
    })
}

#[actix_web::test]
async fn requests_authentications_and_cleanups_are_counted_in_prometheus_text() {
    admin_http::metrics::install();
    let (world, _) = World::with_caller(Some(Role::Admin));
    assert_eq!(
        world.send(get("/v1/admin/platform-status")).await.status,
        200
    );
    assert_eq!(
        World::default()
            .send(anonymous("/v1/admin/platform-status"))
            .await
            .status,
        401
    );
    let (mut world, _) = World::with_caller(Some(Role::Owner));
    world
        .tokens
        .expect_delete_stale()
        .returning(|_, _| ready(Ok(4)));
    let cleanup = request("POST", "/v1/admin/cleanup-tokens")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")));
    assert_eq!(world.send(cleanup).await.status, 200);
    assert_eq!(
        World::default()
            .send(anonymous("/no/such/path"))
            .await
            .status,
        404
    );

    let reply = World::default().send(anonymous("/metrics")).await;

    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    let text = String::from_utf8(reply.bytes).unwrap();
    let at_least_one = |series: &str| {
        assert!(
            value_of(&text, series).is_some_and(|v| v >= 1.0),
            "{series} in\n{text}"
        )
    };
    at_least_one(
        r#"admin_api_http_requests_total{route="/v1/admin/platform-status",method="GET",status="200"}"#,
    );
    at_least_one(
        r#"admin_api_http_requests_total{route="/v1/admin/platform-status",method="GET",status="401"}"#,
    );
    at_least_one(r#"admin_api_http_requests_total{route="unmatched",method="GET",status="404"}"#);
    at_least_one(
        r#"admin_api_http_request_duration_seconds_count{route="/v1/admin/platform-status",method="GET",status="200"}"#,
    );
    at_least_one(r#"admin_api_token_verifications_total{outcome="valid"}"#);
    at_least_one(r#"admin_api_token_verifications_total{outcome="missing"}"#);
    at_least_one(r#"admin_api_token_cleanup_runs_total{dry_run="false"}"#);
    assert!(
        value_of(&text, "admin_api_token_cleanup_deleted_total").is_some_and(|v| v >= 4.0),
        "{text}"
    );
}

#[actix_web::test]
async fn bad_signatures_are_counted_by_reason() {
    admin_http::metrics::install();
    let mut world = World::default();
    world
        .authority
        .expect_verify()
        .returning(|_, _, _| Err(admin_domain::AuthFailure::BadSignature));
    assert_eq!(
        world.send(get("/v1/admin/platform-status")).await.status,
        401
    );
    let text = String::from_utf8(World::default().send(anonymous("/metrics")).await.bytes).unwrap();
    assert!(
        value_of(
            &text,
            r#"admin_api_token_verifications_total{outcome="bad_signature"}"#
        )
        .is_some_and(|v| v >= 1.0),
        "{text}"
    );
}

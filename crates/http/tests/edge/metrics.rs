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
        .returning(|_, _, _| ready(Ok(4)));
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

    let reply = manage(anonymous("/metrics")).await;

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
    at_least_one(r#"admin_api_token_cleanup_runs_total{trigger="api",dry_run="false"}"#);
    assert!(
        value_of(
            &text,
            r#"admin_api_token_cleanup_deleted_total{trigger="api"}"#
        )
        .is_some_and(|v| v >= 4.0),
        "{text}"
    );
    assert!(
        value_of(
            &text,
            r#"admin_api_token_cleanup_last_success_timestamp_seconds{trigger="api"}"#
        )
        .is_some_and(|v| v > 1.7e9),
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
        .returning(|_| ready(Err(admin_domain::AuthFailure::BadSignature.into())));
    assert_eq!(
        world.send(get("/v1/admin/platform-status")).await.status,
        401
    );
    let text = String::from_utf8(manage(anonymous("/metrics")).await.bytes).unwrap();
    assert!(
        value_of(
            &text,
            r#"admin_api_token_verifications_total{outcome="bad_signature"}"#
        )
        .is_some_and(|v| v >= 1.0),
        "{text}"
    );
}

#[actix_web::test]
async fn metrics_are_not_served_on_the_public_listener() {
    let reply = World::default().send(anonymous("/metrics")).await;
    reply.envelope(404, "NOT_FOUND", "Not found");
}

#[actix_web::test]
async fn the_management_listener_serves_metrics_health_and_readiness_only() {
    assert_eq!(manage(anonymous("/healthz")).await.status, 200);
    assert_eq!(manage(anonymous("/readyz")).await.status, 200);
    manage_with(anonymous("/readyz"), Err("down".to_owned()))
        .await
        .envelope(
            503,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable",
        );
    manage(anonymous("/v1/admin/platform-status"))
        .await
        .envelope(404, "NOT_FOUND", "Not found");
    let refused = manage(request("POST", "/metrics")).await;
    refused.envelope(405, "METHOD_NOT_ALLOWED", "Method not allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));
}

#[actix_web::test]
async fn any_method_a_client_invents_is_counted_as_other() {
    admin_http::metrics::install();
    for i in 0..50 {
        let method = format!("INVENTED{i}{}", "X".repeat(i * 20));
        let reply = World::default()
            .send(request(&method, "/v1/admin/platform-status"))
            .await;
        assert_eq!(reply.status, 405, "{method}");
        World::default()
            .send(request(&method, "/no/such/path"))
            .await;
    }

    let text = String::from_utf8(manage(anonymous("/metrics")).await.bytes).unwrap();

    let methods: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|line| line.starts_with("admin_api_http_requests_total{"))
        .filter_map(|line| line.split("method=\"").nth(1)?.split('"').next())
        .collect();
    assert!(methods.contains("other"), "{text}");
    assert!(
        methods
            .iter()
            .all(|m| ["GET", "HEAD", "POST", "other"].contains(m)),
        "{methods:?}"
    );
    assert!(!text.contains("INVENTED"));
}

#[actix_web::test]
async fn every_metric_family_is_described_and_process_metrics_are_there() {
    admin_http::metrics::install();
    let (world, _) = World::with_caller(Some(Role::Admin));
    world.send(get("/v1/admin/platform-status")).await;

    let text = String::from_utf8(manage(anonymous("/metrics")).await.bytes).unwrap();

    let described: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# HELP ")?.split(' ').next())
        .collect();
    for line in text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
    {
        let series = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| series.strip_suffix(suffix))
            .filter(|family| described.contains(family))
            .unwrap_or(series);
        assert!(
            described.contains(family),
            "{family} has no # HELP in\n{text}"
        );
    }
    for process in [
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(
            value_of(&text, process).is_some_and(|v| v > 0.0),
            "{process} in\n{text}"
        );
    }
    assert!(
        value_of(&text, "process_cpu_seconds_total").is_some(),
        "whole seconds, so 0 this early: {text}"
    );
}

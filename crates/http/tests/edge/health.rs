use serde_json::json;

use super::support::*;

#[actix_web::test]
async fn healthz_answers_without_touching_the_database() {
    let reply = World::default()
        .send_with(anonymous("/healthz"), Err("down".to_owned()))
        .await;
    assert_eq!((reply.status, reply.json()), (200, json!({"status": "ok"})));
}

#[actix_web::test]
async fn readyz_answers_when_the_database_does() {
    let reply = World::default().send(anonymous("/readyz")).await;
    assert_eq!(
        (reply.status, reply.json()),
        (200, json!({"status": "ready"}))
    );
}

#[actix_web::test]
async fn readyz_is_503_with_retry_after_when_the_database_does_not_answer() {
    let reply = World::default()
        .send_with(anonymous("/readyz"), Err("connection refused".to_owned()))
        .await;
    reply.envelope(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is temporarily unavailable",
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
}

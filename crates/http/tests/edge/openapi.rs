use admin_domain::Listing;
use serde_json::{Value, json};

use super::support::*;

async fn document() -> Value {
    let reply = World::default().send(anonymous("/openapi.json")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

#[actix_web::test]
async fn the_document_is_openapi_3_1_and_describes_every_endpoint() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in [
        ("get", "/v1/admin/access"),
        ("get", "/v1/admin/platform-status"),
        ("post", "/v1/admin/cleanup-tokens"),
        ("get", "/v1/admin/platform/users"),
        ("get", "/v1/admin/platform/organizations"),
        ("get", "/v1/admin/platform/workspaces"),
    ] {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path}");
        assert_eq!(operation["security"], json!([{"bearer": []}]), "{path}");
        for status in ["200", "401", "403", "500", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path} documents {status}"
            );
        }
        assert_eq!(
            operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Envelope"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[actix_web::test]
async fn the_listing_parameters_carry_their_bounds_and_cursor_patterns() {
    let doc = document().await;
    for (path, listing) in [
        ("/v1/admin/platform/users", Listing::Users),
        ("/v1/admin/platform/organizations", Listing::Organizations),
        ("/v1/admin/platform/workspaces", Listing::Workspaces),
    ] {
        let operation = &doc["paths"][path]["get"];
        let parameter = |name: &str| {
            operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            (
                parameter("limit")["schema"]["minimum"].clone(),
                parameter("limit")["schema"]["maximum"].clone()
            ),
            (json!(1), json!(200))
        );
        assert_eq!(
            parameter("cursor")["schema"]["pattern"],
            listing.cursor_pattern(),
            "{path}"
        );
        assert_eq!(
            operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ValidationBody"
        );
    }
    assert!(doc["components"]["schemas"]["ValidationBody"].is_object());
    let required = &doc["paths"]["/v1/admin/access"]["get"]["parameters"][0];
    assert_eq!(
        (required["name"].clone(), required["required"].clone()),
        (json!("organization_id"), json!(true))
    );
}

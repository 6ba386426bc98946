//! The OpenAPI document: served, committed, and the same.

use beacon_tests::app::TestApp;

#[test]
fn the_served_document_is_the_committed_one() {
    let app = TestApp::sqlite();
    let served = app.send("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(served.status, 200);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert!(
        served.json() == committed,
        "openapi/openapi.json is out of date: run `cargo run --bin beacon -- openapi` and commit it"
    );
}

#[test]
fn every_route_is_documented_with_its_security() {
    let document = serde_json::to_value(beacon_api::rest::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 17);
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let public = path == "/api/v1/auth/token" || path.ends_with("z");
            assert_eq!(
                operation.get("security").is_none(),
                public,
                "{method} {path}"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|s| s.starts_with('2')),
                "{method} {path}"
            );
        }
    }
    assert!(document["components"]["schemas"]["Problem"]["example"].is_object());
}

#[test]
fn the_interactive_docs_work_offline() {
    let app = TestApp::sqlite();
    let page = app.send("GET", "/docs/", None, None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    let script = app.send("GET", "/docs/swagger-ui-bundle.js", None, None);
    assert_eq!(script.status, 200);
    assert!(
        script.text.len() > 100_000,
        "the bundle is served from the binary"
    );
    let config = app.send("GET", "/docs/swagger-initializer.js", None, None);
    assert!(
        config.text.contains("/api/v1/openapi.json"),
        "{}",
        config.text
    );
}

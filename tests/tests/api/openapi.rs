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

#[test]
fn operations_are_named_once_every_answer_is_described_and_fields_carry_the_servers_rules() {
    let document = serde_json::to_value(beacon_api::rest::openapi()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "{id} repeats ({method} {path})");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let described = response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {status} has no description");
            }
            if operation.get("security").is_some() {
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path} lists no 401"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} lists no {status}"
                    );
                }
            }
        }
    }
    let schemas = &document["components"]["schemas"];
    let words = |values: &[&str]| serde_json::json!(values);
    assert_eq!(
        schemas["NewReport"]["properties"]["rating"]["enum"],
        words(beacon_core::Rating::WORDS)
    );
    assert_eq!(
        schemas["UserView"]["properties"]["role"]["enum"],
        words(beacon_core::Role::WORDS)
    );
    assert_eq!(
        schemas["NewUser"]["properties"]["password"]["minLength"],
        12
    );
    let amount = &schemas["NewAllocation"]["properties"]["amount_pence"];
    assert_eq!(amount["maximum"], beacon_core::Pence::LIMIT.get());
    let export =
        &document["paths"]["/api/v1/funding/history.csv"]["get"]["responses"]["200"]["content"];
    assert!(export.get("text/csv").is_some(), "{export}");
}

//! Bad requests of every kind get a problem document that says what to fix.

use beacon_tests::api_test;
use serde_json::json;

api_test!(fn malformed_bodies_are_refused_with_a_reason(app) {
    let admin = app.admin();
    let path = "/api/v1/programmes/esn/status-reports";
    let problem = app.raw("POST", path, Some(&admin), Some(("application/json", "{\"rating\": ")), &[]).problem(400);
    assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"));
    let problem = app.raw("POST", path, Some(&admin), Some(("text/plain", "rating=red")), &[]).problem(415);
    assert!(problem["detail"].as_str().unwrap().contains("application/json"));
    let problem = app.post(path, &admin, json!({"rating": "red", "rationale": "x", "period_end": "2026-01-01", "colour": "red"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "colour");
    assert_eq!(problem["errors"][0]["message"], "'colour' is not a field Beacon knows; the fields accepted here are: rating, rationale, period_end");
    let problem = app.post(path, &admin, json!({"rating": 5, "period_end": "2026-01-01"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "rating");
    assert_eq!(problem["errors"][0]["message"], "expected text in quotes, got 5");
    let reply = oversized(app, path, &admin);
    assert!(reply.contains("HTTP/1.1 413 Payload Too Large"), "{reply}");
    assert!(reply.to_lowercase().contains("content-type: application/problem+json"), "{reply}");
    assert!(reply.contains("larger than the 64 KiB"), "{reply}");
    assert_eq!(app.get("/api/v1/programmes/esn/status-reports", &admin).json()["items"].as_array().unwrap().len(), 7, "nothing was stored");
});

/// Announces a 100 KB body and waits to be told to send it, as careful clients do:
/// the server refuses from the headers alone, so the answer does not race the upload.
fn oversized(app: &beacon_tests::app::TestApp, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
}

api_test!(fn unknown_routes_and_wrong_methods_are_told_apart(app) {
    let admin = app.admin();
    let problem = app.get("/api/v1/nothing-here", &admin).problem(404);
    assert!(problem["detail"].as_str().unwrap().contains("/api/v1/openapi.json"));
    app.send("GET", "/favicon.ico", None, None).problem(404);
    let wrong = app.send("DELETE", "/api/v1/programmes/esn", Some(&admin), None);
    wrong.problem(405);
    assert_eq!(wrong.header("allow"), Some("GET, PATCH"));
    let wrong = app.send("PUT", "/api/v1/users", Some(&admin), None);
    wrong.problem(405);
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    app.send("GET", "/api/v1/funding-streams/x/allocations", Some(&admin), None).problem(405);
});

api_test!(fn no_internal_detail_reaches_a_response(app) {
    let admin = app.admin();
    for reply in [
        app.post("/api/v1/funding-streams", &admin, json!({"code": "hmt-police-technology-2024-28", "name": "Again"})),
        app.post("/api/v1/users", &admin, json!({"email": "admin@beacon.test", "role": "admin", "password": "long enough password"})),
        app.get("/api/v1/programmes?cursor=%00%01", &admin),
    ] {
        let text = reply.text.to_lowercase();
        for word in ["diesel", "sql", "constraint", "panicked", "stack", "src/"] {
            assert!(!text.contains(word), "'{word}' leaked: {}", reply.text);
        }
        assert!(reply.status >= 400 && reply.status < 500, "{}", reply.text);
    }
});

api_test!(fn money_that_is_not_whole_pence_is_refused_in_the_users_words(app) {
    let admin = app.admin();
    let path = "/api/v1/funding-streams/hmt-police-technology-2024-28/allocations";
    for (amount, got) in [(json!(12.5), "got 12.5"), (json!("£5m"), "got \"£5m\"")] {
        let body = json!({"programme": "esn", "financial_year": "2025-26", "kind": "allocation", "amount_pence": amount, "reason": "Top-up"});
        let problem = app.post(path, &admin, body).problem(422);
        assert_eq!(problem["errors"][0]["field"], "amount_pence", "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("expected a whole number of pence"), "{message}");
        assert!(message.ends_with(got), "{message}");
        assert!(!problem["detail"].as_str().unwrap().contains("i64"), "{problem}");
    }
});

api_test!(fn an_unknown_query_parameter_is_named_with_the_accepted_ones(app) {
    let problem = app.get("/api/v1/programmes?ratings=red", &app.admin()).problem(422);
    assert_eq!(problem["errors"][0]["field"], "ratings");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("'ratings' is not a parameter Beacon knows; the parameters accepted here are: rating, stage, sponsor"), "{message}");
    assert!(!message.contains('`'), "{message}");
    let problem = app.get("/api/v1/funding/history?limit=lots", &app.admin()).problem(422);
    assert!(!problem["detail"].as_str().unwrap().contains("invalid digit"), "{problem}");
});

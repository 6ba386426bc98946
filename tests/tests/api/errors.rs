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
    assert!(problem["detail"].as_str().unwrap().contains("unknown field `colour`"));
    let problem = app.post(path, &admin, json!({"rating": 5, "period_end": "2026-01-01"})).problem(422);
    assert!(problem["detail"].as_str().unwrap().contains("invalid type"));
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

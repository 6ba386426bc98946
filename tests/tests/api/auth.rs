use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TEST_SECRET};
use serde_json::json;

api_test!(fn sign_in_gives_a_bearer_token_that_identifies_the_user(app) {
    let reply = app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", token);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
    assert_eq!(me.json()["role"], "admin");
});

api_test!(fn a_wrong_password_and_an_unknown_email_look_the_same(app) {
    let wrong = app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": ADMIN_EMAIL, "password": "not the password at all"})));
    let unknown = app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": "nobody@beacon.test", "password": "not the password at all"})));
    let (mut a, mut b) = (wrong.problem(401), unknown.problem(401));
    assert_ne!(a["request_id"], b["request_id"], "each request has its own id");
    a["request_id"] = serde_json::Value::Null;
    b["request_id"] = serde_json::Value::Null;
    assert_eq!(a, b);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer realm=\"beacon\""));
});

/// A token signed with the test servers' key, with these claims.
fn token_with(claims: serde_json::Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

/// Asserts a 401 whose problem and RFC 6750 challenge both name the fault.
fn refused_because(reply: beacon_tests::app::Reply, reason: &str) {
    let problem = reply.problem(401);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(reason), "'{reason}' not in: {detail}");
    assert!(detail.contains("sign in again"), "{detail}");
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge
            .starts_with("Bearer realm=\"beacon\", error=\"invalid_token\", error_description=\""),
        "{challenge}"
    );
    assert!(challenge.contains(reason), "'{reason}' not in: {challenge}");
}

api_test!(fn requests_without_a_valid_token_are_refused_saying_why(app) {
    let missing = app.send("GET", "/api/v1/programmes", None, None);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer realm=\"beacon\""));
    assert!(missing.problem(401)["detail"].as_str().unwrap().contains("POST /api/v1/auth/token"));
    refused_because(app.get("/api/v1/programmes", "not-a-token"), "cut short or garbled");
    let forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjEsImlzcyI6ImJlYWNvbiIsImF1ZCI6ImJlYWNvbi1hcGkifQ.c2lnbmF0dXJl";
    refused_because(app.get("/api/v1/programmes", forged), "signature does not match");
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, aud: &str| json!({"sub": "1", "role": "admin", "exp": exp, "iat": now - 7200, "iss": "beacon", "aud": aud, "ver": 0});
    refused_because(app.get("/api/v1/programmes", &token_with(claims(now - 3600, "beacon-api"))), "has expired");
    refused_because(app.get("/api/v1/programmes", &token_with(claims(now + 3600, "another-api"))), "issued for another service");
    assert_eq!(app.get("/api/v1/programmes", &token_with(claims(now + 3600, "beacon-api"))).status, 200, "the same claims, current, are accepted");
});

api_test!(fn repeated_failures_are_throttled_per_account(app) {
    for _ in 0..5 {
        let reply = app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": ADMIN_EMAIL, "password": "guessing wrongly"})));
        reply.problem(401);
    }
    let reply = app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})));
    reply.problem(429);
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
});

api_test!(fn a_disabled_users_token_stops_working_at_once(app) {
    let (id, token) = app.user("leaver@force.police.uk", "viewer");
    assert_eq!(app.get("/api/v1/programmes", &token).status, 200);
    let admin = app.admin();
    let reply = app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&admin), Some(&json!({"active": false})));
    assert_eq!(reply.status, 200, "{}", reply.text);
    refused_because(app.get("/api/v1/programmes", &token), "ended by a change to the account");
    app.send("POST", "/api/v1/auth/token", None, Some(&json!({"email": "leaver@force.police.uk", "password": PASSWORD}))).problem(401);
});

api_test!(fn a_role_change_ends_earlier_tokens_and_the_next_has_the_new_role(app) {
    let (id, token) = app.user("analyst@force.police.uk", "viewer");
    app.post("/api/v1/funding-streams", &token, json!({"code": "new-stream", "name": "New"})).problem(403);
    app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&app.admin()), Some(&json!({"role": "finance"})));
    app.get("/api/v1/programmes", &token).problem(401);
    let token = app.token("analyst@force.police.uk", PASSWORD);
    assert_eq!(app.post("/api/v1/funding-streams", &token, json!({"code": "new-stream", "name": "New"})).status, 201);
});

api_test!(fn a_password_reset_ends_the_tokens_issued_before_it(app) {
    let (id, old) = app.user("forgetful@force.police.uk", "viewer");
    let admin = app.admin();
    let new_password = "a brand new password for tests";
    let reply = app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&admin), Some(&json!({"password": new_password})));
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.get("/api/v1/programmes", &old).problem(401);
    let fresh = app.token("forgetful@force.police.uk", new_password);
    assert_eq!(app.get("/api/v1/programmes", &fresh).status, 200);
    // An unrelated change (enabling an account already enabled) ends nothing.
    app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&admin), Some(&json!({"active": true})));
    assert_eq!(app.get("/api/v1/programmes", &fresh).status, 200);
});

//! Forces, health checks: the read-only reference parts.

use beacon_tests::api_test;

api_test!(fn forces_are_listed_and_found(app) {
    let token = app.admin();
    let forces = app.get("/api/v1/forces", &token).json();
    assert_eq!(forces.as_array().unwrap().len(), 43);
    let norfolk = app.get("/api/v1/forces/norfolk", &token);
    assert_eq!(norfolk.status, 200);
    assert_eq!(norfolk.json()["name"], "Norfolk Constabulary");
    app.get("/api/v1/forces/atlantis", &token).problem(404);
});

api_test!(fn health_and_readiness_answer_without_a_token(app) {
    let health = app.send("GET", "/healthz", None, None);
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("ok")));
    let ready = app.send("GET", "/readyz", None, None);
    assert_eq!((ready.status, ready.json()["status"].as_str()), (200, Some("ready")));
    assert!(ready.header("x-request-id").is_some_and(|id| id.len() >= 32));
});

use beacon_tests::api_test;
use serde_json::json;

fn report(rating: &str) -> serde_json::Value {
    json!({"rating": rating, "rationale": "Supplier milestones slipped again.", "period_end": "2026-09-30"})
}

api_test!(fn an_owner_reports_and_the_programme_shows_it(app) {
    let (lead, token) = app.user("sro@pnd.police.uk", "lead");
    app.own("pnd-transformation", lead);
    let created = app.post("/api/v1/programmes/pnd-transformation/status-reports", &token, report("amber"));
    assert_eq!(created.status, 201, "{}", created.text);
    let body = created.json();
    assert_eq!(body["rating"], "amber");
    assert_eq!(body["previous_rating"], "red");
    assert_eq!(body["reported_by"], lead);
    assert_eq!(body["source"], "beacon");

    let programme = app.get("/api/v1/programmes/pnd-transformation", &token).json();
    assert_eq!(programme["rating"], "amber");
    assert_eq!(programme["rating_since"], body["reported_at"]);
    let amber = app.get("/api/v1/programmes?rating=amber", &token).json();
    assert!(amber["items"].as_array().unwrap().iter().any(|p| p["code"] == "pnd-transformation"));

    let history = app.get("/api/v1/programmes/pnd-transformation/status-reports", &token).json();
    let ratings: Vec<&str> = history["items"].as_array().unwrap().iter().map(|r| r["rating"].as_str().unwrap()).collect();
    assert_eq!(ratings, ["amber", "red", "amber"], "newest first, after the published ratings");
    let page = app.get("/api/v1/programmes/pnd-transformation/status-reports?limit=1", &token).json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app.get(&format!("/api/v1/programmes/pnd-transformation/status-reports?limit=2&cursor={cursor}"), &token).json();
    let rest: Vec<&str> = next["items"].as_array().unwrap().iter().map(|r| r["rating"].as_str().unwrap()).collect();
    assert_eq!(rest, ["red", "amber"]);
});

api_test!(fn only_owners_and_admins_report(app) {
    let (_, outsider) = app.user("other@force.police.uk", "lead");
    app.post("/api/v1/programmes/esn/status-reports", &outsider, report("red")).problem(403);
    let (_, viewer) = app.user("viewer@force.police.uk", "viewer");
    app.post("/api/v1/programmes/esn/status-reports", &viewer, report("red")).problem(403);
    let created = app.post("/api/v1/programmes/esn/status-reports", &app.admin(), report("red"));
    assert_eq!(created.status, 201);
    app.post("/api/v1/programmes/no-such/status-reports", &app.admin(), report("red")).problem(404);
});

api_test!(fn report_input_is_checked(app) {
    let admin = app.admin();
    let path = "/api/v1/programmes/esn/status-reports";
    let problem = app.post(path, &admin, json!({"rating": "blue", "period_end": "30/09/2026"})).problem(422);
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rating", "period_end"]);
    let problem = app.post(path, &admin, json!({"rating": "red", "period_end": "2026-09-30"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "rationale");
    let problem = app.post(path, &admin, json!({"rating": "green", "period_end": "2999-01-01"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "period_end");
    assert_eq!(app.post(path, &admin, json!({"rating": "green", "period_end": "2026-09-30"})).status, 201);
});

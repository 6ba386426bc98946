//! Hostile and careless input alike gets a 4xx that says what to fix, the same on both
//! backends; and every response carries the headers that keep browsers and caches
//! from misusing it.

use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use serde_json::json;

fn assert_field_problem(reply: &beacon_tests::app::Reply, field: &str, says: &str) {
    let problem = reply.problem(422);
    let text = problem.to_string();
    assert!(text.contains(field) && text.contains(says), "{text}");
}

api_test!(fn a_nul_is_refused_in_paths_queries_and_bodies(app) {
    let admin = app.admin();
    for path in [
        "/api/v1/programmes?q=a%00b",
        "/api/v1/programmes/pnd%00transformation",
        "/api/v1/audit?actor=a%00b",
        "/api/v1/funding/history?programme=x%01y",
    ] {
        assert_field_problem(&app.get(path, &admin), "", "control characters");
    }
    let programme = json!({
        "code": "nul-test", "name": "A\u{0}name", "capability_area": "digital-forensics",
        "sponsor": "NPCC", "stage": "pipeline"
    });
    assert_field_problem(&app.post("/api/v1/programmes", &admin, programme), "name", "U+0000");
    let patch = json!({"sponsor": "Home\u{0}Office"});
    let reply = app.raw("PATCH", "/api/v1/programmes/pnd-transformation", Some(&admin),
        Some(("application/json", &patch.to_string())), &[("if-match", "*")]);
    assert_field_problem(&reply, "sponsor", "U+0000");
    let user = json!({"email": "x@force.police.uk", "role": "viewer", "password": "a password\u{0}with a nul"});
    assert_field_problem(&app.post("/api/v1/users", &admin, user), "password", "U+0000");
    // Nothing was stored, and the register still answers.
    app.get("/api/v1/programmes/nul-test", &admin).problem(404);
    assert_eq!(app.get("/api/v1/programmes?q=pnd", &admin).status, 200);
});

api_test!(fn free_text_keeps_its_line_breaks_but_a_name_is_one_line(app) {
    let admin = app.admin();
    let report = json!({
        "rating": "amber", "period_end": "2025-06-30",
        "rationale": "Supplier late.\nRecovery plan agreed.\tSee annex."
    });
    let reply = app.post("/api/v1/programmes/pnd-transformation/status-reports", &admin, report);
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json()["rationale"], "Supplier late.\nRecovery plan agreed.\tSee annex.");
    let stream = json!({"code": "two-lines", "name": "Two\nlines"});
    assert_field_problem(&app.post("/api/v1/funding-streams", &admin, stream), "name", "U+000A");
});

api_test!(fn a_date_outside_the_recorded_range_gets_the_same_422_everywhere(app) {
    let admin = app.admin();
    for day in ["1990-03-31", "0001-01-01", "2201-04-01"] {
        for path in [
            format!("/api/v1/programmes?as_of={day}"),
            format!("/api/v1/portfolio?as_of={day}"),
            format!("/api/v1/programmes/pnd-transformation?as_of={day}"),
            format!("/api/v1/funding/summary?as_of={day}"),
        ] {
            let reply = app.get(&path, &admin);
            assert_field_problem(&reply, "as_of", "use a date from 1990-04-01 to today");
        }
    }
    assert_eq!(app.get("/api/v1/portfolio?as_of=1990-04-01", &admin).status, 200);
    let report = json!({"rating": "green", "period_end": "0001-01-01"});
    let reply = app.post("/api/v1/programmes/pnd-transformation/status-reports", &admin, report);
    assert_field_problem(&reply, "period_end", "1990-04-01");
});

api_test!(fn every_response_says_nosniff_and_api_answers_are_not_stored(app) {
    let token = app.send("POST", "/api/v1/auth/token", None,
        Some(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})));
    let admin = app.admin();
    let csv = app.raw("GET", "/api/v1/funding/history?format=csv", Some(&admin), None, &[]);
    assert_eq!(csv.status, 200, "{}", csv.text);
    for reply in [
        &token,
        &app.get("/api/v1/users", &admin),
        &csv,
        &app.send("GET", "/api/v1/programmes", None, None),
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("strict-transport-security"), None, "not in development");
    }
    let health = app.send("GET", "/healthz", None, None);
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    let docs = app.send("GET", "/docs/", None, None);
    assert_eq!(docs.status, 200);
    assert!(docs.header("content-type").unwrap().starts_with("text/html"));
    assert!(docs.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(docs.header("x-frame-options"), Some("DENY"));
    assert_eq!(docs.header("referrer-policy"), Some("no-referrer"));
});

#[test]
fn production_asks_browsers_for_https_only() {
    let app = TestApp::spawn_with(beacon_tests::TestDb::sqlite(), |settings| {
        settings.environment = beacon_api::settings::Environment::Production;
    });
    for reply in [
        app.send("GET", "/healthz", None, None),
        app.send("GET", "/docs/", None, None),
    ] {
        let hsts = reply.header("strict-transport-security").unwrap();
        assert!(hsts.starts_with("max-age="), "{hsts}");
    }
}

api_test!(fn money_beyond_the_limit_is_refused_and_every_total_still_reads(app) {
    let admin = app.admin();
    let year = "2030-31";
    let limit = beacon_core::Pence::LIMIT.get();
    for code in ["first-stream", "second-stream"] {
        let stream = app.post("/api/v1/funding-streams", &admin, json!({"code": code, "name": code}));
        assert_eq!(stream.status, 201, "{}", stream.text);
    }
    let envelope = |code: &str, pence: i64| {
        app.send("PUT", &format!("/api/v1/funding-streams/{code}/envelopes/{year}"), Some(&admin),
            Some(&json!({"amount_pence": pence, "basis": "Test"})))
    };
    assert_field_problem(&envelope("first-stream", i64::MAX), "amount_pence", "£10,000,000,000,000.00");
    assert_eq!(envelope("first-stream", limit).status, 200);
    assert_field_problem(&envelope("second-stream", 1), "amount_pence", "the envelopes for 2030-31");

    let allocate = |pence: i64| {
        app.post("/api/v1/funding-streams/first-stream/allocations", &admin, json!({
            "programme": "pnd-transformation", "financial_year": year, "amount_pence": pence,
            "kind": "allocation", "reason": "Test"
        }))
    };
    assert_field_problem(&allocate(i64::MAX), "amount_pence", "at most");
    assert_eq!(allocate(limit / 2).status, 201);
    assert_eq!(allocate(limit / 2).status, 201);
    allocate(1).problem(422);

    let spend = |code: &str, pence: i64| {
        app.post(&format!("/api/v1/programmes/{code}/spend"), &admin, json!({
            "financial_year": year, "amount_pence": pence, "category": "run", "description": "Test"
        }))
    };
    assert_field_problem(&spend("pnd-transformation", i64::MAX), "amount_pence", "at most");
    assert_eq!(spend("pnd-transformation", limit).status, 201);
    assert_field_problem(&spend("esn", 1), "amount_pence", "the register's run spend for 2030-31");

    for path in [
        "/api/v1/funding/summary".to_string(),
        format!("/api/v1/funding/summary?financial_year={year}"),
        format!("/api/v1/funding/summary?financial_year={year}&group_by=programme"),
        format!("/api/v1/portfolio?financial_year={year}"),
        "/api/v1/programmes".to_string(),
    ] {
        let reply = app.get(&path, &admin);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
    let summary = app.get(&format!("/api/v1/funding/summary?financial_year={year}"), &admin).json();
    assert_eq!(summary["totals"]["envelope_pence"], limit);
    assert_eq!(summary["totals"]["allocated_pence"], limit);
    assert!(beacon_tests::inspect::totals_mismatches(&mut app.db.conn()).is_empty());
});

api_test!(fn head_answers_as_get_without_a_body_and_if_match_star_matches_any_version(app) {
    let admin = app.admin();
    let get = app.get("/api/v1/programmes/pnd-transformation", &admin);
    let head = app.raw("HEAD", "/api/v1/programmes/pnd-transformation", Some(&admin), None, &[]);
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(app.raw("HEAD", "/healthz", None, None, &[]).status, 200);

    let patch = json!({"sponsor": "Home Office (changed)"}).to_string();
    let reply = app.raw("PATCH", "/api/v1/programmes/pnd-transformation", Some(&admin),
        Some(("application/json", &patch)), &[("if-match", "*")]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["sponsor"], "Home Office (changed)");
    let stale = app.raw("PATCH", "/api/v1/programmes/pnd-transformation", Some(&admin),
        Some(("application/json", &patch)), &[("if-match", get.header("etag").unwrap())]);
    stale.problem(412);
});

api_test!(fn a_common_or_repeated_password_is_refused_with_the_reason(app) {
    let admin = app.admin();
    for (password, says) in [
        ("password1234", "too common"),
        ("Password1234!", "too common"),
        ("            ", "only spaces"),
        ("zzzzzzzzzzzz", "one character repeated"),
    ] {
        let user = json!({"email": "weak@force.police.uk", "role": "viewer", "password": password});
        assert_field_problem(&app.post("/api/v1/users", &admin, user), "password", says);
    }
    let user = json!({"email": "weak@force.police.uk", "role": "viewer", "password": "unrelated words make a phrase"});
    assert_eq!(app.post("/api/v1/users", &admin, user).status, 201);
});

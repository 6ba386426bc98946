use beacon_tests::api_test;
use serde_json::{Value, json};

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

api_test!(fn the_list_pages_through_every_programme_once(app) {
    let token = app.admin();
    let all = codes(&app.get("/api/v1/programmes?limit=200", &token).json());
    assert!(all.len() >= 18);
    let mut walked = Vec::new();
    let mut path = "/api/v1/programmes?limit=5".to_string();
    loop {
        let page = app.get(&path, &token).json();
        walked.extend(codes(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/programmes?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, all);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "in code order");
});

api_test!(fn filters_narrow_the_list(app) {
    let token = app.admin();
    let red = app.get("/api/v1/programmes?rating=red", &token).json();
    assert_eq!(codes(&red), ["pnd-transformation"]);
    assert_eq!(red["items"][0]["rating_since"], "2025-08-11T00:00:00Z");
    // Any case, in the name or the description (HOB matches "facial images").
    let found = codes(&app.get("/api/v1/programmes?q=FACIAL", &token).json());
    assert_eq!(found, ["hob", "live-facial-recognition"]);
    let led = codes(&app.get("/api/v1/programmes?lead_force=west-midlands", &token).json());
    assert_eq!(led, ["ndas"]);
    let pipeline = app.get("/api/v1/programmes?stage=pipeline&capability=biometrics-and-forensics", &token).json();
    assert!(codes(&pipeline).contains(&"national-digital-forensics".to_string()));
    let home_office = codes(&app.get("/api/v1/programmes?sponsor=home%20office", &token).json());
    assert!(home_office.contains(&"esn".to_string()) && !home_office.contains(&"ndas".to_string()));
    assert!(codes(&app.get("/api/v1/programmes?q=100%25", &token).json()).is_empty(), "% is a character, not a wildcard");
    // Words, wherever they fall: the stored name has "(PND)" in the middle.
    let words = "/api/v1/programmes?q=Police%20National%20Database%20transformation%20programme";
    assert_eq!(codes(&app.get(words, &token).json()), ["pnd-transformation"]);
    assert_eq!(codes(&app.get("/api/v1/programmes?q=recognition%20facial", &token).json()), ["live-facial-recognition"]);
    let past = "/api/v1/programmes?as_of=2025-12-31&q=Police%20National%20Database%20transformation%20programme";
    assert_eq!(codes(&app.get(past, &token).json()), ["pnd-transformation"], "the same on a past date");
});

api_test!(fn bad_filters_and_foreign_cursors_name_the_parameter(app) {
    let token = app.admin();
    let problem = app.get("/api/v1/programmes?rating=purple", &token).problem(422);
    assert_eq!(problem["errors"][0]["field"], "rating");
    let cursor = app.get("/api/v1/programmes?limit=2", &token).json()["next_cursor"].as_str().unwrap().to_string();
    let problem = app.get(&format!("/api/v1/programmes?limit=2&rating=amber&cursor={cursor}"), &token).problem(422);
    assert_eq!(problem["errors"][0]["field"], "cursor");
    app.get("/api/v1/programmes?limit=0", &token).problem(422);
    app.get("/api/v1/programmes?limit=many", &token).problem(422);
    app.get("/api/v1/programmes?colour=red", &token).problem(422);
});

api_test!(fn a_programme_carries_its_rating_owners_and_money(app) {
    let admin = app.admin();
    let (lead, _) = app.user("sro@norfolk.police.uk", "lead");
    app.own("eagle-x", lead);
    let reply = app.get("/api/v1/programmes/eagle-x", &admin);
    assert_eq!(reply.status, 200);
    let programme = reply.json();
    assert_eq!(programme["owners"], json!([{"id": lead, "email": "sro@norfolk.police.uk"}]));
    assert_eq!(programme["lead_force"], "norfolk");
    assert!(programme["current_year"]["financial_year"].as_str().unwrap().len() == 7);
    assert_eq!(reply.header("etag"), Some(format!("\"v{}\"", programme["version"]).as_str()));
    app.get("/api/v1/programmes/no-such-programme", &admin).problem(404);

    let listed = app.get("/api/v1/programmes?q=eagle-x", &admin).json();
    assert_eq!(listed["items"][0]["owners"], programme["owners"]);

    let removed = app.send("DELETE", &format!("/api/v1/programmes/eagle-x/owners/{lead}"), Some(&admin), None);
    assert_eq!(removed.status, 204);
    let after = app.get("/api/v1/programmes/eagle-x", &admin);
    assert_eq!(after.json()["owners"], json!([]));
    assert_ne!(after.header("etag"), reply.header("etag"), "the owners are part of the programme's version");
    let listed = app.get("/api/v1/programmes?q=eagle-x", &admin).json();
    assert_eq!(listed["items"][0]["owners"], json!([]), "no owner remembered from before");
    app.send("DELETE", &format!("/api/v1/programmes/eagle-x/owners/{lead}"), Some(&admin), None).problem(404);
    app.send("PUT", "/api/v1/programmes/eagle-x/owners/9999", Some(&admin), None).problem(404);
});

api_test!(fn admins_register_programmes(app) {
    let admin = app.admin();
    let body = json!({
        "code": "digital-evidence-sharing",
        "name": "Digital evidence sharing",
        "capability_area": "data-and-intelligence",
        "sponsor": "NPCC",
        "lead_force": "avon-and-somerset",
        "stage": "pipeline",
        "start_date": "2026-04-01",
        "whole_life_cost_pence": 1_000_000_000
    });
    let created = app.post("/api/v1/programmes", &admin, body.clone());
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("location"), Some("/api/v1/programmes/digital-evidence-sharing"));
    assert_eq!(created.json()["rating"], Value::Null);
    app.post("/api/v1/programmes", &admin, body).problem(409);

    let problem = app.post("/api/v1/programmes", &admin, json!({
        "code": "Bad Code", "name": "", "capability_area": "x", "sponsor": "NPCC", "stage": "building",
        "start_date": "2026-04-01", "planned_end_date": "2025-01-01"
    })).problem(422);
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["code", "name", "capability_area", "stage", "planned_end_date"]);
    let problem = app.post("/api/v1/programmes", &admin, json!({
        "code": "x-ray", "name": "X", "capability_area": "aviation", "sponsor": "NPCC", "stage": "pipeline", "start_date": "1 April"
    })).problem(422);
    assert_eq!(problem["errors"][0]["field"], "start_date");
});

api_test!(fn updates_need_the_current_etag(app) {
    let admin = app.admin();
    let etag = app.get("/api/v1/programmes/hob", &admin).header("etag").unwrap().to_string();
    let patch = json!({"stage": "live", "planned_end_date": null});
    app.send("PATCH", "/api/v1/programmes/hob", Some(&admin), Some(&patch)).problem(428);
    let updated = app.raw("PATCH", "/api/v1/programmes/hob", Some(&admin), Some(("application/json", &patch.to_string())), &[("if-match", &etag)]);
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json()["stage"], "live");
    assert_eq!(updated.json()["planned_end_date"], Value::Null);
    assert_ne!(updated.header("etag"), Some(etag.as_str()));
    // The same stale ETag again: someone else's change would be overwritten.
    let stale = app.raw("PATCH", "/api/v1/programmes/hob", Some(&admin), Some(("application/json", r#"{"stage":"closed"}"#)), &[("if-match", &etag)]);
    stale.problem(412);
    assert_eq!(app.get("/api/v1/programmes/hob", &admin).json()["stage"], "live");
});

use beacon_tests::api_test;
use serde_json::json;

api_test!(fn admins_create_list_read_and_change_users(app) {
    let admin = app.admin();
    let created = app.post("/api/v1/users", &admin, json!({"email": "SRO@Met.Police.UK", "role": "lead", "password": "a long enough password"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let user = created.json();
    assert_eq!(user["email"], "sro@met.police.uk");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let id = user["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), Some(format!("/api/v1/users/{id}").as_str()));

    for n in 0..4 {
        app.post("/api/v1/users", &admin, json!({"email": format!("user{n}@force.police.uk"), "role": "viewer", "password": "a long enough password"}));
    }
    // Walk the pages: every user once, in creation order.
    let mut emails = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_string();
    loop {
        let page = app.get(&path, &admin).json();
        emails.extend(page["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(emails.len(), 6);
    assert_eq!(emails[1], "sro@met.police.uk");

    let changed = app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&admin), Some(&json!({"role": "auditor"})));
    assert_eq!(changed.json()["role"], "auditor");
    assert_eq!(app.get(&format!("/api/v1/users/{id}"), &admin).json()["role"], "auditor");
    let reset = app.send("PATCH", &format!("/api/v1/users/{id}"), Some(&admin), Some(&json!({"password": "a brand new password"})));
    assert_eq!(reset.status, 200);
    app.token("sro@met.police.uk", "a brand new password");
});

api_test!(fn user_input_is_checked_field_by_field(app) {
    let admin = app.admin();
    let problem = app.post("/api/v1/users", &admin, json!({"email": "nope", "role": "overlord", "password": "short"})).problem(422);
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "role", "password"]);
    app.post("/api/v1/users", &admin, json!({"email": "admin@beacon.test", "role": "viewer", "password": "a long enough password"})).problem(409);
    app.get("/api/v1/users/9999", &admin).problem(404);
    for id in ["not-a-number", "9223372036854775808"] {
        let problem = app.get(&format!("/api/v1/users/{id}"), &admin).problem(404);
        assert!(problem["detail"].as_str().unwrap().contains("whole number"), "{problem}");
    }
    let me = app.get("/api/v1/me", &admin).json()["id"].as_i64().unwrap();
    app.send("PATCH", &format!("/api/v1/users/{me}"), Some(&admin), Some(&json!({"active": false}))).problem(409);
});

api_test!(fn auditors_read_who_each_user_is_and_change_nothing(app) {
    let (lead, _) = app.user("sro@met.police.uk", "lead");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let listed = app.get("/api/v1/users", &auditor);
    assert_eq!(listed.status, 200, "{}", listed.text);
    let items = listed.json()["items"].as_array().unwrap().clone();
    let sro = items.iter().find(|u| u["id"] == lead).expect("the lead is listed");
    assert_eq!(sro["email"], "sro@met.police.uk");
    assert_eq!(sro["role"], "lead");
    assert_eq!(sro["active"], true);
    for user in &items {
        let fields: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(fields.iter().all(|f| !f.contains("password") && !f.contains("token")), "{fields:?}");
    }
    assert_eq!(app.get(&format!("/api/v1/users/{lead}"), &auditor).json()["email"], "sro@met.police.uk");
    let refused = app.send("PATCH", &format!("/api/v1/users/{lead}"), Some(&auditor), Some(&json!({"role": "admin"})));
    assert_eq!(refused.status, 403, "{}", refused.text);
    let (_, viewer) = app.user("viewer@norfolk.police.uk", "viewer");
    assert_eq!(app.get("/api/v1/users", &viewer).status, 403);
});

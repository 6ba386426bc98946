use beacon_core::FinancialYear;
use beacon_tests::api_test;
use serde_json::json;

fn this_year() -> String {
    FinancialYear::containing(chrono::Utc::now().date_naive())
        .unwrap()
        .to_string()
}

api_test!(fn finance_sets_envelopes_allocates_and_records_spend(app) {
    let (_, finance) = app.user("finance@portfolio.police.uk", "finance");
    let year = this_year();
    let stream = app.post("/api/v1/funding-streams", &finance, json!({"code": "productivity-2026", "name": "Police productivity funding", "description": "Test stream"}));
    assert_eq!(stream.status, 201, "{}", stream.text);
    let envelope = app.send("PUT", &format!("/api/v1/funding-streams/productivity-2026/envelopes/{year}"), Some(&finance), Some(&json!({"amount_pence": 1_000_000, "basis": "Settlement letter"})));
    assert_eq!(envelope.status, 200, "{}", envelope.text);
    assert_eq!(envelope.json()["headroom_pence"], 1_000_000);

    let allocation = app.post("/api/v1/funding-streams/productivity-2026/allocations", &finance, json!({
        "programme": "live-facial-recognition", "financial_year": year, "amount_pence": 600_000, "kind": "allocation", "reason": "Mobile units"
    }));
    assert_eq!(allocation.status, 201, "{}", allocation.text);
    assert_eq!(allocation.json()["amount_pence"], 600_000);

    let over = app.post("/api/v1/funding-streams/productivity-2026/allocations", &finance, json!({
        "programme": "eagle-x", "financial_year": year, "amount_pence": 400_001, "kind": "allocation", "reason": "Drones"
    })).problem(422);
    assert_eq!(over["headroom_pence"], 400_000);
    assert!(over["detail"].as_str().unwrap().contains("only £4,000.00 is left"), "{over}");

    for (category, pence) in [("run", 150_000), ("change", 250_000), ("run", -50_000)] {
        let spend = app.post("/api/v1/programmes/live-facial-recognition/spend", &finance, json!({
            "financial_year": year, "amount_pence": pence, "category": category, "description": "Quarterly outturn"
        }));
        assert_eq!(spend.status, 201, "{}", spend.text);
    }
    let programme = app.get("/api/v1/programmes/live-facial-recognition", &finance).json();
    assert_eq!(programme["current_year"], json!({"financial_year": year, "allocated_pence": 600_000, "spent_run_pence": 100_000, "spent_change_pence": 250_000}));

    let stream = app.get("/api/v1/funding-streams/productivity-2026", &finance).json();
    assert_eq!(stream["envelopes"][0]["allocated_pence"], 600_000);
    let streams = app.get("/api/v1/funding-streams", &finance).json();
    assert!(streams.as_array().unwrap().iter().any(|s| s["code"] == "hmt-police-technology-2024-28"));
});

api_test!(fn funding_input_is_checked(app) {
    let admin = app.admin();
    let seeded = "hmt-police-technology-2024-28";
    app.send("PUT", &format!("/api/v1/funding-streams/{seeded}/envelopes/2025-27"), Some(&admin), Some(&json!({"amount_pence": 1}))).problem(422);
    let negative = app.send("PUT", &format!("/api/v1/funding-streams/{seeded}/envelopes/2025-26"), Some(&admin), Some(&json!({"amount_pence": -1}))).problem(422);
    assert_eq!(negative["errors"][0]["field"], "amount_pence");
    app.send("PUT", "/api/v1/funding-streams/no-such/envelopes/2025-26", Some(&admin), Some(&json!({"amount_pence": 1}))).problem(404);
    // Lowering the DPC grant's year below what it has allocated, withdrawing nothing,
    // is refused as a conflict with what is allocated.
    app.send("PUT", "/api/v1/funding-streams/dpc-grant/envelopes/2023-24", Some(&admin), Some(&json!({"amount_pence": 0}))).problem(409);

    let path = format!("/api/v1/funding-streams/{seeded}/allocations");
    let problem = app.post(&path, &admin, json!({"programme": "esn", "financial_year": "2025/27", "amount_pence": 1, "kind": "gift", "reason": "x"})).problem(422);
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["financial_year", "kind"]);
    let problem = app.post(&path, &admin, json!({"programme": "esn", "financial_year": "2025-26", "amount_pence": -5, "kind": "allocation", "reason": ""})).problem(422);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let problem = app.post(&path, &admin, json!({"programme": "nope", "financial_year": "2025-26", "amount_pence": 5, "kind": "allocation", "reason": "x"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "programme");
    let problem = app.post(&path, &admin, json!({"programme": "esn", "financial_year": "2030-31", "amount_pence": 5, "kind": "allocation", "reason": "x"})).problem(422);
    assert_eq!(problem["errors"][0]["field"], "financial_year");
    app.post("/api/v1/programmes/esn/spend", &admin, json!({"financial_year": "2025-26", "amount_pence": 5, "category": "keep", "description": "x"})).problem(422);
    app.post("/api/v1/funding-streams", &admin, json!({"code": "hmt-police-technology-2024-28", "name": "Again"})).problem(409);
});

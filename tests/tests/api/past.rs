//! The portfolio at any past date, funding summaries that reconcile with the history,
//! and cuts that name what they leave uncovered.

use std::collections::BTreeMap;

use beacon_tests::api_test;
use beacon_tests::app::TestApp;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

const HMT: &str = "/api/v1/funding-streams/hmt-police-technology-2024-28";

fn ok(reply: beacon_tests::app::Reply) -> Value {
    assert!(reply.status < 300, "{} {}", reply.status, reply.text);
    reply.json()
}

fn allocate(app: &TestApp, token: &str, programme: &str, year: &str, pence: i64) {
    let reply = app.post(
        &format!("{HMT}/allocations"),
        token,
        json!({"programme": programme, "financial_year": year, "amount_pence": pence, "kind": if pence > 0 { "allocation" } else { "withdrawal" }, "reason": "Test allocation"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn spend(app: &TestApp, token: &str, programme: &str, year: &str, category: &str, pence: i64) {
    let reply = app.post(
        &format!("/api/v1/programmes/{programme}/spend"),
        token,
        json!({"financial_year": year, "amount_pence": pence, "category": category, "description": "Outturn"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn report(app: &TestApp, token: &str, programme: &str, rating: &str) {
    let reply = app.post(
        &format!("/api/v1/programmes/{programme}/status-reports"),
        token,
        json!({"rating": rating, "rationale": "Reported in a test", "period_end": "2026-09-30"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn set_envelope(app: &TestApp, token: &str, year: &str, body: Value) -> beacon_tests::app::Reply {
    app.send(
        "PUT",
        &format!("{HMT}/envelopes/{year}"),
        Some(token),
        Some(&body),
    )
}

fn line<'a>(portfolio: &'a Value, code: &str) -> &'a Value {
    portfolio["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
        .unwrap_or_else(|| panic!("{code} not in the portfolio"))
}

/// Every page of the programme list for a query.
fn all_programmes(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/programmes?{query}&limit=7");
    loop {
        let page = ok(app.get(&path, token));
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/programmes?{query}&limit=7&cursor={cursor}"),
            None => return items,
        }
    }
}

api_test!(fn a_past_date_answers_the_same_after_later_changes(app) {
    let admin = app.admin();
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let year = beacon_core::FinancialYear::containing(Utc::now().date_naive()).unwrap().to_string();
    let put = set_envelope(app, &finance, &year, json!({"amount_pence": 900_000_000_i64, "basis": "In-year settlement"}));
    assert_eq!(put.status, 200, "{}", put.text);
    allocate(app, &finance, "eagle-x", &year, 300_000_000);
    allocate(app, &finance, "knife-detection", &year, 50_000_000);
    spend(app, &finance, "eagle-x", &year, "run", 40_000_000);
    spend(app, &finance, "eagle-x", &year, "change", 10_000_000);
    report(app, &admin, "eagle-x", "amber");

    // Three days go by: what was recorded is now the past.
    app.db.age(3);
    let then = (Utc::now() - Duration::days(3)).date_naive();
    let before_then = then - Duration::days(1);
    let paths = [
        format!("/api/v1/portfolio?as_of={then}"),
        format!("/api/v1/portfolio?as_of={then}&financial_year=2026-27"),
        format!("/api/v1/programmes/eagle-x?as_of={then}"),
        "/api/v1/programmes/esn?as_of=2017-12-31".to_string(),
        format!("/api/v1/funding/summary?as_of={then}&group_by=financial_year"),
        format!("/api/v1/funding/summary?as_of={then}&group_by=stream"),
        format!("/api/v1/funding/summary?as_of={then}&group_by=programme"),
        format!("/api/v1/funding/summary?as_of={then}&group_by=sponsor"),
        format!("/api/v1/portfolio?as_of={before_then}"),
    ];
    let answers: Vec<Value> = paths.iter().map(|p| ok(app.get(p, &auditor))).collect();
    let listed = all_programmes(app, &auditor, &format!("as_of={then}"));

    let portfolio = &answers[0];
    assert_eq!(portfolio["as_of"], then.to_string());
    assert_eq!(portfolio["financial_year"], year);
    let eagle = line(portfolio, "eagle-x");
    assert_eq!(eagle["allocated_pence"], 300_000_000_i64);
    assert_eq!(eagle["spent_run_pence"], 40_000_000_i64);
    assert_eq!(eagle["spent_change_pence"], 10_000_000_i64);
    assert_eq!(eagle["rating"], "amber");
    assert_eq!(eagle["previous_rating"], Value::Null, "rated once");
    assert!(eagle["last_reported_at"].as_str().unwrap().starts_with(&then.to_string()));
    assert_eq!(eagle["capability_area"], "aviation");
    assert_eq!(eagle["lead_force"], "norfolk");
    assert_eq!(portfolio["totals"]["programmes"].as_i64().unwrap(), portfolio["programmes"].as_array().unwrap().len() as i64);
    let counted: i64 = ["red", "amber_red", "amber", "amber_green", "green", "unrated"]
        .iter()
        .map(|r| portfolio["counts"][r].as_i64().unwrap())
        .sum();
    assert_eq!(counted, portfolio["totals"]["programmes"].as_i64().unwrap());
    assert_eq!(answers[2]["current_year"]["allocated_pence"], 300_000_000_i64);
    assert_eq!(answers[2]["rating"], "amber");
    // ESN's published rating history: Red from the 2017-09-30 assessment.
    assert_eq!(answers[3]["rating"], "red");
    assert!(answers[3]["rating_since"].as_str().unwrap().starts_with("2017-09-30"));
    // The day before, none of it had taken effect: eagle-x was there (it started in
    // 2024) but unrated and unfunded; ESN was there, by its published ratings.
    assert_eq!(line(&answers[8], "eagle-x")["rating"], Value::Null);
    assert_eq!(line(&answers[8], "eagle-x")["allocated_pence"], 0);
    assert_eq!(answers[8]["totals"]["allocated_pence"], 0);
    assert_eq!(line(&answers[8], "esn")["rating"], "amber");
    let listed_eagle = listed.iter().find(|p| p["code"] == "eagle-x").unwrap();
    assert_eq!(listed_eagle["rating"], "amber");
    assert_eq!(listed_eagle["current_year"]["allocated_pence"], 300_000_000_i64);

    // Then a great deal changes.
    allocate(app, &finance, "eagle-x", &year, 100_000_000);
    allocate(app, &finance, "eagle-x", &year, -20_000_000);
    spend(app, &finance, "knife-detection", &year, "run", 5_000_000);
    report(app, &admin, "eagle-x", "red");
    report(app, &admin, "esn", "green");
    let cut = set_envelope(app, &finance, &year, json!({"amount_pence": 100_000_000_i64, "basis": "Cut", "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 300_000_000_i64}, {"programme": "knife-detection", "withdraw_pence": 50_000_000_i64}]}));
    assert_eq!(cut.status, 200, "{}", cut.text);

    for (path, before) in paths.iter().zip(&answers) {
        assert_eq!(&ok(app.get(path, &auditor)), before, "{path} changed");
    }
    assert_eq!(all_programmes(app, &auditor, &format!("as_of={then}")), listed);
    // Today's answer has moved on.
    let today = ok(app.get("/api/v1/portfolio", &auditor));
    assert_eq!(line(&today, "eagle-x")["rating"], "red");
    assert_eq!(line(&today, "eagle-x")["allocated_pence"], 80_000_000_i64);
    assert_eq!(line(&today, "eagle-x")["shortfall_pence"], 300_000_000_i64);
    assert_eq!(line(&today, "eagle-x")["previous_rating"], "amber");
    assert_eq!(line(&today, "esn")["rating"], "green");
    assert_eq!(line(&today, "esn")["previous_rating"], "amber");
    let rated_red = all_programmes(app, &auditor, &format!("as_of={then}&rating=red"));
    assert!(rated_red.iter().all(|p| p["rating"] == "red"));
    assert!(!rated_red.iter().any(|p| p["code"] == "eagle-x"), "eagle-x was not red then");
    assert!(all_programmes(app, &auditor, "rating=red").iter().any(|p| p["code"] == "eagle-x"));
});

api_test!(fn the_register_before_a_programme_existed_does_not_list_it(app) {
    let admin = app.admin();
    let created = app.post("/api/v1/programmes", &admin, json!({"code": "new-thing", "name": "New thing", "capability_area": "aviation", "sponsor": "NPCC", "stage": "pipeline"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let portfolio = ok(app.get(&format!("/api/v1/portfolio?as_of={yesterday}"), &admin));
    assert!(!portfolio["programmes"].as_array().unwrap().iter().any(|p| p["code"] == "new-thing"));
    // Published ratings put programmes in the register long before Beacon held them.
    assert!(portfolio["programmes"].as_array().unwrap().iter().any(|p| p["code"] == "esn"));
    app.get(&format!("/api/v1/programmes/new-thing?as_of={yesterday}"), &admin).problem(404);
    let today = ok(app.get("/api/v1/portfolio", &admin));
    assert_eq!(line(&today, "new-thing")["rating"], Value::Null);
    assert!(today["counts"]["unrated"].as_i64().unwrap() >= 1);
});

/// Sums the funding history (every page) the way an auditor would.
fn history_sums(app: &TestApp, token: &str, query: &str) -> (i64, i64, i64, i64) {
    let mut path = format!("/api/v1/funding/history?{query}&limit=200");
    let (mut allocated, mut run, mut change) = (0, 0, 0);
    let mut envelopes: BTreeMap<(String, String), i64> = BTreeMap::new();
    loop {
        let page = ok(app.get(&path, token));
        for e in page["items"].as_array().unwrap() {
            let amount = e["amount_pence"].as_i64().unwrap();
            match e["kind"].as_str().unwrap() {
                "allocation" | "adjustment" | "withdrawal" => allocated += amount,
                "spend" if e["category"] == "run" => run += amount,
                "spend" => change += amount,
                // Envelope rows carry the amount after the change; the latest counts.
                "envelope" => {
                    envelopes.insert(
                        (
                            e["stream"].as_str().unwrap().into(),
                            e["financial_year"].as_str().unwrap().into(),
                        ),
                        e["envelope_pence"].as_i64().unwrap(),
                    );
                }
                other => panic!("unknown kind {other}"),
            }
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/funding/history?{query}&limit=200&cursor={cursor}")
            }
            None => return (envelopes.values().sum(), allocated, run, change),
        }
    }
}

api_test!(fn summaries_reconcile_with_the_history_to_the_penny(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, viewer) = app.user("viewer@force.police.uk", "viewer");
    allocate(app, &finance, "eagle-x", "2025-26", 123_456_789);
    allocate(app, &finance, "knife-detection", "2025-26", 1_000_001);
    spend(app, &finance, "eagle-x", "2025-26", "run", 9_999_999);
    spend(app, &finance, "knife-detection", "2025-26", "change", 333);
    spend(app, &finance, "esn", "2024-25", "run", 77);

    let (envelope, allocated, run, change) = history_sums(app, &viewer, "");
    for group_by in ["financial_year", "stream", "programme", "sponsor"] {
        let summary = ok(app.get(&format!("/api/v1/funding/summary?group_by={group_by}"), &viewer));
        assert_eq!(summary["group_by"], group_by);
        let totals = &summary["totals"];
        assert_eq!(totals["envelope_pence"], envelope, "{group_by}");
        assert_eq!(totals["allocated_pence"], allocated, "{group_by}");
        assert_eq!(totals["spent_run_pence"], run, "{group_by}");
        assert_eq!(totals["spent_change_pence"], change, "{group_by}");
        assert_eq!(totals["headroom_pence"], envelope - allocated, "{group_by}");
        let groups = summary["groups"].as_array().unwrap();
        assert!(!groups.is_empty());
        let sum = |field: &str| groups.iter().map(|g| g[field].as_i64().unwrap_or(0)).sum::<i64>();
        assert_eq!(sum("allocated_pence"), allocated, "{group_by} groups add up");
        if group_by != "stream" {
            assert_eq!((sum("spent_run_pence"), sum("spent_change_pence")), (run, change), "{group_by}");
        } else {
            assert!(groups.iter().all(|g| g["spent_run_pence"].is_null()), "spend is not recorded by stream");
        }
        if matches!(group_by, "financial_year" | "stream") {
            assert_eq!(sum("envelope_pence"), envelope, "{group_by}");
        } else {
            assert!(groups.iter().all(|g| g["envelope_pence"].is_null()));
        }
    }
    // One year: the same reconciliation, with the history narrowed to it.
    let (envelope, allocated, run, change) = history_sums(app, &viewer, "financial_year=2025-26");
    let summary = ok(app.get("/api/v1/funding/summary?group_by=programme&financial_year=2025-26", &viewer));
    let totals = &summary["totals"];
    assert_eq!((totals["envelope_pence"].as_i64().unwrap(), totals["allocated_pence"].as_i64().unwrap(), totals["spent_run_pence"].as_i64().unwrap(), totals["spent_change_pence"].as_i64().unwrap()), (envelope, allocated, run, change));
    let eagle = summary["groups"].as_array().unwrap().iter().find(|g| g["key"] == "eagle-x").unwrap();
    assert_eq!(eagle["spent_run_pence"], 9_999_999);
    assert_eq!(eagle["run_share"], 1.0);
    let by_year = ok(app.get("/api/v1/funding/summary?financial_year=2025-26", &viewer));
    let group = &by_year["groups"][0];
    let (run, change) = (group["spent_run_pence"].as_i64().unwrap(), group["spent_change_pence"].as_i64().unwrap());
    let share = group["run_share"].as_f64().unwrap();
    assert!((share - run as f64 / (run + change) as f64).abs() < 0.0001, "{share}");
});

api_test!(fn a_cut_below_what_is_allocated_names_what_it_leaves_uncovered(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    allocate(app, &finance, "eagle-x", "2025-26", 400_000_000);
    allocate(app, &finance, "knife-detection", "2025-26", 100_000_000);
    let entries_before = beacon_tests::row_counts(&mut app.db.conn());

    // The Treasury line's 2025-26 money going to zero, without saying what to withdraw.
    let refused = set_envelope(app, &finance, "2025-26", json!({"amount_pence": 0, "basis": "Stream cut from 2025-26"}));
    let problem = refused.problem(409);
    assert_eq!(problem["excess_pence"], 500_000_000_i64);
    assert_eq!(problem["uncovered"], json!([
        {"programme": "eagle-x", "allocated_pence": 400_000_000_i64},
        {"programme": "knife-detection", "allocated_pence": 100_000_000_i64},
    ]));
    assert!(problem["detail"].as_str().unwrap().contains("withdraw"), "{problem}");
    // Withdrawing only part of it is still refused, naming what is left.
    let partial = set_envelope(app, &finance, "2025-26", json!({"amount_pence": 0, "basis": "Stream cut from 2025-26", "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 400_000_000_i64}]}));
    let problem = partial.problem(409);
    assert_eq!(problem["uncovered"], json!([{"programme": "knife-detection", "allocated_pence": 100_000_000_i64}]));
    let after_refusals = beacon_tests::row_counts(&mut app.db.conn());
    assert_eq!(after_refusals, entries_before, "a refused cut changes nothing");

    let done = ok(set_envelope(app, &finance, "2025-26", json!({"amount_pence": 0, "basis": "Stream cut from 2025-26", "withdrawals": [
        {"programme": "eagle-x", "withdraw_pence": 400_000_000_i64, "reason": "Treasury line withdrawn"},
        {"programme": "knife-detection", "withdraw_pence": 100_000_000_i64},
    ]})));
    assert_eq!(done["amount_pence"], 0);
    assert_eq!(done["allocated_pence"], 0);
    let withdrawals = done["withdrawals"].as_array().unwrap();
    assert_eq!(withdrawals.len(), 2);
    assert_eq!(withdrawals[0]["kind"], "withdrawal");
    assert_eq!(withdrawals[0]["amount_pence"], -400_000_000_i64);
    assert_eq!(withdrawals[0]["reason"], "Treasury line withdrawn");
    assert_eq!(withdrawals[1]["reason"], "Stream cut from 2025-26");

    let eagle = ok(app.get("/api/v1/programmes/eagle-x", &finance));
    assert_eq!(eagle["shortfalls"], json!([{"financial_year": "2025-26", "shortfall_pence": 400_000_000_i64}]));
    let portfolio = ok(app.get("/api/v1/portfolio?financial_year=2025-26", &finance));
    assert_eq!(line(&portfolio, "knife-detection")["shortfall_pence"], 100_000_000_i64);
    assert_eq!(line(&portfolio, "knife-detection")["allocated_pence"], 0);
    assert_eq!(portfolio["totals"]["shortfall_pence"], 500_000_000_i64);
    // The withdrawals are in the history with their reasons.
    let history = ok(app.get("/api/v1/funding/history?kind=withdrawal&financial_year=2025-26", &finance));
    let reasons: Vec<&str> = history["items"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["Treasury line withdrawn", "Stream cut from 2025-26"]);
    // An ordinary withdrawal is not a shortfall.
    allocate(app, &finance, "eagle-x", "2024-25", 10_000_000);
    allocate(app, &finance, "eagle-x", "2024-25", -10_000_000);
    let eagle = ok(app.get("/api/v1/programmes/eagle-x", &finance));
    assert_eq!(eagle["shortfalls"].as_array().unwrap().len(), 1);
});

api_test!(fn impossible_withdrawals_are_refused_naming_the_field(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    allocate(app, &finance, "eagle-x", "2025-26", 1_000);
    let cases = [
        (json!({"amount_pence": 0, "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 5_000}]}), "withdrawals[0]"),
        (json!({"amount_pence": 0, "withdrawals": [{"programme": "no-such", "withdraw_pence": 5}]}), "withdrawals[0].programme"),
        (json!({"amount_pence": 0, "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 0}]}), "withdrawals[0]"),
        (json!({"amount_pence": 0, "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 500}, {"programme": "eagle-x", "withdraw_pence": 500}]}), "withdrawals[1]"),
        (json!({"amount_pence": 99_999_999_999_i64, "withdrawals": [{"programme": "eagle-x", "withdraw_pence": 5}]}), "withdrawals"),
    ];
    for (body, field) in cases {
        let problem = set_envelope(app, &finance, "2025-26", body.clone()).problem(422);
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    let unknown = set_envelope(app, &finance, "2025-26", json!({"amount_pence": 0, "withdrawals": [{"programme": "eagle-x", "amount_pence": 5}]}));
    assert!(unknown.status == 400 || unknown.status == 422, "{}", unknown.text);
});

api_test!(fn bad_dates_groupings_and_years_are_refused_naming_the_parameter(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    for (path, field) in [
        (format!("/api/v1/portfolio?as_of={tomorrow}"), "as_of"),
        (format!("/api/v1/programmes?as_of={tomorrow}"), "as_of"),
        (format!("/api/v1/programmes/esn?as_of={tomorrow}"), "as_of"),
        (format!("/api/v1/funding/summary?as_of={tomorrow}"), "as_of"),
        ("/api/v1/portfolio?as_of=31/03/2025".to_string(), "as_of"),
        ("/api/v1/programmes?as_of=2025-02-30".to_string(), "as_of"),
        ("/api/v1/funding/summary?group_by=colour".to_string(), "group_by"),
        ("/api/v1/funding/summary?financial_year=2025-27".to_string(), "financial_year"),
        ("/api/v1/portfolio?financial_year=25-26".to_string(), "financial_year"),
    ] {
        let problem = app.get(&path, &auditor).problem(422);
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains(field), "{path}: {problem}");
    }
    let future = app.get(&format!("/api/v1/portfolio?as_of={tomorrow}"), &auditor).problem(422);
    assert!(future["detail"].as_str().unwrap().contains("future"), "{future}");
    // A cursor from today's list does not page a past date's list.
    let page = ok(app.get("/api/v1/programmes?limit=2", &auditor));
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = app.get(&format!("/api/v1/programmes?limit=2&as_of=2020-01-01&cursor={cursor}"), &auditor).problem(422);
    assert_eq!(problem["errors"][0]["field"], "cursor");
});

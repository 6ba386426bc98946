//! Effective and recorded dates: money counts on a past date from the day it took
//! effect, and `known_as_of` answers as Beacon knew it on a day, whatever is recorded
//! later with an earlier effective date.

use beacon_tests::api_test;
use beacon_tests::app::TestApp;
use chrono::{Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const ROUND_2018: &str = "/api/v1/funding-streams/police-transformation-fund-2018-round";

fn ok(reply: beacon_tests::app::Reply) -> Value {
    assert!(reply.status < 300, "{} {}", reply.status, reply.text);
    reply.json()
}

fn line<'a>(portfolio: &'a Value, code: &str) -> Option<&'a Value> {
    portfolio["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

api_test!(fn the_seeded_portfolio_shows_money_from_the_day_it_took_effect(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let portfolio = ok(app.get("/api/v1/portfolio?as_of=2019-03-31", &auditor));
    assert_eq!(portfolio["financial_year"], "2018-19");
    // Up to £70m split over four police-led programmes, and NDAS's half of its £4.5m.
    assert_eq!(portfolio["totals"]["allocated_pence"], 7_225_000_000_i64, "{}", portfolio["totals"]);
    for (code, pence) in [("nep", 1_750_000_000_i64), ("dpp", 1_750_000_000), ("transforming-forensics", 1_750_000_000), ("specialist-capabilities", 1_750_000_000), ("ndas", 225_000_000)] {
        let line = line(&portfolio, code).unwrap_or_else(|| panic!("{code} is in the 2019 register: it was funded"));
        assert_eq!(line["allocated_pence"], pence, "{code}");
    }
    // A programme that had started counts too, rated or not; one not yet started does not.
    assert!(line(&portfolio, "esn").is_some(), "ESN started in 2011");
    assert!(line(&portfolio, "eagle-x").is_none(), "Eagle-X started in 2024");
    let spent = ok(app.get("/api/v1/portfolio?as_of=2019-03-31", &auditor));
    assert_eq!(line(&spent, "esn").unwrap()["spent_run_pence"], 33_000_000_000_i64, "Airwave's 2018-19 cost, outturn at the year's end");
    let before = ok(app.get("/api/v1/portfolio?as_of=2019-03-30", &auditor));
    assert_eq!(line(&before, "esn").unwrap()["spent_run_pence"], 0);

    // The history says when each took effect, beside when it was recorded.
    let history = ok(app.get("/api/v1/funding/history?programme=nep", &auditor));
    let row = &history["items"][0];
    assert_eq!(row["effective_on"], "2018-04-01", "{row}");
    assert!(row["recorded_at"].as_str().unwrap().starts_with(&today().to_string()));
    let summary = ok(app.get("/api/v1/funding/summary?as_of=2019-03-31&financial_year=2018-19", &auditor));
    assert_eq!(summary["totals"]["allocated_pence"], 7_225_000_000_i64);
});

api_test!(fn a_later_recording_of_past_money_changes_as_of_but_not_what_was_known_then(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    // The seed was loaded ten days ago; the auditor's snapshot is as known five days ago.
    app.db.age(10);
    let known = today() - Duration::days(5);
    let then = format!("/api/v1/portfolio?as_of=2019-03-31&known_as_of={known}");
    let now = "/api/v1/portfolio?as_of=2019-03-31";
    let summary_then = format!("/api/v1/funding/summary?as_of=2019-03-31&known_as_of={known}&group_by=programme");
    let known_before = ok(app.get(&then, &auditor));
    let summary_before = ok(app.get(&summary_then, &auditor));
    assert_eq!(known_before["known_as_of"], known.to_string());
    assert_eq!(known_before["totals"], ok(app.get(now, &auditor))["totals"], "nothing recorded since");

    // Today, money decided in January 2019 is recorded.
    let recorded = app.post(&format!("{ROUND_2018}/allocations"), &finance, json!({"programme": "ndas", "financial_year": "2018-19", "amount_pence": 100_000_000, "kind": "allocation", "reason": "Found in the 2019 grant letter", "effective_on": "2019-01-15"}));
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    assert_eq!(recorded.json()["effective_on"], "2019-01-15");

    // As known now, 31 March 2019 has it; as known five days ago, the answer is the same
    // to the byte; the day before it took effect does not have it.
    let after = ok(app.get(now, &auditor));
    assert_eq!(after["totals"]["allocated_pence"], 7_325_000_000_i64);
    assert_eq!(line(&after, "ndas").unwrap()["allocated_pence"], 325_000_000);
    assert_eq!(app.get(&then, &auditor).text, serde_json::to_string(&known_before).unwrap());
    assert_eq!(ok(app.get(&summary_then, &auditor)), summary_before);
    let eve = ok(app.get("/api/v1/portfolio?as_of=2019-01-14", &auditor));
    assert_eq!(line(&eve, "ndas").unwrap()["allocated_pence"], 225_000_000);
    let day = ok(app.get("/api/v1/portfolio?as_of=2019-01-15", &auditor));
    assert_eq!(line(&day, "ndas").unwrap()["allocated_pence"], 325_000_000);
    let one = ok(app.get(&format!("/api/v1/programmes/ndas?as_of=2019-03-31&known_as_of={known}"), &auditor));
    let one_now = ok(app.get("/api/v1/programmes/ndas?as_of=2019-03-31", &auditor));
    assert_ne!(one, one_now);
    app.db.days_from_entries();

    // Dates Beacon cannot take are refused, naming the field.
    let tomorrow = today() + Duration::days(1);
    for (body_date, says) in [(tomorrow.to_string(), "in the future"), ("2019-13-01".to_string(), "is not a date"), ("1989-12-31".to_string(), "first day Beacon records")] {
        let problem = app.post(&format!("{ROUND_2018}/allocations"), &finance, json!({"programme": "ndas", "financial_year": "2018-19", "amount_pence": 1, "kind": "allocation", "reason": "Bad date", "effective_on": body_date})).problem(422);
        assert_eq!(problem["errors"][0]["field"], "effective_on", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(says), "{problem}");
    }
    let problem = app.send("PUT", &format!("{ROUND_2018}/envelopes/2018-19"), Some(&finance), Some(&json!({"amount_pence": 2_500_000_000_i64, "basis": "Backdated", "effective_on": "2017-01-01"}))).problem(422);
    assert_eq!(problem["errors"][0]["field"], "effective_on", "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("2018-04-01"), "{problem}");
    let problem = app.get(&format!("/api/v1/portfolio?known_as_of={tomorrow}"), &auditor).problem(422);
    assert_eq!(problem["errors"][0]["field"], "known_as_of", "{problem}");
});

/// Random allocations, withdrawals, spend and envelope raises, each taking effect on a
/// random day of the last three years, in an order that keeps each envelope's changes
/// in date order.
fn random_backdated_writes(app: &TestApp, finance: &str, count: usize) {
    ok(app.post(
        "/api/v1/funding-streams",
        finance,
        json!({"code": "backdated", "name": "Backdated test stream", "description": "Test stream"}),
    ));
    let stream = "/api/v1/funding-streams/backdated";
    let mut rng = StdRng::seed_from_u64(44);
    let mut envelope_day = today() - Duration::days(3 * 365);
    let mut envelope = 900_000_000_000_i64;
    ok(app.send("PUT", &format!("{stream}/envelopes/2025-26"), Some(finance), Some(&json!({"amount_pence": envelope, "basis": "Room", "effective_on": envelope_day.to_string()}))));
    for i in 0..count {
        let day = today() - Duration::days(rng.random_range(0..3 * 365));
        let programme = ["esn", "hob", "eagle-x"][rng.random_range(0..3)];
        let pence = rng.random_range(1..10_000_000_i64);
        match rng.random_range(0..4) {
            0 => {
                let category = ["run", "change"][i % 2];
                ok(app.post(&format!("/api/v1/programmes/{programme}/spend"), finance, json!({"financial_year": "2025-26", "amount_pence": pence, "category": category, "description": "Outturn", "effective_on": day.to_string()})));
            }
            1 => {
                envelope_day =
                    (envelope_day + Duration::days(rng.random_range(0..20))).min(today());
                envelope += pence;
                ok(app.send("PUT", &format!("{stream}/envelopes/2025-26"), Some(finance), Some(&json!({"amount_pence": envelope, "basis": "Raised", "effective_on": envelope_day.to_string()}))));
            }
            _ => {
                ok(app.post(&format!("{stream}/allocations"), finance, json!({"programme": programme, "financial_year": "2025-26", "amount_pence": pence, "kind": "allocation", "reason": "Tranche", "effective_on": day.to_string()})));
            }
        }
    }
}

api_test!(fn the_days_kept_and_the_entries_agree_on_every_date(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    random_backdated_writes(app, &finance, 80);
    app.db.days_from_entries();
    // The day rows (as known now) and the entries themselves (as known by the end of
    // today, which is everything) give the same money on any date.
    let mut rng = StdRng::seed_from_u64(45);
    for _ in 0..6 {
        let day = today() - Duration::days(rng.random_range(0..4 * 365));
        for path in [
            format!("/api/v1/funding/summary?as_of={day}"),
            format!("/api/v1/funding/summary?as_of={day}&group_by=stream"),
            format!("/api/v1/funding/summary?as_of={day}&group_by=programme,financial_year"),
            format!("/api/v1/portfolio?as_of={day}&financial_year=2025-26"),
        ] {
            let mut kept = ok(app.get(&path, &auditor));
            let mut worked_out = ok(app.get(&format!("{path}&known_as_of={}", today()), &auditor));
            kept["known_as_of"] = Value::Null;
            worked_out["known_as_of"] = Value::Null;
            assert_eq!(kept, worked_out, "{path}");
        }
    }
});

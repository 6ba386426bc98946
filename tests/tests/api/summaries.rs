//! Funding summaries in several dimensions at once, reconciled with the funding history
//! to the penny, the way an auditor's data team rebuilds them.

use std::collections::BTreeMap;

use beacon_tests::api_test;
use beacon_tests::app::TestApp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const STREAMS: [&str; 2] = ["hmt-police-technology-2024-28", "productivity-2026"];
const PROGRAMMES: [&str; 5] = [
    "esn",
    "hob",
    "eagle-x",
    "knife-detection",
    "pnd-transformation",
];
const YEARS: [&str; 2] = ["2025-26", "2026-27"];

fn ok(reply: beacon_tests::app::Reply) -> Value {
    assert!(reply.status < 300, "{} {}", reply.status, reply.text);
    reply.json()
}

/// Random allocations, withdrawals and spend over two streams, five programmes and two
/// years, on envelopes with room for them.
fn random_writes(app: &TestApp, finance: &str, count: usize) {
    ok(app.post("/api/v1/funding-streams", finance, json!({"code": STREAMS[1], "name": "Police productivity funding", "description": "Test stream"})));
    for stream in STREAMS {
        for year in YEARS {
            ok(app.send(
                "PUT",
                &format!("/api/v1/funding-streams/{stream}/envelopes/{year}"),
                Some(finance),
                Some(&json!({"amount_pence": 900_000_000_000_i64, "basis": "Room for the test"})),
            ));
        }
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let mut held: BTreeMap<(usize, usize, usize), i64> = BTreeMap::new();
    for _ in 0..count {
        let (s, p, y) = (
            rng.random_range(0..2),
            rng.random_range(0..5),
            rng.random_range(0..2),
        );
        let (stream, programme, year) = (STREAMS[s], PROGRAMMES[p], YEARS[y]);
        let pence = rng.random_range(1..50_000_000_i64);
        let holding = held.entry((s, p, y)).or_default();
        if rng.random_bool(0.4) {
            let category = if rng.random_bool(0.5) {
                "run"
            } else {
                "change"
            };
            ok(app.post(&format!("/api/v1/programmes/{programme}/spend"), finance, json!({"financial_year": year, "amount_pence": pence, "category": category, "description": "Outturn"})));
        } else if *holding > 0 && rng.random_bool(0.3) {
            let back = rng.random_range(1..=*holding);
            *holding -= back;
            ok(app.post(&format!("/api/v1/funding-streams/{stream}/allocations"), finance, json!({"programme": programme, "financial_year": year, "amount_pence": -back, "kind": "withdrawal", "reason": "Handed back"})));
        } else {
            *holding += pence;
            ok(app.post(&format!("/api/v1/funding-streams/{stream}/allocations"), finance, json!({"programme": programme, "financial_year": year, "amount_pence": pence, "kind": "allocation", "reason": "Tranche"})));
        }
    }
}

/// Every row of the funding history, walking its pages.
fn history(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut path = format!("/api/v1/funding/history?{query}&limit=200");
    loop {
        let page = ok(app.get(&path, token));
        rows.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/funding/history?{query}&limit=200&cursor={cursor}")
            }
            None => return rows,
        }
    }
}

/// envelope, allocated, run, change: the money a group shows.
type Money = [i64; 4];

/// The summary rebuilt from the history rows: allocations under every grouping,
/// envelopes (the latest amount of each) where it has no programme or sponsor, spend
/// where it has no stream.
fn rebuilt(rows: &[Value], dimensions: &[&str]) -> BTreeMap<Vec<String>, Money> {
    let key = |row: &Value| -> Vec<String> {
        dimensions
            .iter()
            .map(|d| row[*d].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let envelopes_shown = !dimensions
        .iter()
        .any(|d| matches!(*d, "programme" | "sponsor"));
    let spend_shown = !dimensions.contains(&"stream");
    let mut groups: BTreeMap<Vec<String>, Money> = BTreeMap::new();
    let mut latest_envelopes: BTreeMap<(String, String), (Vec<String>, i64)> = BTreeMap::new();
    for row in rows {
        let amount = row["amount_pence"].as_i64().unwrap();
        match row["kind"].as_str().unwrap() {
            "allocation" | "adjustment" | "withdrawal" => {
                groups.entry(key(row)).or_default()[1] += amount
            }
            "spend" if spend_shown => {
                let slot = if row["category"] == "run" { 2 } else { 3 };
                groups.entry(key(row)).or_default()[slot] += amount;
            }
            "envelope" if envelopes_shown => {
                let at = (
                    row["stream"].as_str().unwrap().into(),
                    row["financial_year"].as_str().unwrap().into(),
                );
                latest_envelopes.insert(at, (key(row), row["envelope_pence"].as_i64().unwrap()));
            }
            _ => {}
        }
    }
    for (key, amount) in latest_envelopes.into_values() {
        groups.entry(key).or_default()[0] += amount;
    }
    groups.retain(|_, money| money != &[0; 4]);
    groups
}

/// The summary's groups by their values in each dimension.
fn summarised(summary: &Value, dimensions: &[&str]) -> BTreeMap<Vec<String>, Money> {
    let mut groups = BTreeMap::new();
    for group in summary["groups"].as_array().unwrap() {
        let key: Vec<String> = dimensions
            .iter()
            .map(|d| group[*d].as_str().unwrap().to_string())
            .collect();
        assert_eq!(group["key"], key.join(" / "), "{group}");
        let field = |name: &str| group[name].as_i64().unwrap_or(0);
        let money = [
            field("envelope_pence"),
            field("allocated_pence"),
            field("spent_run_pence"),
            field("spent_change_pence"),
        ];
        if money != [0; 4] {
            assert!(
                groups.insert(key, money).is_none(),
                "each group once: {group}"
            );
        }
    }
    groups
}

api_test!(fn a_summary_in_several_dimensions_reconciles_with_the_history(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    random_writes(app, &finance, 120);
    let rows = history(app, &auditor, "");
    for group_by in [
        "financial_year,stream,programme",
        "stream,programme",
        "programme,financial_year",
        "sponsor,stream",
        "stream,financial_year",
        "sponsor,financial_year",
        "programme,sponsor,stream,financial_year",
        "programme",
    ] {
        let dimensions: Vec<&str> = group_by.split(',').collect();
        let summary = ok(app.get(&format!("/api/v1/funding/summary?group_by={group_by}"), &auditor));
        assert_eq!(summary["group_by"], group_by);
        let groups = summarised(&summary, &dimensions);
        assert_eq!(groups, rebuilt(&rows, &dimensions), "{group_by}");
        let keys: Vec<_> = groups.keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{group_by}: groups in key order");
        let allocated: i64 = groups.values().map(|m| m[1]).sum();
        assert_eq!(summary["totals"]["allocated_pence"], allocated, "{group_by}: totals");
    }
    // Narrowed to one year, against the history narrowed alike.
    let year_rows = history(app, &auditor, "financial_year=2026-27");
    let summary = ok(app.get("/api/v1/funding/summary?group_by=stream,programme&financial_year=2026-27", &auditor));
    assert_eq!(summarised(&summary, &["stream", "programme"]), rebuilt(&year_rows, &["stream", "programme"]));

    // The CSV carries the same groups, one column per dimension.
    let reply = app.raw("GET", "/api/v1/funding/summary?group_by=financial_year,stream,programme&format=csv", Some(&auditor), None, &[]);
    let (header, csv_rows) = beacon_tests::csv_table(&reply.text);
    let json = ok(app.get("/api/v1/funding/summary?group_by=financial_year,stream,programme", &auditor));
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(csv_rows.len(), groups.len() + 1, "the groups, then the totals");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, group) in csv_rows.iter().zip(groups) {
        for name in ["financial_year", "stream", "programme", "allocated_pence"] {
            assert_eq!(row[column(name)], group[name].to_string().trim_matches('"'), "{name}");
        }
        assert_eq!(row[column("sponsor")], "");
    }

    for (bad, says) in [("stream,stream", "named twice"), ("stream,colour", "'colour' is not a grouping"), ("", "is not a grouping")] {
        let problem = app.get(&format!("/api/v1/funding/summary?group_by={bad}"), &auditor).problem(422);
        assert_eq!(problem["errors"][0]["field"], "group_by", "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(says), "{problem}");
    }
});

//! The funding history over REST: every entry exactly once, in recorded order, filtered,
//! and the same rows as CSV.

use std::collections::HashSet;

use beacon_tests::api_test;
use beacon_tests::app::TestApp;
use serde_json::{Value, json};

fn walk(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/funding/history?{query}&limit={limit}");
    loop {
        let page = app.get(&path, token);
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/funding/history?{query}&limit={limit}&cursor={cursor}")
            }
            None => return items,
        }
    }
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// A few movements of each kind on top of the seeded funding.
fn record_some_money(app: &TestApp, finance: &str) {
    let allocations = "/api/v1/funding-streams/hmt-police-technology-2024-28/allocations";
    let put = app.send(
        "PUT",
        "/api/v1/funding-streams/hmt-police-technology-2024-28/envelopes/2026-27",
        Some(finance),
        Some(&json!({"amount_pence": 5_000_000_000_i64, "basis": "Spending review"})),
    );
    assert!(put.status < 300, "{}", put.text);
    for (programme, pence, kind, reason) in [
        ("eagle-x", 100_000_000_i64, "allocation", "Year one"),
        ("knife-detection", 25_000_000, "allocation", "Trial"),
        ("eagle-x", -20_000_000, "withdrawal", "Underspend returned"),
        ("knife-detection", 1_000_000, "adjustment", "Correction"),
    ] {
        let reply = app.post(allocations, finance, json!({"programme": programme, "financial_year": "2026-27", "amount_pence": pence, "kind": kind, "reason": reason}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    for (category, pence) in [("run", 4_000_000_i64), ("change", 6_000_000)] {
        let reply = app.post("/api/v1/programmes/eagle-x/spend", finance, json!({"financial_year": "2026-27", "amount_pence": pence, "category": category, "description": "Quarter 1"}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}

fn stored_entries(app: &TestApp) -> i64 {
    let mut conn = app.db.conn();
    ["ledger_entries", "spend_entries", "envelope_changes"]
        .iter()
        .map(|table| {
            beacon_tests::row_counts(&mut conn)
                .into_iter()
                .find(|(t, _)| t == table)
                .unwrap()
                .1
        })
        .sum()
}

api_test!(fn every_entry_appears_exactly_once_in_recorded_order(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    record_some_money(app, &finance);
    let all = walk(app, &auditor, "", 7);
    assert_eq!(all.len() as i64, stored_entries(app));
    // Compared as times: RFC 3339 text drops trailing zeros from the fraction, so
    // "…:00.120Z" sorts after "…:00.120345Z" as text.
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = all
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["recorded_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "recorded order");
    let distinct: HashSet<String> = all.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), all.len(), "no entry twice");
    // Page size does not change what is returned.
    assert_eq!(walk(app, &auditor, "", 200), all);

    let last: Vec<&Value> = all.iter().rev().take(7).collect();
    assert_eq!(last[0]["kind"], "spend");
    assert_eq!(last[0]["category"], "change");
    assert_eq!(last[0]["recorded_by"], "pmo@beacon.police.uk");
    let withdrawal = all.iter().find(|e| e["reason"] == "Underspend returned").unwrap();
    assert_eq!(withdrawal["amount_pence"], -20_000_000_i64);
    assert_eq!(withdrawal["stream"], "hmt-police-technology-2024-28");
    assert_eq!(withdrawal["financial_year"], "2026-27");
    let envelope = all.iter().find(|e| e["reason"] == "Spending review").unwrap();
    assert_eq!(envelope["kind"], "envelope");
    assert_eq!(envelope["envelope_pence"], 5_000_000_000_i64);
    assert!(envelope["programme"].is_null());
});

api_test!(fn filters_narrow_the_history(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    record_some_money(app, &finance);
    let all = walk(app, &finance, "", 200);
    let check = |query: &str, keep: &dyn Fn(&Value) -> bool| {
        let expected: Vec<&Value> = all.iter().filter(|e| keep(e)).collect();
        let got = walk(app, &finance, query, 3);
        assert!(!got.is_empty(), "{query} matched nothing");
        assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{query}");
    };
    check("programme=eagle-x", &|e| e["programme"] == "eagle-x");
    check("stream=hmt-police-technology-2024-28", &|e| e["stream"] == "hmt-police-technology-2024-28");
    check("financial_year=2026-27", &|e| e["financial_year"] == "2026-27");
    check("financial_year=2026/27&kind=allocation", &|e| e["financial_year"] == "2026-27" && e["kind"] == "allocation");
    check("kind=spend&programme=eagle-x", &|e| e["kind"] == "spend" && e["programme"] == "eagle-x");
    check("kind=envelope", &|e| e["kind"] == "envelope");
    check("kind=withdrawal", &|e| e["kind"] == "withdrawal");
    let today = chrono::Utc::now().date_naive();
    check(&format!("recorded_from={today}&recorded_to={today}"), &|e| e["recorded_at"].as_str().unwrap().starts_with(&today.to_string()));
});

api_test!(fn history_csv_carries_the_same_rows_as_json(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    record_some_money(app, &finance);
    for query in ["", "programme=eagle-x", "kind=envelope", "stream=hmt-police-technology-2024-28&financial_year=2026-27"] {
        let json_rows = walk(app, &finance, query, 50);
        let reply = app.get(&format!("/api/v1/funding/history?{query}&format=csv"), &finance);
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-type").unwrap().starts_with("text/csv"));
        let rows = csv_rows(&reply.text);
        assert_eq!(rows.len(), json_rows.len(), "{query}");
        for (row, entry) in rows.iter().zip(&json_rows) {
            assert_eq!(row[0], entry["id"].as_str().unwrap());
            assert_eq!(row[11..], [&entry["stream_name"], &entry["programme_name"], &entry["sponsor"]].map(|v| v.as_str().unwrap_or_default().to_string()));
            assert_eq!(row[2], entry["kind"].as_str().unwrap());
            assert_eq!(row[4], entry["programme"].as_str().unwrap_or_default());
            assert_eq!(row[5], entry["financial_year"].as_str().unwrap());
            assert_eq!(row[6], entry["amount_pence"].to_string());
            assert_eq!(row[9], entry["reason"].as_str().unwrap());
        }
        let by_accept = app.raw("GET", &format!("/api/v1/funding/history?{query}"), Some(&finance), None, &[("accept", "text/csv")]);
        assert_eq!(by_accept.text, reply.text);
    }
});

api_test!(fn a_reason_typed_as_a_formula_opens_as_text_in_csv(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    record_some_money(app, &finance);
    let formula = r#"=HYPERLINK("http://example.com","Open")"#;
    let reply = app.post(
        "/api/v1/funding-streams/hmt-police-technology-2024-28/allocations",
        &finance,
        json!({"programme": "eagle-x", "financial_year": "2026-27", "amount_pence": -1_000_000_i64, "kind": "withdrawal", "reason": formula}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let json_rows = walk(app, &finance, "programme=eagle-x&kind=withdrawal", 50);
    assert_eq!(json_rows.last().unwrap()["reason"], formula, "JSON carries the reason as typed");
    let csv = app.get("/api/v1/funding/history?programme=eagle-x&kind=withdrawal&format=csv", &finance);
    let rows = csv_rows(&csv.text);
    let last = rows.last().unwrap();
    assert_eq!(last[9], format!("'{formula}"));
    assert_eq!(last[6], "-1000000", "a negative amount stays a number");
    let export = app.get("/api/v1/funding/history.csv?programme=eagle-x&kind=withdrawal", &finance);
    assert_eq!(export.status, 200);
    assert!(export.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(csv_rows(&export.text), rows, "the export is the same CSV");
});

api_test!(fn bad_history_queries_name_the_parameter(app) {
    let (_, viewer) = app.user("viewer@force.police.uk", "viewer");
    for (query, field) in [
        ("programme=no-such-thing", "programme"),
        ("stream=no-such-stream", "stream"),
        ("financial_year=2025", "financial_year"),
        ("kind=gift", "kind"),
        ("recorded_from=last-week", "recorded_from"),
        ("recorded_from=2026-01-02&recorded_to=2026-01-01", "recorded_to"),
        ("format=pdf", "format"),
        ("cursor=bm9wZQ", "cursor"),
    ] {
        let problem = app.get(&format!("/api/v1/funding/history?{query}"), &viewer).problem(422);
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let page = app.get("/api/v1/funding/history?limit=1", &viewer).json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = app.get(&format!("/api/v1/funding/history?limit=1&kind=spend&cursor={cursor}"), &viewer).problem(422);
    assert_eq!(problem["errors"][0]["field"], "cursor");
});

api_test!(fn every_history_row_is_citable_by_an_id_that_leads_to_its_audit_entry(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    record_some_money(app, &finance);
    let rows = walk(app, &auditor, "", 200);
    let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rows.len(), "each id names one row");
    // The audit entries about one record, as the trail lists them.
    let trail = |entity: &str, entity_id: &str| {
        let page = app.get(&format!("/api/v1/audit?entity={entity}&entity_id={entity_id}&limit=200"), &auditor);
        page.json()["items"].as_array().unwrap().clone()
    };
    let mut kinds = HashSet::new();
    for row in &rows {
        let id = row["id"].as_str().unwrap();
        let reply = app.get(&format!("/api/v1/funding/history/{id}"), &auditor);
        assert_eq!(reply.status, 200, "{id}: {}", reply.text);
        let cited = reply.json();
        let mut same = cited.clone();
        same.as_object_mut().unwrap().remove("audit");
        assert_eq!(&same, row, "{id} resolves to itself");
        // Its audit entry names the same record, and sits in the chain where it says.
        let audit = &cited["audit"];
        let seq = audit["seq"].as_i64().unwrap_or_else(|| panic!("{id} has its audit entry: {cited}"));
        let (table, number) = id.rsplit_once('-').unwrap();
        kinds.insert(table.to_string());
        let (entity, entity_id) = match table {
            "ledger" => ("ledger_entry", number.to_string()),
            "spend" => ("spend_entry", number.to_string()),
            _ => ("envelope", format!("{}/{}", row["stream"].as_str().unwrap(), row["financial_year"].as_str().unwrap())),
        };
        let entries = trail(entity, &entity_id);
        let entry = entries.iter().find(|e| e["seq"] == seq).unwrap_or_else(|| panic!("{id}: seq {seq} is not about {entity} {entity_id}"));
        assert_eq!(entry["hash"], audit["hash"]);
        if table == "envelope" {
            assert_eq!(entry["after"]["amount_pence"], row["envelope_pence"], "{id}: {entry}");
        }
    }
    assert_eq!(kinds.len(), 3, "ledger, envelope and spend rows were cited: {kinds:?}");
    // Other roles see the entry, not the trail.
    let (_, viewer) = app.user("viewer@norfolk.police.uk", "viewer");
    let first = rows[0]["id"].as_str().unwrap();
    let seen = app.get(&format!("/api/v1/funding/history/{first}"), &viewer).json();
    assert_eq!(seen["audit"], Value::Null);
    assert_eq!(seen["id"], first);
    for unknown in ["ledger-999999", "ledger-0", "nonsense", "spend-x"] {
        let problem = app.get(&format!("/api/v1/funding/history/{unknown}"), &auditor).problem(404);
        assert!(problem["detail"].as_str().unwrap().contains("ids look like ledger-13"), "{problem}");
    }
});

api_test!(fn history_rows_name_their_stream_programme_and_sponsor(app) {
    let (_, finance) = app.user("pmo@beacon.police.uk", "finance");
    record_some_money(app, &finance);
    let rows = walk(app, &finance, "stream=hmt-police-technology-2024-28&financial_year=2026-27", 50);
    let allocation = rows.iter().find(|r| r["kind"] == "allocation" && r["programme"] == "eagle-x").unwrap();
    assert_eq!(allocation["stream_name"], "HM Treasury police technology funding");
    assert_eq!(allocation["programme_name"].as_str().unwrap(), beacon_db::programmes::get_by_code(&mut app.db.conn(), "eagle-x").unwrap().name);
    assert_eq!(allocation["sponsor"], "NPCC");
    let envelope = rows.iter().find(|r| r["kind"] == "envelope").unwrap();
    assert_eq!(envelope["stream_name"], "HM Treasury police technology funding");
    assert_eq!(envelope["programme_name"], Value::Null);
    let spend = walk(app, &finance, "programme=eagle-x&kind=spend", 50);
    assert_eq!(spend[0]["sponsor"], "NPCC");
    assert_eq!(spend[0]["stream_name"], Value::Null);
});

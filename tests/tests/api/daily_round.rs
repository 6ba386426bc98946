//! What each user reaches for every day: a lead's own programmes, names beside ids,
//! and every table as CSV with the rows of its JSON.

use beacon_tests::api_test;
use beacon_tests::app::{Reply, TestApp};
use serde_json::{Value, json};

/// The CSV body as (header, rows), after checking it is a CSV download.
fn csv_of(reply: &Reply) -> (Vec<String>, Vec<Vec<String>>) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        reply
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"beacon-"))
    );
    beacon_tests::csv_table(&reply.text)
}

/// A JSON value as its CSV cell reads.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Asserts the CSV row holds each of the JSON object's scalar fields under its name.
fn same_fields(header: &[String], row: &[String], json: &Value, prefix: &str) {
    for (name, value) in json.as_object().unwrap() {
        let column = format!("{prefix}{name}");
        match value {
            Value::Object(_) => same_fields(header, row, value, &format!("{column}.")),
            Value::Array(_) => assert!(header.contains(&column), "no column {column}"),
            scalar => {
                let at = header
                    .iter()
                    .position(|h| *h == column)
                    .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
                assert_eq!(row[at], cell(scalar), "column {column}");
            }
        }
    }
}

fn lead_with_programmes(app: &TestApp, email: &str, codes: &[&str]) -> (i64, String) {
    let (id, token) = app.user(email, "lead");
    for code in codes {
        app.own(code, id);
    }
    (id, token)
}

api_test!(fn owner_me_lists_exactly_the_callers_programmes(app) {
    let (lead, token) = lead_with_programmes(app, "lead@norfolk.police.uk", &["esn", "pnd-transformation"]);
    lead_with_programmes(app, "other@met.police.uk", &["hob"]);
    let codes = |reply: Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["items"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(codes(app.get("/api/v1/programmes?owner=me", &token)), ["esn", "pnd-transformation"]);
    assert_eq!(codes(app.get("/api/v1/programmes?owner=me&rating=red", &token)), ["pnd-transformation"]);
    let admin = app.admin();
    assert_eq!(codes(app.get(&format!("/api/v1/programmes?owner={lead}"), &admin)), ["esn", "pnd-transformation"]);
    assert!(codes(app.get("/api/v1/programmes?owner=me", &admin)).is_empty(), "the admin owns nothing");
    let (_, auditor) = app.user("auditor@nao.org.uk", "auditor");
    assert_eq!(codes(app.get(&format!("/api/v1/programmes?owner={lead}"), &auditor)).len(), 2);
    // Another lead may not look through someone else's list, and a bad owner is named.
    let other = app.token("other@met.police.uk", beacon_tests::app::PASSWORD);
    let problem = app.get(&format!("/api/v1/programmes?owner={lead}"), &other).problem(403);
    assert!(problem["detail"].as_str().unwrap().contains("auditor or admin"), "{problem}");
    let problem = app.get("/api/v1/programmes?owner=99999", &admin).problem(422);
    assert_eq!(problem["errors"][0]["field"], "owner");
    let problem = app.get("/api/v1/programmes?owner=everyone", &admin).problem(422);
    assert_eq!(problem["errors"][0]["message"], "expected 'me' or a user's id, got 'everyone'");
});

api_test!(fn me_lists_the_programmes_the_user_owns(app) {
    let (id, token) = lead_with_programmes(app, "lead@norfolk.police.uk", &["pnd-transformation", "esn"]);
    let me = app.get("/api/v1/me", &token).json();
    assert_eq!(me["id"], id);
    assert_eq!(me["email"], "lead@norfolk.police.uk");
    let owned: Vec<&str> = me["programmes"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(owned, ["esn", "pnd-transformation"]);
    assert_eq!(me["programmes"][1]["rating"], "red");
    assert!(me["programmes"][1]["name"].as_str().unwrap().contains("Police National Database"));
    assert_eq!(app.get("/api/v1/me", &app.admin()).json()["programmes"], json!([]));
});

api_test!(fn a_status_report_names_its_reporter_by_email(app) {
    let (id, token) = lead_with_programmes(app, "lead@norfolk.police.uk", &["esn"]);
    let made = app.post("/api/v1/programmes/esn/status-reports", &token, json!({"rating": "amber", "rationale": "Slipped a quarter.", "period_end": "2026-10-31"}));
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.json()["reported_by"], id);
    assert_eq!(made.json()["reported_by_email"], "lead@norfolk.police.uk");
    let list = app.get("/api/v1/programmes/esn/status-reports", &token).json();
    assert_eq!(list["items"][0]["reported_by_email"], "lead@norfolk.police.uk");
    assert_eq!(list["items"][1]["reported_by_email"], Value::Null, "a published rating has no reporter");
});

api_test!(fn the_programme_list_as_csv_has_every_match_with_the_jsons_fields(app) {
    let admin = app.admin();
    let named = app.post("/api/v1/programmes", &admin, json!({"code": "formula", "name": "=HYPERLINK(\"http://x\")", "capability_area": "data-and-intelligence", "sponsor": "Home Office", "stage": "delivery"}));
    assert_eq!(named.status, 201, "{}", named.text);
    let (lead, _) = lead_with_programmes(app, "lead@norfolk.police.uk", &["esn"]);
    let json = app.get("/api/v1/programmes?limit=200", &admin).json();
    let items = json["items"].as_array().unwrap();
    let (header, rows) = csv_of(&app.get("/api/v1/programmes?format=csv&limit=5", &admin));
    assert_eq!(rows.len(), items.len(), "every match, whatever the page size");
    for (row, item) in rows.iter().zip(items) {
        if item["code"] == "formula" {
            let at = header.iter().position(|h| h == "name").unwrap();
            assert_eq!(row[at], "'=HYPERLINK(\"http://x\")", "a formula opens as text");
            continue;
        }
        same_fields(&header, row, item, "");
    }
    let esn = rows.iter().find(|r| r[0] == "esn").unwrap();
    let owners = header.iter().position(|h| h == "owners").unwrap();
    assert_eq!(esn[owners], format!("{lead}: lead@norfolk.police.uk"));
    // Accept: text/csv asks for the same, and filters apply.
    let reply = app.raw("GET", "/api/v1/programmes?rating=red", Some(&admin), None, &[("accept", "text/csv")]);
    let (_, red) = csv_of(&reply);
    assert_eq!(red.len(), app.get("/api/v1/programmes?rating=red", &admin).json()["items"].as_array().unwrap().len());
});

api_test!(fn the_portfolio_as_csv_has_the_jsons_programmes(app) {
    let admin = app.admin();
    let path = "/api/v1/portfolio?as_of=2025-03-31&financial_year=2024-25";
    let json = app.get(path, &admin).json();
    let (header, rows) = csv_of(&app.get(&format!("{path}&format=csv"), &admin));
    let lines = json["programmes"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert_eq!(rows.len(), lines.len());
    assert_eq!(&header[..3], ["as_of", "financial_year", "code"]);
    for (row, line) in rows.iter().zip(lines) {
        assert_eq!(row[0], "2025-03-31");
        assert_eq!(row[1], "2024-25");
        same_fields(&header, row, line, "");
    }
});

api_test!(fn the_funding_summary_as_csv_has_the_jsons_groups_and_totals(app) {
    let admin = app.admin();
    for group_by in ["financial_year", "stream", "programme", "sponsor"] {
        let path = format!("/api/v1/funding/summary?group_by={group_by}");
        let json = app.get(&path, &admin).json();
        let reply = app.raw("GET", &path, Some(&admin), None, &[("accept", "text/csv")]);
        let (header, rows) = csv_of(&reply);
        let mut expected: Vec<Value> = json["groups"].as_array().unwrap().clone();
        expected.push(json["totals"].clone());
        assert_eq!(rows.len(), expected.len(), "{group_by}");
        for (row, group) in rows.iter().zip(&expected) {
            assert_eq!(row[2], group_by);
            same_fields(&header, row, group, "");
        }
        assert_eq!(rows.last().unwrap()[3], "total");
    }
    let problem = app.get("/api/v1/funding/summary?format=xlsx", &admin).problem(422);
    assert_eq!(problem["errors"][0]["field"], "format");
});

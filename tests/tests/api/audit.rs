//! The audit trail over REST: filtered pages, the same rows as CSV, and verification.

use beacon_tests::api_test;
use serde_json::{Value, json};

/// Every entry a filtered listing returns, walking its pages.
fn walk(app: &beacon_tests::app::TestApp, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = format!("/api/v1/audit?{query}&limit={limit}");
    loop {
        let page = app.get(&path, token);
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/audit?{query}&limit={limit}&cursor={cursor}"),
            None => return items,
        }
    }
}

fn seqs(items: &[Value]) -> Vec<i64> {
    items.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

/// The rows of a CSV export, header first.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

api_test!(fn auditors_page_through_every_entry_exactly_once_in_chain_order(app) {
    let admin = app.admin();
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    app.post("/api/v1/programmes/esn/status-reports", &admin, json!({"rating": "red", "rationale": "Slipped again", "period_end": "2026-09-30"}));
    let total = beacon_tests::inspect::audit_count(&mut app.db.conn());

    let all = walk(app, &auditor, "", 7);
    assert_eq!(all.len() as i64, total);
    assert_eq!(seqs(&all), (1..=total).collect::<Vec<_>>(), "each entry once, in chain order");
    for pair in all.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }

    let esn = walk(app, &auditor, "entity=programme&entity_id=esn", 2);
    assert!(!esn.is_empty());
    assert!(esn.iter().all(|e| e["entity"] == "programme" && e["entity_id"] == "esn"));
    let reports = walk(app, &auditor, "entity=status_report&actor=admin@beacon.test", 50);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["after"]["rating"], "red", "snapshots come back as JSON");
    assert_eq!(reports[0]["action"], "create");
    let seeded = walk(app, &auditor, "actor=beacon%20seed&action=create&entity=force", 50);
    assert_eq!(seeded.len(), 43);
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(walk(app, &auditor, &format!("from={today}&to={today}"), 200).len() as i64, total);
    assert!(walk(app, &auditor, &format!("from={tomorrow}"), 50).is_empty());
});

api_test!(fn csv_carries_the_same_rows_as_json(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    for query in ["entity=programme", "action=create", ""] {
        let json_rows = walk(app, &auditor, query, 50);
        let by_param = app.get(&format!("/api/v1/audit?{query}&format=csv"), &auditor);
        assert_eq!(by_param.status, 200);
        assert!(by_param.header("content-type").unwrap().starts_with("text/csv"));
        let by_accept = app.raw("GET", &format!("/api/v1/audit?{query}"), Some(&auditor), None, &[("accept", "text/csv")]);
        assert_eq!(by_accept.text, by_param.text);
        let rows = csv_rows(&by_param.text);
        assert_eq!(rows[0][0], "seq");
        assert_eq!(rows.len() - 1, json_rows.len(), "{query}");
        for (row, entry) in rows[1..].iter().zip(&json_rows) {
            assert_eq!(row[0], entry["seq"].to_string());
            assert_eq!(row[3], entry["actor"].as_str().unwrap());
            assert_eq!(row[6], entry["entity_id"].as_str().unwrap());
            assert_eq!(row[10], entry["hash"].as_str().unwrap());
        }
    }
});

api_test!(fn csv_export_streams_past_one_batch(app) {
    // More entries than one database batch (2,000), so the stream must continue.
    let admin = app.admin();
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    for n in 0..12 {
        app.post("/api/v1/programmes/esn/status-reports", &admin, json!({"rating": if n % 2 == 0 { "red" } else { "amber" }, "rationale": "Monthly", "period_end": "2026-09-30"}));
    }
    {
        // A long trail, written the way Beacon writes it: 2,100 accounts, each audited.
        let mut conn = app.db.conn();
        let who = beacon_api::app::Caller::system("bulk test");
        beacon_db::write_transaction(&mut conn, |tx| {
            for n in 0..2_100 {
                let email = beacon_core::Email::parse(&format!("user{n}@bulk.police.uk")).unwrap();
                beacon_api::app::users::create(tx, &who, &email, beacon_core::Role::Viewer, "$argon2id$bulk")?;
            }
            Ok::<_, beacon_api::app::AppError>(())
        })
        .unwrap();
    }
    let total = beacon_tests::inspect::audit_count(&mut app.db.conn());
    let rows = csv_rows(&app.get("/api/v1/audit?format=csv", &auditor).text);
    assert_eq!(rows.len() as i64 - 1, total);
    let seqs: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    let verify = app.get("/api/v1/audit/verify", &auditor).json();
    assert_eq!(verify["intact"], true);
    assert_eq!(verify["checked"].as_i64(), Some(total));
});

api_test!(fn verify_reports_the_first_broken_sequence_number(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let intact = app.get("/api/v1/audit/verify", &auditor).json();
    assert_eq!(intact["intact"], true);
    let total = beacon_tests::inspect::audit_count(&mut app.db.conn());
    assert_eq!(intact["checked"].as_i64(), Some(total));
    assert_eq!(intact["head_seq"].as_i64(), Some(total));
    assert_eq!(intact["head_hash"].as_str().unwrap().len(), 64);
    assert!(intact["first_broken_seq"].is_null());

    app.db.tamper("UPDATE audit_log SET actor = 'nobody' WHERE seq = 17");
    let broken = app.get("/api/v1/audit/verify", &auditor).json();
    assert_eq!(broken["intact"], false);
    assert_eq!(broken["first_broken_seq"], 17);
    assert_eq!(broken["checked"], 16);
    assert!(broken["problem"].as_str().unwrap().contains("altered"));
});

api_test!(fn bad_audit_queries_name_the_parameter(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2025-13-01", "to"),
        ("from=2025-06-30&to=2025-06-01", "to"),
        ("format=xml", "format"),
        ("limit=0", "limit"),
        ("cursor=bm9wZQ", "cursor"),
        ("entity=ledger", "entity"),
        ("action=delete", "action"),
    ] {
        let problem = app.get(&format!("/api/v1/audit?{query}"), &auditor).problem(422);
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    // A record type Beacon does not know is named, with the ones it does.
    let problem = app.get("/api/v1/audit?entity=ledger", &auditor).problem(422);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("'ledger'") && message.contains("ledger_entry"), "{message}");
    // A cursor from one filtered listing is refused by another.
    let page = app.get("/api/v1/audit?entity=force&limit=2", &auditor).json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = app.get(&format!("/api/v1/audit?entity=programme&limit=2&cursor={cursor}"), &auditor).problem(422);
    assert_eq!(problem["errors"][0]["field"], "cursor");
    app.get("/api/v1/audit?colour=red", &auditor).problem(422);
});

api_test!(fn the_server_links_new_entries_into_the_chain_without_being_asked(app) {
    let admin = app.admin();
    let made = app.post("/api/v1/programmes/esn/status-reports", &admin, json!({"rating": "amber", "rationale": "Monthly", "period_end": "2026-09-30"}));
    assert_eq!(made.status, 201, "{}", made.text);
    // Nobody reads the trail here: the server's sealer links the entry on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let newest = beacon_tests::inspect::audit_latest(&mut app.db.conn(), 1).remove(0);
        assert_eq!((newest.entity.as_str(), newest.action.as_str()), ("status_report", "create"));
        if newest.seq.is_some() {
            assert!(newest.hash.is_some());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the entry was never linked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
});

/// Whether `text` is an RFC 3339 time in UTC, written with `Z`.
fn is_utc(text: &str) -> bool {
    text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// What is wrong with one image of a record, against the API's vocabulary.
fn unlike_the_api(image: &Value, emails: &std::collections::HashMap<i64, String>) -> Vec<String> {
    let mut wrong = Vec::new();
    let Some(fields) = image.as_object() else {
        return wrong;
    };
    for (key, value) in fields {
        match key.as_str() {
            "programme_id" | "stream_id" | "envelope_change_id" => {
                wrong.push(format!("{key} is an internal id"))
            }
            "financial_year" => {
                let text = value.as_str().unwrap_or_default();
                if text.len() != 7 || text.as_bytes()[4] != b'-' {
                    wrong.push(format!("financial_year {value} is not like 2026-27"));
                }
            }
            "recorded_by" | "reported_by" | "user_id" => {
                let named = format!("{}_email", key.trim_end_matches("_id"));
                if let Some(id) = value.as_i64() {
                    if fields.get(&named).and_then(Value::as_str)
                        != emails.get(&id).map(String::as_str)
                    {
                        wrong.push(format!("{named} does not name user {id}"));
                    }
                }
            }
            _ if key.ends_with("_at") || key == "rating_since" => {
                if let Some(text) = value.as_str() {
                    if !is_utc(text) {
                        wrong.push(format!("{key} {text} is not RFC 3339 UTC"));
                    }
                }
            }
            _ => {}
        }
    }
    wrong
}

api_test!(fn every_kind_of_write_is_audited_in_the_apis_own_terms(app) {
    let admin = app.admin();
    let (lead, _) = app.user("lead@kent.police.uk", "lead");
    let (finance_id, finance) = app.user("pmo@beacon.police.uk", "finance");
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    let stream = "/api/v1/funding-streams/productivity-2026";
    let writes = [
        app.post("/api/v1/programmes", &admin, json!({"code": "digital-evidence-sharing", "name": "Digital evidence sharing", "description": "Sharing evidence", "capability_area": "data-and-intelligence", "sponsor": "NPCC", "lead_force": "avon-and-somerset", "stage": "pipeline", "start_date": "2026-04-01"})),
        app.send("PUT", &format!("/api/v1/programmes/digital-evidence-sharing/owners/{lead}"), Some(&admin), None),
        app.post("/api/v1/programmes/hob/status-reports", &admin, json!({"rating": "red", "rationale": "Slipped", "period_end": "2026-09-30"})),
        app.post("/api/v1/funding-streams", &finance, json!({"code": "productivity-2026", "name": "Police productivity funding", "description": "Test stream"})),
        app.send("PUT", &format!("{stream}/envelopes/2026-27"), Some(&finance), Some(&json!({"amount_pence": 5_000_000_i64, "basis": "Announced"}))),
        app.send("PUT", &format!("{stream}/envelopes/2026-27"), Some(&finance), Some(&json!({"amount_pence": 6_000_000_i64, "basis": "Raised"}))),
        app.post(&format!("{stream}/allocations"), &finance, json!({"programme": "hob", "financial_year": "2026-27", "amount_pence": 1_000_000_i64, "kind": "allocation", "reason": "First tranche"})),
        app.post("/api/v1/programmes/hob/spend", &finance, json!({"financial_year": "2026-27", "amount_pence": 250_000_i64, "category": "change", "description": "Discovery"})),
        app.send("PATCH", &format!("/api/v1/users/{finance_id}"), Some(&admin), Some(&json!({"role": "finance", "active": true}))),
        app.send("DELETE", &format!("/api/v1/users/{lead}/sign-in-throttle"), Some(&admin), None),
        app.send("DELETE", &format!("/api/v1/programmes/digital-evidence-sharing/owners/{lead}"), Some(&admin), None),
    ];
    for reply in &writes {
        assert!(reply.status < 300, "{}: {}", reply.status, reply.text);
    }
    let users = app.get("/api/v1/users", &auditor).json();
    let emails = users["items"].as_array().unwrap().iter()
        .map(|u| (u["id"].as_i64().unwrap(), u["email"].as_str().unwrap().to_string()))
        .collect();

    let trail = walk(app, &auditor, "", 200);
    let mut kinds = std::collections::BTreeSet::new();
    for entry in &trail {
        kinds.insert(entry["entity"].as_str().unwrap().to_string());
        for side in ["before", "after"] {
            let wrong = unlike_the_api(&entry[side], &emails);
            assert!(wrong.is_empty(), "{} {side}: {wrong:?}\n{entry}", entry["seq"]);
        }
    }
    for kind in ["programme", "programme_owner", "status_report", "funding_stream", "envelope", "ledger_entry", "spend_entry", "user", "force"] {
        assert!(kinds.contains(kind), "no {kind} entry in {kinds:?}");
    }

    // Each funding entry's image names the id the history cites it by, and the codes.
    let history = app.get("/api/v1/funding/history?stream=productivity-2026&limit=100", &auditor).json();
    let rows = history["items"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "two envelope changes and one allocation: {history}");
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let cited = app.get(&format!("/api/v1/funding/history/{id}"), &auditor).json();
        let seq = cited["audit"]["seq"].as_i64().unwrap();
        let entry = trail.iter().find(|e| e["seq"] == seq).unwrap();
        assert_eq!(entry["after"]["id"], id, "{entry}");
        assert_eq!(entry["after"]["stream"], "productivity-2026", "{entry}");
        assert_eq!(entry["after"]["financial_year"], "2026-27", "{entry}");
    }
    let spend = walk(app, &auditor, "entity=spend_entry&actor=pmo@beacon.police.uk", 10);
    assert_eq!(spend.len(), 1);
    let after = &spend[0]["after"];
    assert_eq!((&after["programme"], &after["recorded_by_email"]), (&json!("hob"), &json!("pmo@beacon.police.uk")), "{after}");
    assert!(after["id"].as_str().unwrap().starts_with("spend-"), "{after}");
    let owner = walk(app, &auditor, "entity=programme_owner&action=remove_owner", 10);
    assert_eq!(owner[0]["before"]["programme"], "digital-evidence-sharing", "{}", owner[0]);
    assert_eq!(owner[0]["before"]["user_email"], "lead@kent.police.uk", "{}", owner[0]);
});

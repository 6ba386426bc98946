//! Many requests at once: the envelope holds, and every report lands with its audit entry.

use std::sync::Barrier;

use beacon_tests::api_test;
use serde_json::json;

api_test!(fn fifty_parallel_allocations_never_over_allocate(app) {
    let (_, finance) = app.user("finance@portfolio.police.uk", "finance");
    app.post("/api/v1/funding-streams", &finance, json!({"code": "race", "name": "Race"}));
    app.send("PUT", "/api/v1/funding-streams/race/envelopes/2025-26", Some(&finance), Some(&json!({"amount_pence": 1_000})));
    let barrier = Barrier::new(50);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (finance, barrier) = (&finance, &barrier);
                scope.spawn(move || {
                    let body = json!({"programme": if i % 2 == 0 { "esn" } else { "hob" }, "financial_year": "2025-26", "amount_pence": 30, "kind": "allocation", "reason": "race"});
                    barrier.wait();
                    app.post("/api/v1/funding-streams/race/allocations", finance, body).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 33, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 17, "{statuses:?}");
    let envelope = &app.get("/api/v1/funding-streams/race", &finance).json()["envelopes"][0];
    assert_eq!(envelope["allocated_pence"], 990);
    assert_eq!(envelope["headroom_pence"], 10);
    assert!(beacon_tests::inspect::totals_mismatches(&mut app.db.conn()).is_empty());
});

api_test!(fn fifty_parallel_status_reports_all_land_with_their_audit_entries(app) {
    let (lead, token) = app.user("sro@pnd.police.uk", "lead");
    app.own("pnd-transformation", lead);
    let barrier = Barrier::new(50);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (token, barrier) = (&token, &barrier);
                scope.spawn(move || {
                    let body = json!({"rating": if i % 3 == 0 { "red" } else { "amber" }, "rationale": format!("report {i}"), "period_end": "2026-09-30"});
                    barrier.wait();
                    app.post("/api/v1/programmes/pnd-transformation/status-reports", token, body).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let mut conn = app.db.conn();
    let programme = beacon_db::programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    let reports: Vec<_> = beacon_db::status_reports::for_programme(&mut conn, programme.id)
        .unwrap()
        .into_iter()
        .filter(|r| r.source == "beacon")
        .collect();
    assert_eq!(reports.len(), 50);
    for report in &reports {
        let trail = beacon_tests::inspect::audit_for(&mut conn, "status_report", &report.id.to_string());
        assert_eq!(trail.len(), 1, "report {} has its audit entry", report.id);
        assert_eq!(trail[0].actor, "sro@pnd.police.uk");
        assert_eq!(trail[0].actor_id, Some(lead));
    }
    let programme = beacon_db::programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(programme.rating, Some(reports[0].rating), "the newest report sets the rating");
});

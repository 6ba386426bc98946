//! Writers racing on one envelope or one programme: the rules hold and nothing is lost.

use std::sync::Barrier;

use beacon_core::{LedgerKind, Rating};
use beacon_db::{audit, funding, status_reports};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn parallel_allocations_never_over_allocate(db) {
    let (stream_id, programme_id) = {
        let mut conn = db.conn();
        let s = stream(&mut conn, "hmt");
        envelope(&mut conn, s.id, "2025-26", 1_000);
        (s.id, programme(&mut conn, "live-facial-recognition").id)
    };
    let barrier = Barrier::new(50);
    let accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let mut conn = db.conn();
                    funding::record_entry(&mut conn, &actor(), stream_id, programme_id, year("2025-26"), &entry(LedgerKind::Allocation, 30), None, &beacon_db::alerts::Policy::off()).is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
    });
    let mut conn = db.conn();
    assert_eq!(accepted, 33, "exactly as many as fit: 33 × 30 = 990 ≤ 1,000");
    let env = funding::find_envelope(&mut conn, stream_id, year("2025-26")).unwrap().unwrap();
    assert_eq!(env.allocated_pence, 990);
    assert_eq!(rows(&mut conn, "ledger_entries"), 33);
});

both_backends!(fn parallel_status_reports_all_land_with_their_audit_entries(db) {
    let programme_id = programme(&mut db.conn(), "pnd-transformation").id;
    let barrier = Barrier::new(20);
    std::thread::scope(|scope| {
        for i in 0..20 {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                let mut conn = db.conn();
                let rating = if i % 2 == 0 { Rating::Red } else { Rating::Amber };
                let provenance = status_reports::Provenance { reported_by: None, reported_at: None, source: "beacon", owners_only: false };
                status_reports::record(&mut conn, &actor(), programme_id, &report(rating), &provenance, &beacon_db::alerts::Policy::off()).unwrap();
            });
        }
    });
    let mut conn = db.conn();
    let reports = status_reports::for_programme(&mut conn, programme_id).unwrap();
    assert_eq!(reports.len(), 20);
    for r in &reports {
        assert_eq!(audit::for_entity(&mut conn, "status_report", &r.id.to_string()).unwrap().len(), 1);
    }
    let row = beacon_db::programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(row.version, 21, "every report bumped the version: no lost update");
});

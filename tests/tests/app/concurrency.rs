//! Writers racing on one envelope or one programme: the rules hold and nothing is lost.

use std::sync::Barrier;

use beacon_api::app;
use beacon_core::{LedgerKind, Pence, Rating};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn parallel_allocations_never_over_allocate(db) {
    {
        let mut conn = db.conn();
        stream(&mut conn, "hmt");
        envelope(&mut conn, "hmt", "2025-26", 1_000);
        programme(&mut conn, "live-facial-recognition");
    }
    let barrier = Barrier::new(50);
    let accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let mut conn = db.conn();
                    record(&mut conn, "hmt", "live-facial-recognition", "2025-26", LedgerKind::Allocation, 30).is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
    });
    let mut conn = db.conn();
    assert_eq!(accepted, 33, "exactly as many as fit: 33 × 30 = 990 ≤ 1,000");
    assert_eq!(envelope_of(&mut conn, "hmt", "2025-26").allocated, Pence::new(990));
    assert_eq!(rows(&mut conn, "ledger_entries"), 33);
});

both_backends!(fn parallel_status_reports_all_land_with_their_audit_entries(db) {
    programme(&mut db.conn(), "pnd-transformation");
    let barrier = Barrier::new(20);
    std::thread::scope(|scope| {
        for i in 0..20 {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                let mut conn = db.conn();
                let rating = if i % 2 == 0 { Rating::Red } else { Rating::Amber };
                report_now(&mut conn, "pnd-transformation", rating);
            });
        }
    });
    let mut conn = db.conn();
    let reports = app::reports::list(&mut conn, "pnd-transformation", None, 100).unwrap();
    assert_eq!(reports.len(), 20);
    for r in &reports {
        assert_eq!(trail(&mut conn, "status_report", &r.id.to_string()).len(), 1);
    }
    let row = programme_now(&mut conn, "pnd-transformation");
    assert_eq!(row.version, 21, "every report bumped the version: no lost update");
});

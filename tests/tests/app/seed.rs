use beacon_api::app;
use beacon_core::{Pence, Rating};

use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn seeding_loads_the_register(db) {
    let mut conn = db.conn();
    let added = app::seed::load(&mut conn).unwrap();
    assert_eq!(app::forces::list(&mut conn).unwrap().len(), 43);
    assert_eq!(added.forces, 43);
    assert!(added.programmes >= 18, "{added:?}");

    assert_eq!(programme_now(&mut conn, "pnd-transformation").rating, Some(Rating::Red));

    let history = app::reports::list(&mut conn, "esn", None, 1000).unwrap();
    assert!(
        history.iter().any(|r| r.rating == Rating::Red && r.period_end == day("2017-09-30")),
        "ESN's 2017 Red is in its history"
    );
    for code in ["live-facial-recognition", "eagle-x", "national-digital-forensics", "knife-detection", "dpc"] {
        assert!(app::register::get(&mut conn, &Default::default(), code, None).is_ok(), "{code} is in the register");
    }
    let hmt = app::funding::get_stream(&mut conn, "hmt-police-technology-2024-28").unwrap();
    let envelopes: Vec<(String, Pence)> = hmt.envelopes.into_iter().map(|e| (e.year.to_string(), e.amount)).collect();
    let expected = [("2024-25", 5_550_000_000), ("2025-26", 5_950_000_000), ("2026-27", 5_950_000_000), ("2027-28", 5_950_000_000)];
    assert_eq!(envelopes, expected.map(|(y, p)| (y.to_string(), Pence::new(p))));

    assert!(beacon_tests::inspect::totals_mismatches(&mut conn).is_empty());
    assert_eq!(beacon_tests::inspect::audit_count(&mut conn), i64::try_from(added.total()).unwrap(), "one audit entry per record added");
    assert_eq!(rows(&mut conn, "alerts"), 0, "published history raises no alerts");
});

both_backends!(fn seeding_twice_changes_nothing(db) {
    let mut conn = db.conn();
    app::seed::load(&mut conn).unwrap();
    let before = all_row_counts(&mut conn);
    let added = app::seed::load(&mut conn).unwrap();
    assert_eq!(added.total(), 0, "{added:?}");
    assert_eq!(all_row_counts(&mut conn), before);
});

use beacon_db::{audit, forces, funding, programmes, seed, status_reports, totals};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn seeding_loads_the_register(db) {
    let mut conn = db.conn();
    let added = seed::run(&mut conn).unwrap();
    assert_eq!(forces::count(&mut conn).unwrap(), 43);
    assert_eq!(added.forces, 43);
    assert!(added.programmes >= 18, "{added:?}");

    let pnd = programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(pnd.current_rating.as_deref(), Some("red"));

    let esn = programmes::get_by_code(&mut conn, "esn").unwrap();
    let history = status_reports::for_programme(&mut conn, esn.id).unwrap();
    assert!(
        history.iter().any(|r| r.rating == "red" && r.period_end == day("2017-09-30")),
        "ESN's 2017 Red is in its history"
    );
    for code in ["live-facial-recognition", "eagle-x", "national-digital-forensics", "knife-detection", "dpc"] {
        assert!(programmes::find_by_code(&mut conn, code).unwrap().is_some(), "{code} is in the register");
    }
    let hmt = funding::get_stream(&mut conn, "hmt-police-technology-2024-28").unwrap();
    let envelopes: Vec<(i32, i64)> = funding::envelopes(&mut conn, hmt.id).unwrap().into_iter().map(|e| (e.financial_year, e.amount_pence)).collect();
    assert_eq!(envelopes, [(2024, 5_550_000_000), (2025, 5_950_000_000), (2026, 5_950_000_000), (2027, 5_950_000_000)]);

    assert!(totals::mismatches(&mut conn).unwrap().is_empty());
    assert_eq!(audit::count(&mut conn).unwrap(), i64::try_from(added.total()).unwrap(), "one audit entry per record added");
});

both_backends!(fn seeding_twice_changes_nothing(db) {
    let mut conn = db.conn();
    seed::run(&mut conn).unwrap();
    let before = all_row_counts(&mut conn);
    let added = seed::run(&mut conn).unwrap();
    assert_eq!(added.total(), 0, "{added:?}");
    assert_eq!(all_row_counts(&mut conn), before);
});

use beacon_core::Rating;
use beacon_db::{audit, programmes, status_reports};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn the_latest_report_sets_the_rating_and_since(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "pnd-transformation");
    let first = report_now(&mut conn, p.id, Rating::Amber);
    assert_eq!(first.previous_rating, None);
    let again = report_now(&mut conn, p.id, Rating::Amber);
    assert_eq!(again.previous_rating, Some(Rating::Amber));
    let row = programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(row.current_rating.as_deref(), Some("amber"));
    assert_eq!(row.rating_since, Some(first.report.reported_at), "repeating a rating keeps its since");
    assert_eq!(row.version, 3, "each report changes the programme's representation");

    let red = report_now(&mut conn, p.id, Rating::Red);
    let row = programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    assert_eq!(row.current_rating.as_deref(), Some("red"));
    assert_eq!(row.rating_since, Some(red.report.reported_at));
});

both_backends!(fn turning_red_is_flagged_only_on_the_way_in(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    let flags: Vec<bool> = [Rating::Red, Rating::Red, Rating::Amber, Rating::AmberRed, Rating::Red, Rating::Green]
        .into_iter()
        .map(|rating| report_now(&mut conn, p.id, rating).turned_red)
        .collect();
    assert_eq!(flags, [true, false, false, false, true, false]);
});

both_backends!(fn reports_are_listed_newest_first_and_audited(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "hob");
    let a = report_now(&mut conn, p.id, Rating::AmberGreen).report;
    let b = report_now(&mut conn, p.id, Rating::Amber).report;
    let listed = status_reports::for_programme(&mut conn, p.id).unwrap();
    assert_eq!(listed, vec![b.clone(), a.clone()]);
    assert_eq!(listed[0].rationale, "Because a test says so");
    assert_eq!(status_reports::count(&mut conn).unwrap(), 2);
    for report in [&a, &b] {
        let trail = audit::for_entity(&mut conn, "status_report", &report.id.to_string()).unwrap();
        assert_eq!(trail.len(), 1);
        assert!(trail[0].after.as_deref().unwrap().contains(&format!("\"rating\":\"{}\"", report.rating)));
    }
});

both_backends!(fn a_backdated_report_joins_the_history_without_changing_the_rating(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    report_now(&mut conn, p.id, Rating::Amber);
    let provenance = status_reports::Provenance {
        reported_by: None,
        reported_at: Some(day("2017-09-30").and_hms_opt(0, 0, 0).unwrap()),
        source: "IPA Annual Report 2018",
        owners_only: false,
    };
    let old = status_reports::record(&mut conn, &actor(), p.id, &report(Rating::Red), &provenance, &beacon_db::alerts::Policy::off()).unwrap();
    assert!(!old.turned_red);
    assert_eq!(programmes::get_by_code(&mut conn, "esn").unwrap().current_rating.as_deref(), Some("amber"));
    assert!(status_reports::exists(&mut conn, p.id, provenance.reported_at.unwrap(), "IPA Annual Report 2018").unwrap());
    assert!(!status_reports::exists(&mut conn, p.id, provenance.reported_at.unwrap(), "another report").unwrap());
    assert_eq!(status_reports::for_programme(&mut conn, p.id).unwrap().last().unwrap().rating, "red");
});

both_backends!(fn a_report_on_an_unknown_programme_is_not_found(db) {
    let mut conn = db.conn();
    let provenance = status_reports::Provenance { reported_by: None, reported_at: None, source: "beacon", owners_only: false };
    let error = status_reports::record(&mut conn, &actor(), 4242, &report(Rating::Red), &provenance, &beacon_db::alerts::Policy::off()).unwrap_err();
    assert!(matches!(error, beacon_db::DbError::NotFound { entity: "programme", .. }), "{error:?}");
    assert_eq!(rows(&mut conn, "audit_log"), 0);
});

use beacon_api::app::alerts::Policy;
use beacon_api::app::{self, AppError};
use beacon_core::{Rating, Role};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn the_latest_report_sets_the_rating_and_since(db) {
    let mut conn = db.conn();
    programme(&mut conn, "pnd-transformation");
    let first = report_now(&mut conn, "pnd-transformation", Rating::Amber);
    assert_eq!(first.previous_rating, None);
    let again = report_now(&mut conn, "pnd-transformation", Rating::Amber);
    assert_eq!(again.previous_rating, Some(Rating::Amber));
    let row = programme_now(&mut conn, "pnd-transformation");
    assert_eq!(row.rating, Some(Rating::Amber));
    assert_eq!(row.rating_since, Some(first.report.reported_at), "repeating a rating keeps its since");
    assert_eq!(row.version, 3, "each report changes the programme's representation");

    let red = report_now(&mut conn, "pnd-transformation", Rating::Red);
    let row = programme_now(&mut conn, "pnd-transformation");
    assert_eq!(row.rating, Some(Rating::Red));
    assert_eq!(row.rating_since, Some(red.report.reported_at));
});

both_backends!(fn turning_red_is_flagged_only_on_the_way_in(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    let flags: Vec<bool> = [Rating::Red, Rating::Red, Rating::Amber, Rating::AmberRed, Rating::Red, Rating::Green]
        .into_iter()
        .map(|rating| report_now(&mut conn, "esn", rating).turned_red)
        .collect();
    assert_eq!(flags, [true, false, false, false, true, false]);
});

both_backends!(fn reports_are_listed_newest_first_and_audited(db) {
    let mut conn = db.conn();
    programme(&mut conn, "hob");
    let a = report_now(&mut conn, "hob", Rating::AmberGreen).report;
    let b = report_now(&mut conn, "hob", Rating::Amber).report;
    let listed = app::reports::list(&mut conn, "hob", None, 100).unwrap();
    assert_eq!(listed, vec![b.clone(), a.clone()]);
    assert_eq!(listed[0].rationale, "Because a test says so");
    assert_eq!(rows(&mut conn, "status_reports"), 2);
    for report in [&a, &b] {
        let trail = trail(&mut conn, "status_report", &report.id.to_string());
        assert_eq!(trail.len(), 1);
        assert!(trail[0].after.as_deref().unwrap().contains(&format!("\"rating\":\"{}\"", report.rating.as_str())));
    }
});

both_backends!(fn a_backdated_report_joins_the_history_without_changing_the_rating(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    report_now(&mut conn, "esn", Rating::Amber);
    let at = day("2017-09-30").and_hms_opt(0, 0, 0).unwrap();
    let old = report_at(&mut conn, "esn", Rating::Red, at, "IPA Annual Report 2018", &Policy::off());
    assert!(!old.turned_red);
    assert_eq!(old.previous_rating, None, "not the latest, so it replaced no rating");
    assert_eq!(programme_now(&mut conn, "esn").rating, Some(Rating::Amber));
    assert!(beacon_db::status_reports::exists(&mut conn, p.id, at, "IPA Annual Report 2018").unwrap());
    assert!(!beacon_db::status_reports::exists(&mut conn, p.id, at, "another report").unwrap());
    let history = app::reports::list(&mut conn, "esn", None, 100).unwrap();
    let oldest = history.last().unwrap();
    assert_eq!((oldest.rating, oldest.source.as_str(), oldest.reported_at), (Rating::Red, "IPA Annual Report 2018", at));
});

both_backends!(fn a_report_on_an_unknown_programme_is_not_found(db) {
    let mut conn = db.conn();
    let error = app::reports::report_status(&mut conn, &admin(), "no-such-programme", &report(Rating::Red), &Policy::off()).unwrap_err();
    assert!(matches!(error, AppError::NotFound(ref m) if m.contains("programme")), "{error:?}");
    assert_eq!(rows(&mut conn, "audit_log"), 0);
});

both_backends!(fn a_lead_reports_only_on_programmes_they_own(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    programme(&mut conn, "hob");
    let lead = user(&mut conn, "lead@met.police.uk", Role::Lead);
    let viewer = user(&mut conn, "viewer@met.police.uk", Role::Viewer);
    app::programmes::add_owner(&mut conn, &admin(), "esn", lead.id).unwrap();

    let reported = app::reports::report_status(&mut conn, &as_user(&lead), "esn", &report(Rating::Amber), &Policy::off()).unwrap();
    assert_eq!(reported.report.reported_by, Some(lead.id));
    let error = app::reports::report_status(&mut conn, &as_user(&lead), "hob", &report(Rating::Red), &Policy::off()).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    let error = app::reports::report_status(&mut conn, &as_user(&viewer), "esn", &report(Rating::Red), &Policy::off()).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "status_reports"), 1);
    assert_eq!(programme_now(&mut conn, "esn").rating, Some(Rating::Amber));
    assert_eq!(programme_now(&mut conn, "hob").rating, None);
});

// Today's ratings are read from what each programme keeps current; a past day's are
// worked out from the reports. Both must give the same answer for the present.
both_backends!(fn the_ratings_kept_current_are_those_the_reports_give(db) {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let mut conn = db.conn();
    // The published ratings, loaded with their own dates, then reports made now.
    app::seed::load(&mut conn).unwrap();
    let codes = ["esn", "hob", "pnd-transformation", "eagle-x", "knife-detection"];
    let mut rng = StdRng::seed_from_u64(29);
    for _ in 0..150 {
        let code = codes[rng.random_range(0..codes.len())];
        let rating = Rating::ALL[rng.random_range(0..Rating::ALL.len())];
        report_now(&mut conn, code, rating);
    }
    let later = beacon_db::now() + chrono::TimeDelta::days(1);
    let worked_out = beacon_db::past::ratings_before(&mut conn, later, None).unwrap();
    let kept = beacon_db::past::ratings_now(&mut conn).unwrap();
    assert_eq!(kept, worked_out);
    assert!(kept.len() > codes.len(), "the published ratings count too");
    assert!(kept.iter().filter(|r| r.previous.is_some()).count() >= codes.len());
});

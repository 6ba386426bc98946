use beacon_api::app::{self, AppError};
use beacon_core::{NewSpend, Pence, SpendCategory};
use beacon_db::{DbConnection, spend, totals};
use beacon_tests::both_backends;

use crate::support::*;

fn spent(category: SpendCategory, pence: i64) -> NewSpend {
    NewSpend::new(
        category,
        Pence::new(pence),
        "Outturn from the finance system",
    )
    .unwrap()
}

fn record_spend(
    conn: &mut DbConnection,
    code: &str,
    fy: &str,
    category: SpendCategory,
    pence: i64,
) -> Result<beacon_db::records::SpendEntry, AppError> {
    app::funding::record_spend(conn, &admin(), code, year(fy), &spent(category, pence))
        .map(|(entry, _)| entry)
}

both_backends!(fn spend_adds_to_its_category(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "pnd-transformation");
    let run = record_spend(&mut conn, "pnd-transformation", "2020-21", SpendCategory::Run, 1_300_000_000).unwrap();
    assert_eq!((run.programme_id, run.category, run.amount), (p.id, SpendCategory::Run, Pence::new(1_300_000_000)));
    record_spend(&mut conn, "pnd-transformation", "2020-21", SpendCategory::Change, 400_000_000).unwrap();
    record_spend(&mut conn, "pnd-transformation", "2020-21", SpendCategory::Run, -100_000_000).unwrap();
    let t = totals::for_programme_year(&mut conn, p.id, year("2020-21")).unwrap();
    assert_eq!((t.spent_run, t.spent_change, t.allocated), (Pence::new(1_200_000_000), Pence::new(400_000_000), Pence::ZERO));
    assert_eq!(beacon_tests::inspect::count_where(&mut conn, "spend_entries", &format!("programme_id = {}", p.id)), 3);
    assert!(spend::exists(&mut conn, p.id, year("2020-21"), &spent(SpendCategory::Run, 1_300_000_000)).unwrap());
    assert_eq!(trail(&mut conn, "spend_entry", &run.id.to_string()).len(), 1);
});

both_backends!(fn a_correction_cannot_take_spend_below_zero(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    record_spend(&mut conn, "esn", "2018-19", SpendCategory::Run, 100).unwrap();
    let error = record_spend(&mut conn, "esn", "2018-19", SpendCategory::Run, -101).unwrap_err();
    match error {
        AppError::Invalid(errors) => assert!(errors.fields()[0].message.contains("below zero"), "{errors:?}"),
        other => panic!("expected a field error, got {other:?}"),
    }
    // Change spend is its own total: nothing there to correct.
    let error = record_spend(&mut conn, "esn", "2018-19", SpendCategory::Change, -1).unwrap_err();
    assert!(matches!(error, AppError::Invalid(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "spend_entries"), 1);
});

use beacon_core::{NewSpend, Pence, SpendCategory};
use beacon_db::{DbError, audit, spend, totals};
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

both_backends!(fn spend_adds_to_its_category(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "pnd-transformation");
    let run = spend::record(&mut conn, &actor(), p.id, year("2020-21"), &spent(SpendCategory::Run, 1_300_000_000), None).unwrap();
    spend::record(&mut conn, &actor(), p.id, year("2020-21"), &spent(SpendCategory::Change, 400_000_000), None).unwrap();
    spend::record(&mut conn, &actor(), p.id, year("2020-21"), &spent(SpendCategory::Run, -100_000_000), None).unwrap();
    let t = totals::for_programme_year(&mut conn, p.id, 2020).unwrap();
    assert_eq!((t.spent_run_pence, t.spent_change_pence, t.allocated_pence), (1_200_000_000, 400_000_000, 0));
    assert_eq!(spend::for_programme(&mut conn, p.id).unwrap().len(), 3);
    assert!(spend::exists(&mut conn, p.id, year("2020-21"), &spent(SpendCategory::Run, 1_300_000_000)).unwrap());
    assert_eq!(audit::for_entity(&mut conn, "spend_entry", &run.id.to_string()).unwrap().len(), 1);
});

both_backends!(fn a_correction_cannot_take_spend_below_zero(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    spend::record(&mut conn, &actor(), p.id, year("2018-19"), &spent(SpendCategory::Run, 100), None).unwrap();
    let error = spend::record(&mut conn, &actor(), p.id, year("2018-19"), &spent(SpendCategory::Run, -101), None).unwrap_err();
    match error {
        DbError::Invalid(errors) => assert!(errors.fields()[0].message.contains("below zero")),
        other => panic!("expected a field error, got {other:?}"),
    }
    // Change spend is its own total: nothing there to correct.
    assert!(spend::record(&mut conn, &actor(), p.id, year("2018-19"), &spent(SpendCategory::Change, -1), None).is_err());
    assert_eq!(rows(&mut conn, "spend_entries"), 1);
});

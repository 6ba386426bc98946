use std::collections::BTreeMap;

use beacon_api::app::{self, AsOf};
use beacon_core::{LedgerKind, NewSpend, Pence, SpendCategory};
use beacon_db::totals;
use beacon_tests::both_backends;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::*;

both_backends!(fn totals_always_equal_the_sums_of_the_entries(db) {
    let mut conn = db.conn();
    let programmes: Vec<_> = ["esn", "pnd-transformation", "ndas"].iter().map(|c| programme(&mut conn, c)).collect();
    let streams = ["ptf", "hmt"];
    for s in streams {
        stream(&mut conn, s);
    }
    let years = ["2024-25", "2025-26"];
    for s in streams {
        for y in years {
            envelope(&mut conn, s, y, 1_000_000);
        }
    }
    // What the test itself saw accepted, per (programme, year): allocated, run, change.
    let mut expected: BTreeMap<(i64, i32), (i64, i64, i64)> = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(2026);
    let mut refused = 0;
    for i in 0..150 {
        // Spread the entries over several days, so that the day rows kept for past
        // dates are checked across day boundaries too.
        if i % 50 == 49 {
            db.age(1);
        }
        let p = &programmes[rng.random_range(0..programmes.len())];
        let fy_text = years[rng.random_range(0..years.len())];
        let fy = year(fy_text);
        let key = (p.id, fy.start_year());
        match rng.random_range(0..4) {
            0 | 1 => {
                let s = streams[rng.random_range(0..streams.len())];
                let amount: i64 = rng.random_range(-150_000..250_000);
                let kind = if amount > 0 { LedgerKind::Allocation } else if amount < 0 { LedgerKind::Withdrawal } else { continue };
                match record(&mut conn, s, p.code.as_str(), fy_text, kind, amount) {
                    Ok(_) => expected.entry(key).or_default().0 += amount,
                    Err(_) => refused += 1,
                }
            }
            other => {
                let category = if other == 2 { SpendCategory::Run } else { SpendCategory::Change };
                let amount: i64 = rng.random_range(-20_000..90_000);
                let Ok(entry) = NewSpend::new(category, Pence::new(amount), "Outturn") else { continue };
                match app::funding::record_spend(&mut conn, &admin(), p.code.as_str(), fy, &entry) {
                    Ok(_) => {
                        let e = expected.entry(key).or_default();
                        if category == SpendCategory::Run { e.1 += amount } else { e.2 += amount }
                    }
                    Err(_) => refused += 1,
                }
            }
        }
    }
    assert!(refused > 0, "the sequence should include entries the rules refuse");
    assert_eq!(beacon_tests::inspect::totals_mismatches(&mut conn), vec![]);
    assert_eq!(beacon_tests::inspect::day_mismatches(&mut conn), vec![]);
    for fy in years {
        let fy = year(fy);
        let portfolio = app::portfolio::portfolio(&mut conn, AsOf::today(), Some(fy)).unwrap();
        assert_eq!(portfolio.lines.len(), programmes.len());
        for line in portfolio.lines {
            let p = programmes.iter().find(|p| p.code == line.code).unwrap();
            let (allocated, run, change) = expected.get(&(p.id, fy.start_year())).copied().unwrap_or_default();
            assert_eq!((line.allocated.get(), line.spent_run.get(), line.spent_change.get()), (allocated, run, change), "{} {fy}", line.code);
            let stored = totals::for_programme_year(&mut conn, p.id, fy).unwrap();
            assert_eq!((stored.allocated, stored.spent_run, stored.spent_change), (line.allocated, line.spent_run, line.spent_change));
        }
    }
});

both_backends!(fn a_ledger_edited_behind_the_application_is_detected(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    stream(&mut conn, "ptf");
    envelope(&mut conn, "ptf", "2018-19", 1_000);
    record(&mut conn, "ptf", "esn", "2018-19", LedgerKind::Allocation, 600).unwrap();
    assert!(beacon_tests::inspect::totals_mismatches(&mut conn).is_empty());
    db.tamper("UPDATE ledger_entries SET amount_pence = 900");
    let found = beacon_tests::inspect::totals_mismatches(&mut conn);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stored[0], 600);
    assert_eq!(found[0].from_entries[0], 900);
    let found = beacon_tests::inspect::day_mismatches(&mut conn);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].stored[0], found[0].from_entries[0]), (600, 900));
});

both_backends!(fn the_latest_year_with_money_passes_over_years_netted_to_nothing(db) {
    let mut conn = db.conn();
    assert_eq!(app::portfolio::latest_year_with_money(&mut conn).unwrap(), None);
    programme(&mut conn, "esn");
    stream(&mut conn, "hmt");
    for y in ["2024-25", "2025-26", "2026-27"] {
        envelope(&mut conn, "hmt", y, 1_000);
    }
    record(&mut conn, "hmt", "esn", "2024-25", LedgerKind::Allocation, 100).unwrap();
    record(&mut conn, "hmt", "esn", "2025-26", LedgerKind::Allocation, 100).unwrap();
    record(&mut conn, "hmt", "esn", "2025-26", LedgerKind::Adjustment, -100).unwrap();
    assert_eq!(app::portfolio::latest_year_with_money(&mut conn).unwrap(), Some(year("2024-25")));
    let spent = NewSpend::new(SpendCategory::Run, Pence::new(5), "Made by a test").unwrap();
    app::funding::record_spend(&mut conn, &admin(), "esn", year("2026-27"), &spent).unwrap();
    assert_eq!(app::portfolio::latest_year_with_money(&mut conn).unwrap(), Some(year("2026-27")));
});

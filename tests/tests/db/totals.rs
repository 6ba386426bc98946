use std::collections::BTreeMap;

use beacon_core::{LedgerKind, NewSpend, Pence, SpendCategory};
use beacon_db::{days, funding, portfolio, spend, totals};
use beacon_tests::both_backends;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::*;

both_backends!(fn totals_always_equal_the_sums_of_the_entries(db) {
    let mut conn = db.conn();
    let programmes: Vec<_> = ["esn", "pnd-transformation", "ndas"].iter().map(|c| programme(&mut conn, c)).collect();
    let streams: Vec<_> = ["ptf", "hmt"].iter().map(|c| stream(&mut conn, c)).collect();
    let years = ["2024-25", "2025-26"];
    for s in &streams {
        for y in years {
            envelope(&mut conn, s.id, y, 1_000_000);
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
        let fy = year(years[rng.random_range(0..years.len())]);
        let key = (p.id, fy.start_year());
        match rng.random_range(0..4) {
            0 | 1 => {
                let s = &streams[rng.random_range(0..streams.len())];
                let amount: i64 = rng.random_range(-150_000..250_000);
                let kind = if amount > 0 { LedgerKind::Allocation } else if amount < 0 { LedgerKind::Withdrawal } else { continue };
                match funding::record_entry(&mut conn, &actor(), s.id, p.id, fy, &entry(kind, amount), None, &beacon_db::alerts::Policy::off()) {
                    Ok(_) => expected.entry(key).or_default().0 += amount,
                    Err(_) => refused += 1,
                }
            }
            other => {
                let category = if other == 2 { SpendCategory::Run } else { SpendCategory::Change };
                let amount: i64 = rng.random_range(-20_000..90_000);
                let Ok(entry) = NewSpend::new(category, Pence::new(amount), "Outturn") else { continue };
                match spend::record(&mut conn, &actor(), p.id, fy, &entry, None) {
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
    assert_eq!(totals::mismatches(&mut conn).unwrap(), vec![]);
    assert_eq!(days::mismatches(&mut conn).unwrap(), vec![]);
    for fy in years {
        let fy = year(fy);
        for line in portfolio::for_year(&mut conn, fy).unwrap() {
            let p = programmes.iter().find(|p| p.code == line.code).unwrap();
            let (allocated, run, change) = expected.get(&(p.id, fy.start_year())).copied().unwrap_or_default();
            assert_eq!((line.allocated.get(), line.spent_run.get(), line.spent_change.get()), (allocated, run, change), "{} {fy}", line.code);
        }
    }
});

both_backends!(fn a_ledger_edited_behind_the_application_is_detected(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    let s = stream(&mut conn, "ptf");
    envelope(&mut conn, s.id, "2018-19", 1_000);
    funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2018-19"), &entry(LedgerKind::Allocation, 600), None, &beacon_db::alerts::Policy::off()).unwrap();
    assert!(totals::mismatches(&mut conn).unwrap().is_empty());
    db.tamper("UPDATE ledger_entries SET amount_pence = 900");
    let found = totals::mismatches(&mut conn).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stored.allocated_pence, 600);
    assert_eq!(found[0].from_entries.allocated_pence, 900);
    let found = days::mismatches(&mut conn).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].stored[0], found[0].from_entries[0]), (600, 900));
});

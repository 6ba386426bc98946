use beacon_core::{Envelope, FundingError, FundingStream, LedgerKind, Pence};
use beacon_db::alerts::Policy;
use beacon_db::{DbError, audit, funding, totals};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn streams_have_unique_codes_and_list_by_code(db) {
    let mut conn = db.conn();
    stream(&mut conn, "police-transformation-fund");
    stream(&mut conn, "hmt-police-technology-2024-28");
    let stream_input = FundingStream::parse("hmt-police-technology-2024-28", "Again", "").unwrap();
    assert!(matches!(funding::create_stream(&mut conn, &actor(), &stream_input), Err(DbError::Conflict(_))));
    let codes: Vec<String> = funding::list_streams(&mut conn).unwrap().into_iter().map(|s| s.code).collect();
    assert_eq!(codes, ["hmt-police-technology-2024-28", "police-transformation-fund"]);
    assert!(matches!(funding::get_stream(&mut conn, "nope"), Err(DbError::NotFound { .. })));
});

both_backends!(fn allocations_fill_an_envelope_and_no_further(db) {
    let mut conn = db.conn();
    let s = stream(&mut conn, "hmt-police-technology-2024-28");
    let p = programme(&mut conn, "live-facial-recognition");
    envelope(&mut conn, s.id, "2024-25", 5_550_000_000);

    let first = funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2024-25"), &entry(LedgerKind::Allocation, 5_000_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();
    assert_eq!(first.amount_pence, 5_000_000_000);
    assert_eq!(first.kind, "allocation");
    let error = funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2024-25"), &entry(LedgerKind::Allocation, 550_000_001), None, &beacon_db::alerts::Policy::off()).unwrap_err();
    match error {
        DbError::Funding(FundingError::EnvelopeExceeded { headroom, .. }) => assert_eq!(headroom, Pence::new(550_000_000)),
        other => panic!("expected the envelope to refuse, got {other:?}"),
    }
    funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2024-25"), &entry(LedgerKind::Allocation, 550_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();
    let env = funding::find_envelope(&mut conn, s.id, year("2024-25")).unwrap().unwrap();
    assert_eq!(env.allocated_pence, 5_550_000_000);
    assert_eq!(funding::programme_balance(&mut conn, s.id, p.id, year("2024-25")).unwrap(), Pence::new(5_550_000_000));
    assert_eq!(totals::for_programme_year(&mut conn, p.id, 2024).unwrap().allocated_pence, 5_550_000_000);
    assert_eq!(funding::ledger_for_programme(&mut conn, p.id).unwrap().len(), 2);
    assert_eq!(audit::for_entity(&mut conn, "ledger_entry", &first.id.to_string()).unwrap().len(), 1);
});

both_backends!(fn an_allocation_needs_an_envelope_for_its_year(db) {
    let mut conn = db.conn();
    let s = stream(&mut conn, "dpc-grant");
    let p = programme(&mut conn, "dpc");
    envelope(&mut conn, s.id, "2023-24", 1_050_000_000);
    let error = funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2024-25"), &entry(LedgerKind::Allocation, 1), None, &beacon_db::alerts::Policy::off()).unwrap_err();
    match error {
        DbError::Invalid(errors) => {
            assert_eq!(errors.fields()[0].field, "financial_year");
            assert!(errors.fields()[0].message.contains("no envelope for 2024-25"));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert_eq!(rows(&mut conn, "ledger_entries"), 0);
});

both_backends!(fn a_withdrawal_cannot_exceed_what_the_programme_holds(db) {
    let mut conn = db.conn();
    let s = stream(&mut conn, "ptf");
    let p = programme(&mut conn, "nep");
    let other = programme(&mut conn, "dpp");
    envelope(&mut conn, s.id, "2018-19", 7_000_000_000);
    funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2018-19"), &entry(LedgerKind::Allocation, 1_750_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();
    funding::record_entry(&mut conn, &actor(), s.id, other.id, year("2018-19"), &entry(LedgerKind::Allocation, 1_750_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();
    let error = funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2018-19"), &entry(LedgerKind::Withdrawal, -1_750_000_001), None, &beacon_db::alerts::Policy::off()).unwrap_err();
    assert!(matches!(error, DbError::Funding(FundingError::BalanceBelowZero { .. })), "{error:?}");
    funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2018-19"), &entry(LedgerKind::Withdrawal, -1_750_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();
    let env = funding::find_envelope(&mut conn, s.id, year("2018-19")).unwrap().unwrap();
    assert_eq!(env.allocated_pence, 1_750_000_000);
    assert_eq!(totals::for_programme_year(&mut conn, p.id, 2018).unwrap().allocated_pence, 0);
});

both_backends!(fn an_envelope_cannot_drop_below_what_is_allocated(db) {
    let mut conn = db.conn();
    let s = stream(&mut conn, "hmt-police-technology-2024-28");
    let p = programme(&mut conn, "eagle-x");
    envelope(&mut conn, s.id, "2025-26", 5_950_000_000);
    funding::record_entry(&mut conn, &actor(), s.id, p.id, year("2025-26"), &entry(LedgerKind::Allocation, 1_000_000_000), None, &beacon_db::alerts::Policy::off()).unwrap();

    let cut = Envelope::new(year("2025-26"), Pence::ZERO).unwrap();
    let error = funding::set_envelope(&mut conn, &actor(), s.id, &cut, "Treasury cut", &[], &Policy::off()).unwrap_err();
    let DbError::Uncovered(uncovered) = error else { panic!("{error:?}") };
    assert_eq!(uncovered.allocations, vec![("eagle-x".to_string(), Pence::new(1_000_000_000))]);
    assert_eq!(uncovered.excess(), Pence::new(1_000_000_000));
    assert_eq!(funding::find_envelope(&mut conn, s.id, year("2025-26")).unwrap().unwrap().amount_pence, 5_950_000_000);

    let lower = Envelope::new(year("2025-26"), Pence::new(1_000_000_000)).unwrap();
    let row = funding::set_envelope(&mut conn, &actor(), s.id, &lower, "Reduced at the Spending Review", &[], &Policy::off()).unwrap().envelope;
    assert_eq!(row.amount_pence, 1_000_000_000);
    assert_eq!(row.basis, "Reduced at the Spending Review");
    let envelopes = funding::envelopes(&mut conn, s.id).unwrap();
    assert_eq!(envelopes.len(), 1);
    let trail = audit::for_entity(&mut conn, "envelope", "hmt-police-technology-2024-28/2025-26").unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update"]);

    // The cut to zero, withdrawing the allocation in the same change.
    let withdrawal = funding::Withdrawal { programme_id: p.id, amount: Pence::new(1_000_000_000), reason: "Treasury line withdrawn".into() };
    let set = funding::set_envelope(&mut conn, &actor(), s.id, &cut, "Treasury cut", &[withdrawal], &Policy::off()).unwrap();
    assert_eq!((set.envelope.amount_pence, set.envelope.allocated_pence), (0, 0));
    assert_eq!(set.withdrawals.len(), 1);
    assert_eq!(set.withdrawals[0].amount_pence, -1_000_000_000);
    assert!(set.withdrawals[0].envelope_change_id.is_some());
    let shortfalls = beacon_db::portfolio::shortfalls(&mut conn, Some(&[p.id]), None).unwrap();
    assert_eq!(shortfalls.len(), 1);
    assert_eq!((shortfalls[0].financial_year, shortfalls[0].pence), (2025, 1_000_000_000));
    assert_eq!(totals::mismatches(&mut conn).unwrap(), vec![]);
});

use beacon_api::app::alerts::Policy;
use beacon_api::app::funding::WithdrawalRequest;
use beacon_api::app::{self, AppError};
use beacon_core::cut::Holding;
use beacon_core::{Envelope, FundingError, FundingStream, LedgerKind, Pence, ProgrammeCode, Role};
use beacon_db::{ledger, totals};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn streams_have_unique_codes_and_list_by_code(db) {
    let mut conn = db.conn();
    stream(&mut conn, "police-transformation-fund");
    stream(&mut conn, "hmt-police-technology-2024-28");
    let stream_input = FundingStream::parse("hmt-police-technology-2024-28", "Again", "").unwrap();
    let error = app::funding::create_stream(&mut conn, &admin(), &stream_input).unwrap_err();
    assert!(matches!(error, AppError::Conflict(_)), "{error:?}");
    let codes: Vec<String> = app::funding::list_streams(&mut conn).unwrap().into_iter().map(|s| s.stream.code.to_string()).collect();
    assert_eq!(codes, ["hmt-police-technology-2024-28", "police-transformation-fund"]);
    assert!(matches!(app::funding::get_stream(&mut conn, "nope"), Err(AppError::NotFound(_))));
});

both_backends!(fn allocations_fill_an_envelope_and_no_further(db) {
    let mut conn = db.conn();
    let s = stream(&mut conn, "hmt-police-technology-2024-28");
    let p = programme(&mut conn, "live-facial-recognition");
    envelope(&mut conn, "hmt-police-technology-2024-28", "2024-25", 5_550_000_000);
    let allocate = |conn: &mut beacon_db::DbConnection, pence| record(conn, "hmt-police-technology-2024-28", "live-facial-recognition", "2024-25", LedgerKind::Allocation, pence);

    let first = allocate(&mut conn, 5_000_000_000).unwrap().entry;
    assert_eq!(first.amount, Pence::new(5_000_000_000));
    assert_eq!(first.kind, LedgerKind::Allocation);
    let error = allocate(&mut conn, 550_000_001).unwrap_err();
    match error {
        AppError::Funding(FundingError::EnvelopeExceeded { headroom, .. }) => assert_eq!(headroom, Pence::new(550_000_000)),
        other => panic!("expected the envelope to refuse, got {other:?}"),
    }
    allocate(&mut conn, 550_000_000).unwrap();
    assert_eq!(envelope_of(&mut conn, "hmt-police-technology-2024-28", "2024-25").allocated, Pence::new(5_550_000_000));
    assert_eq!(ledger::balance(&mut conn, s.id, p.id, year("2024-25")).unwrap(), Pence::new(5_550_000_000));
    assert_eq!(totals::for_programme_year(&mut conn, p.id, year("2024-25")).unwrap().allocated, Pence::new(5_550_000_000));
    assert_eq!(app::register::record_of(&mut conn, "live-facial-recognition").unwrap().ledger.len(), 2);
    assert_eq!(trail(&mut conn, "ledger_entry", &first.id.to_string()).len(), 1);
});

both_backends!(fn only_finance_and_admins_record_money(db) {
    let mut conn = db.conn();
    stream(&mut conn, "hmt");
    programme(&mut conn, "esn");
    envelope(&mut conn, "hmt", "2025-26", 1_000);
    let lead = user(&mut conn, "lead@met.police.uk", Role::Lead);
    let finance = user(&mut conn, "finance@met.police.uk", Role::Finance);
    let allocation = entry(LedgerKind::Allocation, 100);
    let error = app::funding::record_entry(&mut conn, &as_user(&lead), "hmt", "esn", year("2025-26"), &allocation, &Policy::off()).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "ledger_entries"), 0);
    app::funding::record_entry(&mut conn, &as_user(&finance), "hmt", "esn", year("2025-26"), &allocation, &Policy::off()).unwrap();
    assert_eq!(envelope_of(&mut conn, "hmt", "2025-26").allocated, Pence::new(100));
});

both_backends!(fn an_allocation_needs_an_envelope_for_its_year(db) {
    let mut conn = db.conn();
    stream(&mut conn, "dpc-grant");
    programme(&mut conn, "dpc");
    envelope(&mut conn, "dpc-grant", "2023-24", 1_050_000_000);
    let error = record(&mut conn, "dpc-grant", "dpc", "2024-25", LedgerKind::Allocation, 1).unwrap_err();
    match error {
        AppError::Invalid(errors) => {
            assert_eq!(errors.fields()[0].field, "financial_year");
            assert!(errors.fields()[0].message.contains("no envelope for 2024-25"), "{errors:?}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert_eq!(rows(&mut conn, "ledger_entries"), 0);
});

both_backends!(fn a_withdrawal_cannot_exceed_what_the_programme_holds(db) {
    let mut conn = db.conn();
    stream(&mut conn, "ptf");
    let p = programme(&mut conn, "nep");
    programme(&mut conn, "dpp");
    envelope(&mut conn, "ptf", "2018-19", 7_000_000_000);
    record(&mut conn, "ptf", "nep", "2018-19", LedgerKind::Allocation, 1_750_000_000).unwrap();
    record(&mut conn, "ptf", "dpp", "2018-19", LedgerKind::Allocation, 1_750_000_000).unwrap();
    let error = record(&mut conn, "ptf", "nep", "2018-19", LedgerKind::Withdrawal, -1_750_000_001).unwrap_err();
    assert!(matches!(error, AppError::Funding(FundingError::BalanceBelowZero { .. })), "{error:?}");
    record(&mut conn, "ptf", "nep", "2018-19", LedgerKind::Withdrawal, -1_750_000_000).unwrap();
    assert_eq!(envelope_of(&mut conn, "ptf", "2018-19").allocated, Pence::new(1_750_000_000));
    assert_eq!(totals::for_programme_year(&mut conn, p.id, year("2018-19")).unwrap().allocated, Pence::ZERO);
});

both_backends!(fn an_envelope_cannot_drop_below_what_is_allocated(db) {
    let mut conn = db.conn();
    let code = "hmt-police-technology-2024-28";
    stream(&mut conn, code);
    programme(&mut conn, "eagle-x");
    envelope(&mut conn, code, "2025-26", 5_950_000_000);
    record(&mut conn, code, "eagle-x", "2025-26", LedgerKind::Allocation, 1_000_000_000).unwrap();

    let cut = Envelope::new(year("2025-26"), Pence::ZERO).unwrap();
    let error = app::funding::set_envelope(&mut conn, &admin(), code, &cut, "Treasury cut", &[], &Policy::off()).unwrap_err();
    let AppError::Uncovered(uncovered) = error else { panic!("{error:?}") };
    assert_eq!(uncovered.allocations, vec![Holding { programme: ProgrammeCode::parse("eagle-x").unwrap(), held: Pence::new(1_000_000_000) }]);
    assert_eq!(uncovered.excess(), Pence::new(1_000_000_000));
    assert_eq!(envelope_of(&mut conn, code, "2025-26").amount, Pence::new(5_950_000_000));

    let lower = Envelope::new(year("2025-26"), Pence::new(1_000_000_000)).unwrap();
    let set = app::funding::set_envelope(&mut conn, &admin(), code, &lower, "Reduced at the Spending Review", &[], &Policy::off()).unwrap();
    assert_eq!(set.envelope.amount, Pence::new(1_000_000_000));
    assert_eq!(set.envelope.basis, "Reduced at the Spending Review");
    assert_eq!(app::funding::get_stream(&mut conn, code).unwrap().envelopes.len(), 1);
    let trail = trail(&mut conn, "envelope", "hmt-police-technology-2024-28/2025-26");
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update"]);

    // The cut to zero, withdrawing the allocation in the same change.
    let withdrawal = WithdrawalRequest { programme: "eagle-x".into(), amount: Pence::new(1_000_000_000), reason: "Treasury line withdrawn".into() };
    let set = app::funding::set_envelope(&mut conn, &admin(), code, &cut, "Treasury cut", &[withdrawal], &Policy::off()).unwrap();
    assert_eq!((set.envelope.amount, set.envelope.allocated), (Pence::ZERO, Pence::ZERO));
    assert_eq!(set.withdrawals.len(), 1);
    let (withdrawn, programme) = &set.withdrawals[0];
    assert_eq!((withdrawn.amount, programme.as_str()), (Pence::new(-1_000_000_000), "eagle-x"));
    assert!(withdrawn.envelope_change_id.is_some());
    let shortfalls = app::register::get(&mut conn, &Default::default(), "eagle-x", None).unwrap().shortfalls;
    assert_eq!(shortfalls.len(), 1);
    assert_eq!((shortfalls[0].year, shortfalls[0].amount), (year("2025-26"), Pence::new(1_000_000_000)));
    assert_eq!(beacon_tests::inspect::totals_mismatches(&mut conn), vec![]);
});

use std::collections::BTreeSet;

use beacon_api::app::alerts::{AlertQuery, Policy};
use beacon_api::app::programmes::ProgrammePatch;
use beacon_api::app::{self, AppError};
use beacon_core::alert::{AboutProgramme, RatingChange};
use beacon_core::{AlertDetails, AlertKind, AlertStatus, LedgerKind, Pence, Rating, Role};
use beacon_db::alerts::Outcome;
use beacon_db::records::{Alert, Programme};
use beacon_db::users::UserChange;
use beacon_db::{DbConnection, write_transaction};
use beacon_tests::both_backends;
use chrono::TimeDelta;

use crate::support::*;

fn on() -> Policy {
    Policy::on(vec!["pmo@beacon.police.uk".to_string()])
}

/// Every alert, newest first, as an administrator lists them.
fn listed(conn: &mut DbConnection) -> Vec<Alert> {
    app::alerts::list(conn, &admin(), &AlertQuery::default(), None, 1000).unwrap()
}

/// (kind, recipient) of every alert, oldest first.
fn written(conn: &mut DbConnection) -> Vec<(AlertKind, String)> {
    let mut rows = listed(conn);
    rows.reverse();
    rows.into_iter().map(|a| (a.kind(), a.recipient)).collect()
}

/// One alert as listed.
fn alert(conn: &mut DbConnection, id: i64) -> Alert {
    listed(conn).into_iter().find(|a| a.id == id).unwrap()
}

fn sent(conn: &mut DbConnection, worker: &str, id: i64) -> Vec<bool> {
    let outcome = Outcome::Sent {
        message_id: "<x@y>",
    };
    app::alerts::record_outcomes(conn, worker, &[(id, outcome)]).unwrap()
}

fn failed(
    conn: &mut DbConnection,
    worker: &str,
    id: i64,
    error: &str,
    retry_at: Option<chrono::NaiveDateTime>,
) -> Vec<bool> {
    let outcome = Outcome::Failed { error, retry_at };
    app::alerts::record_outcomes(conn, worker, &[(id, outcome)]).unwrap()
}

fn owned_programme(conn: &mut DbConnection, code: &str) -> Programme {
    let p = programme(conn, code);
    for email in [
        format!("sro-{code}@met.police.uk"),
        format!("deputy-{code}@met.police.uk"),
    ] {
        let u = user(conn, &email, Role::Lead);
        app::programmes::add_owner(conn, &admin(), code, u.id).unwrap();
    }
    p
}

/// An alert's details as stored, for alerts written behind Beacon's back.
fn rating_change_json(code: &str, rating: Rating) -> String {
    let change = RatingChange {
        programme: AboutProgramme {
            programme_code: code.into(),
            programme_name: code.to_uppercase(),
        },
        previous_rating: Some(Rating::Red),
        rating,
        rationale: "Written before this release".into(),
        period_end: day("2025-12-31"),
        by: "beacon seed".into(),
        at: day("2026-01-01").and_hms_opt(0, 0, 0).unwrap(),
    };
    let details = match rating {
        Rating::Red => AlertDetails::TurnedRed(change),
        _ => AlertDetails::LeftRed(change),
    };
    details.to_json().to_string()
}

both_backends!(fn only_turns_into_and_out_of_red_write_alerts(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "pnd-transformation");
    user(&mut conn, "viewer@met.police.uk", Role::Viewer);
    let sequence = [Rating::Amber, Rating::Amber, Rating::Red, Rating::Red, Rating::AmberRed, Rating::Green, Rating::Red];
    let mut counts = Vec::new();
    for rating in sequence {
        let before = written(&mut conn).len();
        let reported = report_with(&mut conn, "pnd-transformation", rating, &on());
        let after = written(&mut conn).len();
        assert_eq!(reported.alerts, after - before, "the report says how many it wrote");
        counts.push(after - before);
    }
    // Two owners and the portfolio office: on each way in (from Amber, and from Green)
    // and the one way out; nothing for Amber→Amber, Red→Red or improvements.
    assert_eq!(counts, vec![0, 0, 3, 0, 3, 0, 3]);
    let all = written(&mut conn);
    assert_eq!(all[0], (AlertKind::TurnedRed, "sro-pnd-transformation@met.police.uk".to_string()));
    assert_eq!(all[1].1, "deputy-pnd-transformation@met.police.uk");
    assert_eq!(all[2].1, "pmo@beacon.police.uk");
    assert_eq!(all[3].0, AlertKind::LeftRed);
    assert_eq!(all[6].0, AlertKind::TurnedRed);
    let first = listed(&mut conn).pop().unwrap();
    let AlertDetails::TurnedRed(change) = &first.details else { panic!("{first:?}") };
    assert_eq!(change.previous_rating, Some(Rating::Amber));
    assert_eq!(change.rating, Rating::Red);
    assert_eq!(change.programme.programme_code, "pnd-transformation");
    assert_eq!(first.status, AlertStatus::Pending);
});

both_backends!(fn the_first_report_can_turn_a_programme_red(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    report_with(&mut conn, "esn", Rating::Red, &Policy::on(vec![]));
    assert_eq!(written(&mut conn).len(), 2, "from no rating to Red is a turn to Red");
});

both_backends!(fn alerts_off_writes_none(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    report_with(&mut conn, "esn", Rating::Red, &Policy::off());
    report_with(&mut conn, "esn", Rating::Green, &Policy::off());
    assert!(written(&mut conn).is_empty());
});

both_backends!(fn a_report_that_rolls_back_leaves_no_alert(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    let result: Result<(), AppError> = write_transaction(&mut conn, |tx| {
        report_with(tx, "esn", Rating::Red, &on());
        assert_eq!(written(tx).len(), 3, "written inside the report's transaction");
        Err(AppError::Conflict("the caller gave up".into()))
    });
    assert!(result.is_err());
    assert!(written(&mut conn).is_empty(), "rolled back with the report");
    assert_eq!(app::reports::list(&mut conn, "esn", None, 100).unwrap().len(), 0);
});

both_backends!(fn inactive_owners_are_not_alerted(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    let active = user(&mut conn, "active@met.police.uk", Role::Lead);
    let gone = user(&mut conn, "gone@met.police.uk", Role::Lead);
    app::programmes::add_owner(&mut conn, &admin(), "esn", active.id).unwrap();
    app::programmes::add_owner(&mut conn, &admin(), "esn", gone.id).unwrap();
    app::users::update(&mut conn, &admin(), gone.id, &UserChange { active: Some(false), ..UserChange::default() }).unwrap();
    report_with(&mut conn, "esn", Rating::Red, &Policy::on(vec!["ACTIVE@met.police.uk".into()]));
    let to: Vec<String> = written(&mut conn).into_iter().map(|(_, r)| r).collect();
    assert_eq!(to, vec!["active@met.police.uk"], "one alert per address, whatever its case");
});

both_backends!(fn a_turn_to_red_with_no_owner_to_tell_still_sets_the_rating(db) {
    // With no owner to alert, the rating must still be set, and the portfolio office
    // still told.
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    let before = programme_now(&mut conn, "esn");
    report_with(&mut conn, "esn", Rating::Red, &on());
    let after = programme_now(&mut conn, "esn");
    assert_eq!(after.rating, Some(Rating::Red));
    assert_eq!(after.version, before.version + 1);
    assert!(after.rating_since.is_some());
    assert_eq!(written(&mut conn), vec![(AlertKind::TurnedRed, "pmo@beacon.police.uk".to_string())]);
});

both_backends!(fn funding_reductions_alert_the_owners(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    stream(&mut conn, "hmt");
    envelope(&mut conn, "hmt", "2025-26", 1_000_000);
    let policy = Policy::on(vec![]);
    let mut alerted = |kind, pence| {
        let before = written(&mut conn).len();
        app::funding::record_entry(&mut conn, &admin(), "hmt", "esn", year("2025-26"), &entry(kind, pence), &policy).unwrap();
        written(&mut conn).len() - before
    };
    assert_eq!(alerted(LedgerKind::Allocation, 500_000), 0);
    assert_eq!(alerted(LedgerKind::Adjustment, 1_000), 0, "an increase is no cut");
    assert_eq!(alerted(LedgerKind::Withdrawal, -200_000), 2);
    assert_eq!(alerted(LedgerKind::Adjustment, -1_000), 2);
    let newest = listed(&mut conn).remove(0);
    assert_eq!(newest.kind(), AlertKind::FundingReduced);
    let AlertDetails::FundingReduced(details) = &newest.details else { panic!("{newest:?}") };
    assert_eq!(details.amount_pence, Pence::new(-1_000));
    assert_eq!(details.balance_pence, Pence::new(300_000));
    assert_eq!(details.stream_code, "hmt");
    assert_eq!(details.financial_year, year("2025-26"));
});

both_backends!(fn a_cut_that_withdraws_alerts_the_owners(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    stream(&mut conn, "hmt");
    envelope(&mut conn, "hmt", "2025-26", 1_000_000);
    record(&mut conn, "hmt", "esn", "2025-26", LedgerKind::Allocation, 600_000).unwrap();
    let cut = beacon_core::Envelope::new(year("2025-26"), Pence::new(400_000)).unwrap();
    let withdrawal = app::funding::WithdrawalRequest { programme: "esn".into(), amount: Pence::new(200_000), reason: String::new() };
    app::funding::set_envelope(&mut conn, &admin(), "hmt", &cut, "Treasury cut", &[withdrawal], &on()).unwrap();
    let all = listed(&mut conn);
    assert_eq!(all.len(), 3, "both owners and the portfolio office: {all:?}");
    let AlertDetails::FundingReduced(details) = &all[0].details else { panic!("{all:?}") };
    assert_eq!((details.amount_pence, details.balance_pence), (Pence::new(-200_000), Pence::new(400_000)));
    assert_eq!(details.reason, "Treasury cut", "a withdrawal with no reason of its own gives the cut's");
});

both_backends!(fn overdue_reminders_come_once_per_period(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    let last = beacon_db::now() - TimeDelta::days(40);
    report_at(&mut conn, "esn", Rating::Amber, last, "beacon", &Policy::off());
    owned_programme(&mut conn, "hob");
    report_with(&mut conn, "hob", Rating::Green, &Policy::off());
    let policy = on();
    let now = beacon_db::now();
    let mut sweep = |policy: &Policy, at| app::alerts::sweep_reminders(&mut conn, policy, at, 35).unwrap();
    assert_eq!(sweep(&policy, now), 2, "both owners, not the portfolio office");
    assert_eq!(sweep(&policy, now), 0, "once per period");
    assert_eq!(sweep(&policy, now + TimeDelta::days(20)), 0, "still the same period");
    assert_eq!(sweep(&policy, now + TimeDelta::days(31)), 2, "a second lapsed period");
    assert_eq!(sweep(&Policy::off(), now + TimeDelta::days(80)), 0);
    let all = written(&mut conn);
    assert!(all.iter().all(|(kind, _)| *kind == AlertKind::ReportOverdue));
    assert_eq!(all.len(), 4);
    // A report starts the clock again.
    report_with(&mut conn, "esn", Rating::Amber, &policy);
    assert_eq!(app::alerts::sweep_reminders(&mut conn, &policy, beacon_db::now(), 35).unwrap(), 0);
});

both_backends!(fn a_sweep_reminds_every_silent_open_owned_programme_and_no_other(db) {
    let mut conn = db.conn();
    // More programmes than one of the sweep's write transactions takes.
    let silent: Vec<_> = (0..120).map(|n| owned_programme(&mut conn, &format!("silent-{n:03}"))).collect();
    let closed = owned_programme(&mut conn, "closed");
    let close = ProgrammePatch { stage: Some("closed".into()), ..ProgrammePatch::default() };
    app::programmes::update(&mut conn, &admin(), "closed", close, None).unwrap();
    programme(&mut conn, "unowned");
    owned_programme(&mut conn, "recent");
    let later = beacon_db::now() + TimeDelta::days(40);
    report_at(&mut conn, "recent", Rating::Green, later - TimeDelta::days(1), "beacon", &Policy::off());

    assert_eq!(app::alerts::sweep_reminders(&mut conn, &on(), later, 35).unwrap(), 240);
    let reminded: BTreeSet<String> = listed(&mut conn)
        .into_iter()
        .map(|a| a.details.programme().programme_code.clone())
        .collect();
    let expected: BTreeSet<String> = silent.iter().map(|p| p.code.to_string()).collect();
    assert_eq!(reminded, expected, "neither the closed, the unowned nor the recently reported programme");
    assert!(!reminded.contains(closed.code.as_str()));
    assert_eq!(app::alerts::sweep_reminders(&mut conn, &on(), later, 35).unwrap(), 0, "a second sweep writes nothing");
});

both_backends!(fn claims_are_exclusive_until_the_lease_ends(db) {
    let mut conn = db.conn();
    for code in ["a1", "a2", "a3"] {
        owned_programme(&mut conn, code);
        report_with(&mut conn, code, Rating::Red, &Policy::on(vec![]));
    }
    let now = beacon_db::now();
    let lease = TimeDelta::seconds(30);
    let first = app::alerts::claim(&mut conn, "w1", now, lease, 4).unwrap();
    let second = app::alerts::claim(&mut db.conn(), "w2", now, lease, 4).unwrap();
    assert_eq!((first.len(), second.len()), (4, 2));
    let mut ids: Vec<i64> = first.iter().chain(&second).map(|a| a.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no alert claimed twice");
    assert!(app::alerts::claim(&mut conn, "w3", now, lease, 10).unwrap().is_empty());
    assert_eq!(sent(&mut conn, "w2", first[0].id), [false], "only the holder records");
    assert_eq!(sent(&mut conn, "w1", first[0].id), [true]);
    // w1 dies holding the rest: after the lease they are due again, attempt counted.
    let later = app::alerts::claim(&mut conn, "w3", now + lease + TimeDelta::seconds(1), lease, 10).unwrap();
    assert_eq!(later.len(), 5);
    assert!(later.iter().all(|a| a.attempts == 2 && a.claimed_by.as_deref() == Some("w3")));
    assert_eq!(sent(&mut conn, "w1", first[1].id), [false], "w1's lease is gone");
    assert_eq!(beacon_tests::inspect::alerts_in(&mut conn, "sent"), 1);
    let query = AlertQuery { status: Some(AlertStatus::Sent), ..AlertQuery::default() };
    let listed_sent = app::alerts::list(&mut conn, &admin(), &query, None, 100).unwrap();
    assert_eq!(listed_sent.iter().map(|a| a.id).collect::<Vec<_>>(), [first[0].id]);
});

both_backends!(fn a_group_of_outcomes_is_recorded_together_and_only_for_the_alerts_still_held(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "pnd-transformation");
    report_with(&mut conn, "pnd-transformation", Rating::Red, &Policy::on(vec!["pmo@beacon.police.uk".to_string(), "npcc@beacon.police.uk".to_string()]));
    let now = beacon_db::now();
    let lease = TimeDelta::seconds(30);
    let mine = app::alerts::claim(&mut conn, "w1", now, lease, 3).unwrap();
    let theirs = app::alerts::claim(&mut conn, "w2", now, lease, 3).unwrap();
    assert_eq!((mine.len(), theirs.len()), (3, 1));
    let retry_at = now + TimeDelta::seconds(5);
    let held = app::alerts::record_outcomes(&mut conn, "w1", &[
        (mine[0].id, Outcome::Sent { message_id: "<sent@beacon.test>" }),
        (mine[1].id, Outcome::Failed { error: "421 try later", retry_at: Some(retry_at) }),
        (mine[2].id, Outcome::Failed { error: "554 refused", retry_at: None }),
        (theirs[0].id, Outcome::Sent { message_id: "<not-mine@beacon.test>" }),
    ]).unwrap();
    assert_eq!(held, vec![true, true, true, false], "w2's alert is not w1's to settle");
    if let DbConnection::Postgres(pg) = &mut *conn {
        // Recording outcomes leaves the connection's durability as it was: the
        // connection serves status reports next, which must wait for the disk.
        use diesel::RunQueryDsl;
        let setting: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_setting('synchronous_commit')")).get_result(pg).unwrap();
        assert_eq!(setting, "on");
    }

    let sent = alert(&mut conn, mine[0].id);
    assert_eq!((sent.status, sent.message_id.as_deref(), sent.last_error.as_deref()), (AlertStatus::Sent, Some("<sent@beacon.test>"), None));
    assert!(sent.sent_at.is_some_and(|at| at >= now) && sent.lease_until.is_none());
    let again = alert(&mut conn, mine[1].id);
    assert_eq!((again.status, again.next_attempt_at, again.last_error.as_deref()), (AlertStatus::Pending, retry_at, Some("421 try later")));
    assert_eq!((again.sent_at, again.message_id.as_deref(), again.lease_until), (None, None, None));
    let failed = alert(&mut conn, mine[2].id);
    assert_eq!((failed.status, failed.last_error.as_deref(), failed.sent_at), (AlertStatus::Failed, Some("554 refused"), None));
    let untouched = alert(&mut conn, theirs[0].id);
    assert_eq!(untouched, theirs[0], "left as w2 claimed it");
    // The one due again is claimed at its retry time, with w1's error kept until then.
    let retried = app::alerts::claim(&mut conn, "w1", retry_at, lease, 10).unwrap();
    assert_eq!(retried.iter().map(|a| a.id).collect::<Vec<_>>(), vec![mine[1].id]);
    assert_eq!(retried[0].attempts, 2);
});

both_backends!(fn failures_retry_then_fail_and_an_admin_can_retry(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    report_with(&mut conn, "esn", Rating::Red, &Policy::on(vec![]));
    let now = beacon_db::now();
    let claimed = app::alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 1).unwrap().remove(0);
    assert_eq!(failed(&mut conn, "w", claimed.id, "421 try later", Some(now + TimeDelta::seconds(5))), [true]);
    assert!(app::alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 1).unwrap().iter().all(|a| a.id != claimed.id), "not due before its retry time");
    let again = app::alerts::claim(&mut conn, "w", now + TimeDelta::seconds(6), TimeDelta::seconds(30), 2).unwrap();
    let again = again.into_iter().find(|a| a.id == claimed.id).unwrap();
    assert_eq!(again.attempts, 2);
    assert_eq!(failed(&mut conn, "w", again.id, "554 refused", None), [true]);
    let gave_up = alert(&mut conn, again.id);
    assert_eq!((gave_up.status, gave_up.last_error.as_deref()), (AlertStatus::Failed, Some("554 refused")));
    let error = app::alerts::retry(&mut conn, &admin(), claimed.id + 1000).unwrap_err();
    assert!(matches!(error, AppError::NotFound(_)), "{error:?}");
    let auditor = user(&mut conn, "auditor@beacon.police.uk", Role::Auditor);
    let error = app::alerts::retry(&mut conn, &as_user(&auditor), gave_up.id).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "an auditor reads alerts but does not retry them: {error:?}");
    assert_eq!(alert(&mut conn, gave_up.id).status, AlertStatus::Failed);
    let retried = app::alerts::retry(&mut conn, &admin(), gave_up.id).unwrap();
    assert_eq!((retried.status, retried.attempts), (AlertStatus::Pending, 0));
    let error = app::alerts::retry(&mut conn, &admin(), gave_up.id).unwrap_err();
    assert!(matches!(error, AppError::Conflict(_)), "only failed alerts: {error:?}");
    let audit = trail(&mut conn, "alert", &gave_up.id.to_string());
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "retry");
});

both_backends!(fn only_auditors_and_admins_read_alerts(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    report_with(&mut conn, "esn", Rating::Red, &on());
    let auditor = user(&mut conn, "auditor@beacon.police.uk", Role::Auditor);
    let lead = user(&mut conn, "lead@beacon.police.uk", Role::Lead);
    let query = AlertQuery { programme: Some("esn".into()), ..AlertQuery::default() };
    assert_eq!(app::alerts::list(&mut conn, &as_user(&auditor), &query, None, 100).unwrap().len(), 3);
    let error = app::alerts::list(&mut conn, &as_user(&lead), &query, None, 100).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    let unknown = AlertQuery { programme: Some("nope".into()), ..AlertQuery::default() };
    let error = app::alerts::list(&mut conn, &admin(), &unknown, None, 100).unwrap_err();
    assert!(matches!(error, AppError::Invalid(_)), "{error:?}");
});

both_backends!(fn an_alert_written_twice_for_one_event_and_recipient_is_filed_once(db) {
    let mut conn = db.conn();
    owned_programme(&mut conn, "esn");
    // The portfolio office's mailbox is also an owner's address, in another case.
    let policy = Policy::on(vec!["SRO-esn@met.police.uk".to_string()]);
    report_with(&mut conn, "esn", Rating::Red, &policy);
    let alerts = written(&mut conn);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[0].1, "sro-esn@met.police.uk");
    let claimed = app::alerts::claim(&mut conn, "w", beacon_db::now(), TimeDelta::seconds(30), 10).unwrap();
    assert_eq!(claimed.len(), 2, "so sent once: {claimed:?}");
});

both_backends!(fn workers_claim_alerts_oldest_first_and_the_rest_stay_pending(db) {
    let mut conn = db.conn();
    for code in ["b1", "b2", "b3"] {
        owned_programme(&mut conn, code);
        report_with(&mut conn, code, Rating::Red, &Policy::on(vec![]));
    }
    let now = beacon_db::now();
    let claimed = app::alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 3).unwrap();
    let codes: Vec<String> = claimed.iter().map(|a| a.details.programme().programme_code.clone()).collect();
    assert_eq!(codes, ["b1", "b1", "b2"], "oldest first");
    assert!(claimed.iter().all(|a| a.attempts == 1 && a.claimed_by.as_deref() == Some("w")));
    // The rest is written and listed, as pending and unclaimed.
    let all = listed(&mut conn);
    assert_eq!(all.len(), 6);
    assert_eq!(all.iter().filter(|a| a.claimed_by.is_none()).count(), 3);
    assert!(all.iter().all(|a| a.status == AlertStatus::Pending));
    let rest = app::alerts::claim(&mut conn, "w2", now, TimeDelta::seconds(30), 10).unwrap();
    assert_eq!(rest.len(), 3);
    assert!(rest.iter().all(|a| a.attempts == 1 && a.claimed_by.as_deref() == Some("w2")));
    assert_eq!(claimed.iter().chain(&rest).map(|a| a.id).collect::<BTreeSet<_>>().len(), 6);
});

both_backends!(fn alerts_written_before_the_outbox_keep_their_ids_and_new_ones_number_on(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    // The database as the release before the outbox left it, with an alert written
    // straight into `alerts`. Migrations after the outbox's are reverted first: they
    // were written to run once.
    beacon_tests::inspect::revert_through(&mut conn, "20261204000012");
    db.execute("DELETE FROM __diesel_schema_migrations WHERE version >= '20261201000007'");
    db.execute(&format!(
        "INSERT INTO alerts (id, unique_key, kind, programme_id, recipient, details, status, attempts, next_attempt_at, created_at, sent_at) \
         VALUES (500, 'turned_red:status_report:0:old@met.police.uk', 'turned_red', {}, 'old@met.police.uk', '{}', 'sent', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:01')",
        p.id,
        rating_change_json("esn", Rating::Red),
    ));
    beacon_db::migrate::run_pending(&mut conn).unwrap();
    report_with(&mut conn, "esn", Rating::Red, &Policy::on(vec![]));
    let rows = listed(&mut conn);
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[2], 500, "the old alert is still there");
    assert!(ids[0] > 500 && ids[1] > 500, "new alerts number on from the old: {ids:?}");
    let old = alert(&mut conn, 500);
    assert_eq!((old.recipient.as_str(), old.status), ("old@met.police.uk", AlertStatus::Sent));
});

both_backends!(fn alerts_refuse_an_unknown_kind_and_the_outbox_migration_files_what_waited(db) {
    use diesel::connection::SimpleConnection;
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "drones");
    report_with(&mut conn, "drones", Rating::Red, &on());
    let before: Vec<i64> = listed(&mut conn).iter().map(|a| a.id).collect();
    assert_eq!(before.len(), 3);
    let unknown = format!(
        "INSERT INTO alerts (unique_key, kind, programme_id, recipient, details, status, attempts, next_attempt_at, created_at) \
         VALUES ('turned_blue:x:a@b', 'turned_blue', {}, 'a@b', '{{}}', 'pending', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        p.id
    );
    let refused = conn.batch_execute(&unknown).unwrap_err().to_string();
    assert!(refused.to_lowercase().contains("check"), "{refused}");

    // A database upgraded with events still waiting in the per-event outbox: the
    // migration that retires it files them as one alert per recipient, keeps the one
    // already filed under the same key, and numbers on after the alerts there.
    let details = rating_change_json("drones", Rating::Amber);
    for _ in 0..2 {
        beacon_tests::inspect::revert_through(&mut conn, "20261204000011");
        db.execute(&format!(
            "INSERT INTO alert_outbox (key_prefix, kind, programme_id, recipients, details, created_at) \
             VALUES ('left_red:status_report:99:', 'left_red', {0}, '[\"SRO-drones@met.police.uk\", \"pmo@beacon.police.uk\"]', '{details}', '2026-01-01 00:00:00'), \
                    ('left_red:status_report:99:', 'left_red', {0}, '[\"sro-drones@met.police.uk\"]', '{details}', '2026-01-01 00:00:00')",
            p.id
        ));
        beacon_db::migrate::run_pending(&mut conn).unwrap();
    }
    let all = listed(&mut conn);
    assert_eq!(all.len(), 5, "two filed from the outbox, once each: {all:?}");
    let filed: Vec<&Alert> = all.iter().filter(|a| !before.contains(&a.id)).collect();
    assert!(filed.iter().all(|a| a.kind() == AlertKind::LeftRed && a.status == AlertStatus::Pending && a.attempts == 0));
    assert!(filed.iter().all(|a| a.id > *before.iter().max().unwrap()), "numbered after the alerts already there");
    let mut recipients: Vec<&str> = filed.iter().map(|a| a.recipient.as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, ["SRO-drones@met.police.uk", "pmo@beacon.police.uk"]);
    // Each alert's key is its event and its lowercased recipient, whichever way it was written.
    assert!(all.iter().all(|a| a.key.ends_with(&format!(":{}", a.recipient.to_lowercase()))));
    assert!(conn.batch_execute("SELECT 1 FROM alert_outbox").is_err(), "the outbox is gone");
    // Filed alerts are claimed and sent like any other.
    let claimed = app::alerts::claim(&mut conn, "w", beacon_db::now(), TimeDelta::seconds(30), 10).unwrap();
    assert_eq!(claimed.len(), 5);
});

/// On PostgreSQL a report locks its programme `FOR NO KEY UPDATE`: a worker claiming
/// that programme's earlier alerts goes on while the report is still open, instead of
/// queueing behind it. SQLite has one writer at a time by design, so this is
/// PostgreSQL's alone.
#[test]
fn claiming_alerts_does_not_wait_for_an_open_report_on_their_programme() {
    use diesel::connection::SimpleConnection;
    let db = beacon_tests::TestDb::postgres();
    let mut conn = db.conn();
    let mut worker = db.conn();
    owned_programme(&mut conn, "pnd-transformation");
    report_with(&mut conn, "pnd-transformation", Rating::Red, &on());
    worker.batch_execute("SET lock_timeout = '2s'").unwrap();

    let claimed = write_transaction(&mut conn, |tx| {
        // The next report, not yet committed, holds the programme's lock.
        report_with(tx, "pnd-transformation", Rating::Amber, &on());
        app::alerts::claim(
            &mut worker,
            "w",
            beacon_db::now(),
            TimeDelta::seconds(30),
            10,
        )
    });
    assert_eq!(
        claimed.unwrap().len(),
        3,
        "the Red report's alerts were claimed while the next report was open"
    );
    assert_eq!(written(&mut conn).len(), 6);
}

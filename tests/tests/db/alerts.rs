use beacon_core::{LedgerKind, Rating, Role};
use beacon_db::alerts::{self, Policy};
use beacon_db::{DbError, funding, programmes, status_reports, write_transaction};
use beacon_tests::both_backends;
use chrono::TimeDelta;

use crate::support::*;

fn on() -> Policy {
    Policy::on(vec!["pmo@beacon.police.uk".to_string()])
}

/// (kind, recipient) of every alert, oldest first.
fn written(conn: &mut beacon_db::DbConnection) -> Vec<(String, String)> {
    let mut rows = alerts::page(conn, &alerts::Filter::default(), None, 1000).unwrap();
    rows.reverse();
    rows.into_iter().map(|a| (a.kind, a.recipient)).collect()
}

fn owned_programme(
    conn: &mut beacon_db::DbConnection,
    code: &str,
) -> beacon_db::models::ProgrammeRow {
    let p = programme(conn, code);
    for email in [
        format!("sro-{code}@met.police.uk"),
        format!("deputy-{code}@met.police.uk"),
    ] {
        let u = user(conn, &email, Role::Lead);
        programmes::add_owner(conn, &actor(), p.id, u.id).unwrap();
    }
    p
}

both_backends!(fn only_turns_into_and_out_of_red_write_alerts(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "pnd-transformation");
    user(&mut conn, "viewer@met.police.uk", Role::Viewer);
    let sequence = [Rating::Amber, Rating::Amber, Rating::Red, Rating::Red, Rating::AmberRed, Rating::Green, Rating::Red];
    let mut counts = Vec::new();
    for rating in sequence {
        let before = written(&mut conn).len();
        report_with(&mut conn, p.id, rating, &on());
        counts.push(written(&mut conn).len() - before);
    }
    // Two owners and the portfolio office: on each way in (from Amber, and from Green)
    // and the one way out; nothing for Amber→Amber, Red→Red or improvements.
    assert_eq!(counts, vec![0, 0, 3, 0, 3, 0, 3]);
    let all = written(&mut conn);
    assert_eq!(all[0], ("turned_red".to_string(), "sro-pnd-transformation@met.police.uk".to_string()));
    assert_eq!(all[1].1, "deputy-pnd-transformation@met.police.uk");
    assert_eq!(all[2].1, "pmo@beacon.police.uk");
    assert_eq!(all[3].0, "left_red");
    assert_eq!(all[6].0, "turned_red");
    let first = &alerts::page(&mut conn, &alerts::Filter::default(), None, 1000).unwrap().into_iter().last().unwrap();
    let details = first.details().unwrap();
    assert_eq!(details.previous_rating.as_deref(), Some("amber"));
    assert_eq!(details.rating.as_deref(), Some("red"));
    assert_eq!(details.programme_code, "pnd-transformation");
    assert_eq!(first.status, "pending");
});

both_backends!(fn the_first_report_can_turn_a_programme_red(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec![]));
    assert_eq!(written(&mut conn).len(), 2, "from no rating to Red is a turn to Red");
});

both_backends!(fn alerts_off_writes_none(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    report_with(&mut conn, p.id, Rating::Red, &Policy::off());
    report_with(&mut conn, p.id, Rating::Green, &Policy::off());
    assert!(written(&mut conn).is_empty());
});

both_backends!(fn a_report_that_rolls_back_leaves_no_alert(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    let result: Result<(), DbError> = write_transaction(&mut conn, |conn| {
        report_with(conn, p.id, Rating::Red, &on());
        assert_eq!(written(conn).len(), 3, "written inside the report's transaction");
        Err(DbError::Conflict("the caller gave up".into()))
    });
    assert!(result.is_err());
    assert!(written(&mut conn).is_empty(), "rolled back with the report");
    assert_eq!(status_reports::for_programme(&mut conn, p.id).unwrap().len(), 0);
});

both_backends!(fn inactive_owners_are_not_alerted(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    let active = user(&mut conn, "active@met.police.uk", Role::Lead);
    let gone = user(&mut conn, "gone@met.police.uk", Role::Lead);
    programmes::add_owner(&mut conn, &actor(), p.id, active.id).unwrap();
    programmes::add_owner(&mut conn, &actor(), p.id, gone.id).unwrap();
    db.execute(&format!("UPDATE users SET active = false WHERE id = {}", gone.id));
    report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec!["ACTIVE@met.police.uk".into()]));
    let to: Vec<String> = written(&mut conn).into_iter().map(|(_, r)| r).collect();
    assert_eq!(to, vec!["active@met.police.uk"], "one alert per address, whatever its case");
});

both_backends!(fn a_turn_to_red_with_no_owner_to_tell_still_sets_the_rating(db) {
    // On PostgreSQL the rating and the owners' alerts are one statement: with no owner
    // to alert, the rating must still be set, and the portfolio office still told.
    let mut conn = db.conn();
    let p = programme(&mut conn, "esn");
    let before = programmes::get_by_id(&mut conn, p.id).unwrap();
    report_with(&mut conn, p.id, Rating::Red, &on());
    let after = programmes::get_by_id(&mut conn, p.id).unwrap();
    assert_eq!(after.current_rating.as_deref(), Some("red"));
    assert_eq!(after.version, before.version + 1);
    assert!(after.rating_since.is_some());
    assert_eq!(written(&mut conn), vec![("turned_red".to_string(), "pmo@beacon.police.uk".to_string())]);
});

both_backends!(fn funding_reductions_alert_the_owners(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    let s = stream(&mut conn, "hmt");
    envelope(&mut conn, s.id, "2025-26", 1_000_000);
    let fy = year("2025-26");
    let policy = Policy::on(vec![]);
    let mut record = |kind, pence| {
        let before = written(&mut conn).len();
        funding::record_entry(&mut conn, &actor(), s.id, p.id, fy, &entry(kind, pence), None, &policy).unwrap();
        written(&mut conn).len() - before
    };
    assert_eq!(record(LedgerKind::Allocation, 500_000), 0);
    assert_eq!(record(LedgerKind::Adjustment, 1_000), 0, "an increase is no cut");
    assert_eq!(record(LedgerKind::Withdrawal, -200_000), 2);
    assert_eq!(record(LedgerKind::Adjustment, -1_000), 2);
    let newest = alerts::page(&mut conn, &alerts::Filter::default(), None, 1).unwrap().remove(0);
    let details = newest.details().unwrap();
    assert_eq!(newest.kind, "funding_reduced");
    assert_eq!(details.amount_pence, Some(-1_000));
    assert_eq!(details.balance_pence, Some(300_000));
    assert_eq!(details.stream_code.as_deref(), Some("hmt"));
    assert_eq!(details.financial_year.as_deref(), Some("2025-26"));
});

both_backends!(fn overdue_reminders_come_once_per_period(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    let last = beacon_db::now() - TimeDelta::days(40);
    let provenance = status_reports::Provenance { reported_by: None, reported_at: Some(last), source: "beacon", owners_only: false };
    status_reports::record(&mut conn, &actor(), p.id, &report(Rating::Amber), &provenance, &Policy::off()).unwrap();
    let quiet = owned_programme(&mut conn, "hob");
    report_with(&mut conn, quiet.id, Rating::Green, &Policy::off());
    let policy = on();
    let now = beacon_db::now();
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &policy, now, 35).unwrap(), 2, "both owners, not the portfolio office");
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &policy, now, 35).unwrap(), 0, "once per period");
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &policy, now + TimeDelta::days(20), 35).unwrap(), 0, "still the same period");
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &policy, now + TimeDelta::days(31), 35).unwrap(), 2, "a second lapsed period");
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &Policy::off(), now + TimeDelta::days(80), 35).unwrap(), 0);
    let all = written(&mut conn);
    assert!(all.iter().all(|(kind, _)| kind == "report_overdue"));
    assert_eq!(all.len(), 4);
    // A report starts the clock again.
    report_with(&mut conn, p.id, Rating::Amber, &policy);
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &policy, beacon_db::now(), 35).unwrap(), 0);
});

both_backends!(fn a_sweep_reminds_every_silent_open_owned_programme_and_no_other(db) {
    let mut conn = db.conn();
    // More programmes than one of the sweep's write transactions takes.
    let silent: Vec<_> = (0..120).map(|n| owned_programme(&mut conn, &format!("silent-{n:03}"))).collect();
    let closed = owned_programme(&mut conn, "closed");
    let mut input = programme_input("closed");
    input.stage = beacon_core::Stage::Closed;
    programmes::update(&mut conn, &actor(), "closed", &input, None).unwrap();
    programme(&mut conn, "unowned");
    let recent = owned_programme(&mut conn, "recent");
    let later = beacon_db::now() + TimeDelta::days(40);
    let provenance = status_reports::Provenance { reported_by: None, reported_at: Some(later - TimeDelta::days(1)), source: "beacon", owners_only: false };
    status_reports::record(&mut conn, &actor(), recent.id, &report(Rating::Green), &provenance, &Policy::off()).unwrap();

    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &on(), later, 35).unwrap(), 240);
    let reminded: std::collections::BTreeSet<String> = alerts::page(&mut conn, &alerts::Filter::default(), None, 1000)
        .unwrap()
        .into_iter()
        .map(|a| a.details().unwrap().programme_code)
        .collect();
    let expected: std::collections::BTreeSet<String> = silent.iter().map(|p| p.code.clone()).collect();
    assert_eq!(reminded, expected, "neither the closed, the unowned nor the recently reported programme");
    assert!(!reminded.contains(&closed.code));
    assert_eq!(alerts::queue_overdue_reminders(&mut conn, &on(), later, 35).unwrap(), 0, "a second sweep writes nothing");
});

both_backends!(fn claims_are_exclusive_until_the_lease_ends(db) {
    let mut conn = db.conn();
    for code in ["a1", "a2", "a3"] {
        let p = owned_programme(&mut conn, code);
        report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec![]));
    }
    let now = beacon_db::now();
    let lease = TimeDelta::seconds(30);
    let first = alerts::claim(&mut conn, "w1", now, lease, 4).unwrap();
    let second = alerts::claim(&mut db.conn(), "w2", now, lease, 4).unwrap();
    assert_eq!((first.len(), second.len()), (4, 2));
    let mut ids: Vec<i64> = first.iter().chain(&second).map(|a| a.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no alert claimed twice");
    assert!(alerts::claim(&mut conn, "w3", now, lease, 10).unwrap().is_empty());
    assert!(!alerts::mark_sent(&mut conn, first[0].id, "w2", "<x@y>").unwrap(), "only the holder records");
    assert!(alerts::mark_sent(&mut conn, first[0].id, "w1", "<x@y>").unwrap());
    // w1 dies holding the rest: after the lease they are due again, attempt counted.
    let later = alerts::claim(&mut conn, "w3", now + lease + TimeDelta::seconds(1), lease, 10).unwrap();
    assert_eq!(later.len(), 5);
    assert!(later.iter().all(|a| a.attempts == 2 && a.claimed_by.as_deref() == Some("w3")));
    assert!(!alerts::mark_sent(&mut conn, first[1].id, "w1", "<x@y>").unwrap(), "w1's lease is gone");
    assert_eq!(alerts::count_by_status(&mut conn, "sent").unwrap(), 1);
});

both_backends!(fn a_group_of_outcomes_is_recorded_together_and_only_for_the_alerts_still_held(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "pnd-transformation");
    report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec!["pmo@beacon.police.uk".to_string(), "npcc@beacon.police.uk".to_string()]));
    let now = beacon_db::now();
    let lease = TimeDelta::seconds(30);
    let mine = alerts::claim(&mut conn, "w1", now, lease, 3).unwrap();
    let theirs = alerts::claim(&mut conn, "w2", now, lease, 3).unwrap();
    assert_eq!((mine.len(), theirs.len()), (3, 1));
    let retry_at = now + TimeDelta::seconds(5);
    let held = alerts::record_outcomes(&mut conn, "w1", &[
        (mine[0].id, alerts::Outcome::Sent { message_id: "<sent@beacon.test>" }),
        (mine[1].id, alerts::Outcome::Failed { error: "421 try later", retry_at: Some(retry_at) }),
        (mine[2].id, alerts::Outcome::Failed { error: "554 refused", retry_at: None }),
        (theirs[0].id, alerts::Outcome::Sent { message_id: "<not-mine@beacon.test>" }),
    ]).unwrap();
    assert_eq!(held, vec![true, true, true, false], "w2's alert is not w1's to settle");
    if let beacon_db::DbConnection::Postgres(pg) = &mut *conn {
        // The outcomes' commit skips the wait for the disk; the connection, which
        // serves status reports next, keeps it.
        use diesel::RunQueryDsl;
        let setting: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_setting('synchronous_commit')")).get_result(pg).unwrap();
        assert_eq!(setting, "on");
    }

    let sent = alerts::get(&mut conn, mine[0].id).unwrap();
    assert_eq!((sent.status.as_str(), sent.message_id.as_deref(), sent.last_error.as_deref()), ("sent", Some("<sent@beacon.test>"), None));
    assert!(sent.sent_at.is_some_and(|at| at >= now) && sent.lease_until.is_none());
    let again = alerts::get(&mut conn, mine[1].id).unwrap();
    assert_eq!((again.status.as_str(), again.next_attempt_at, again.last_error.as_deref()), ("pending", retry_at, Some("421 try later")));
    assert_eq!((again.sent_at, again.message_id.as_deref(), again.lease_until), (None, None, None));
    let failed = alerts::get(&mut conn, mine[2].id).unwrap();
    assert_eq!((failed.status.as_str(), failed.last_error.as_deref(), failed.sent_at), ("failed", Some("554 refused"), None));
    let untouched = alerts::get(&mut conn, theirs[0].id).unwrap();
    assert_eq!(untouched, theirs[0], "left as w2 claimed it");
    // The one due again is claimed at its retry time, with w1's error kept until then.
    let retried = alerts::claim(&mut conn, "w1", retry_at, lease, 10).unwrap();
    assert_eq!(retried.iter().map(|a| a.id).collect::<Vec<_>>(), vec![mine[1].id]);
    assert_eq!(retried[0].attempts, 2);
});

both_backends!(fn failures_retry_then_fail_and_an_admin_can_retry(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec![]));
    let now = beacon_db::now();
    let claimed = alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 1).unwrap().remove(0);
    assert!(alerts::mark_failed(&mut conn, claimed.id, "w", "421 try later", Some(now + TimeDelta::seconds(5))).unwrap());
    assert!(alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 1).unwrap().iter().all(|a| a.id != claimed.id), "not due before its retry time");
    let again = alerts::claim(&mut conn, "w", now + TimeDelta::seconds(6), TimeDelta::seconds(30), 2).unwrap();
    let again = again.into_iter().find(|a| a.id == claimed.id).unwrap();
    assert_eq!(again.attempts, 2);
    assert!(alerts::mark_failed(&mut conn, again.id, "w", "554 refused", None).unwrap());
    let failed = alerts::get(&mut conn, again.id).unwrap();
    assert_eq!((failed.status.as_str(), failed.last_error.as_deref()), ("failed", Some("554 refused")));
    let error = alerts::retry(&mut conn, &actor(), claimed.id + 1000).unwrap_err();
    assert!(matches!(error, DbError::NotFound { .. }));
    let retried = alerts::retry(&mut conn, &actor(), failed.id).unwrap();
    assert_eq!((retried.status.as_str(), retried.attempts), ("pending", 0));
    assert!(matches!(alerts::retry(&mut conn, &actor(), failed.id).unwrap_err(), DbError::Conflict(_)), "only failed alerts");
    let audit = beacon_db::audit::for_entity(&mut conn, "alert", &failed.id.to_string()).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "retry");
});

both_backends!(fn an_alert_written_twice_for_one_event_and_recipient_is_filed_once(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    // The portfolio office's mailbox is also an owner's address, in another case.
    let policy = Policy::on(vec!["SRO-esn@met.police.uk".to_string()]);
    report_with(&mut conn, p.id, Rating::Red, &policy);
    let alerts = written(&mut conn);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[0].1, "sro-esn@met.police.uk");
    let claimed = alerts::claim(&mut conn, "w", beacon_db::now(), TimeDelta::seconds(30), 10).unwrap();
    assert_eq!(claimed.len(), 2, "so sent once: {claimed:?}");
});

both_backends!(fn a_worker_files_new_alerts_as_its_claims_in_the_order_written(db) {
    let mut conn = db.conn();
    let mut programmes = Vec::new();
    for code in ["b1", "b2", "b3"] {
        let p = owned_programme(&mut conn, code);
        report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec![]));
        programmes.push(p.code);
    }
    let now = beacon_db::now();
    let claimed = alerts::claim(&mut conn, "w", now, TimeDelta::seconds(30), 3).unwrap();
    let codes: Vec<String> = claimed.iter().map(|a| a.details().unwrap().programme_code).collect();
    assert_eq!(codes, ["b1", "b1", "b2"], "oldest first");
    assert!(claimed.iter().all(|a| a.attempts == 1 && a.claimed_by.as_deref() == Some("w")));
    // The rest is still written and listed, as pending.
    let listed = alerts::page(&mut conn, &alerts::Filter::default(), None, 100).unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed.iter().filter(|a| a.claimed_by.is_none()).count(), 3);
    assert!(listed.iter().all(|a| a.status == "pending"));
    let rest = alerts::claim(&mut conn, "w2", now, TimeDelta::seconds(30), 10).unwrap();
    assert_eq!(rest.len(), 3);
    assert!(rest.iter().all(|a| a.attempts == 1 && a.claimed_by.as_deref() == Some("w2")));
    assert_eq!(claimed.iter().chain(&rest).map(|a| a.id).collect::<std::collections::BTreeSet<_>>().len(), 6);
});

both_backends!(fn alerts_written_before_the_outbox_keep_their_ids_and_new_ones_number_on(db) {
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "esn");
    // The database as the release before the outbox left it, with an alert written
    // straight into `alerts`.
    db.execute("DELETE FROM __diesel_schema_migrations WHERE version >= '20261201000007'");
    db.execute(&format!(
        "INSERT INTO alerts (id, unique_key, kind, programme_id, recipient, details, status, attempts, next_attempt_at, created_at, sent_at) \
         VALUES (500, 'turned_red:status_report:0:old@met.police.uk', 'turned_red', {}, 'old@met.police.uk', '{{\"programme_code\":\"esn\",\"programme_name\":\"ESN\"}}', 'sent', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:01')",
        p.id
    ));
    beacon_db::migrate::run_pending(&mut conn).unwrap();
    report_with(&mut conn, p.id, Rating::Red, &Policy::on(vec![]));
    let rows = alerts::page(&mut conn, &alerts::Filter::default(), None, 100).unwrap();
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[2], 500, "the old alert is still there");
    assert!(ids[0] > 500 && ids[1] > 500, "new alerts number on from the old: {ids:?}");
    assert_eq!(alerts::get(&mut conn, 500).unwrap().recipient, "old@met.police.uk");
});

both_backends!(fn alerts_refuse_an_unknown_kind_and_the_outbox_migration_files_what_waited(db) {
    use diesel::connection::SimpleConnection;
    let mut conn = db.conn();
    let p = owned_programme(&mut conn, "drones");
    report_with(&mut conn, p.id, Rating::Red, &on());
    let before: Vec<i64> = alerts::page(&mut conn, &alerts::Filter::default(), None, 100).unwrap().iter().map(|a| a.id).collect();
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
    for _ in 0..2 {
        assert_eq!(beacon_db::migrate::revert_last(&mut conn).unwrap(), "20261204000011");
        db.execute(&format!(
            "INSERT INTO alert_outbox (key_prefix, kind, programme_id, recipients, details, created_at) \
             VALUES ('left_red:status_report:99:', 'left_red', {0}, '[\"SRO-drones@met.police.uk\", \"pmo@beacon.police.uk\"]', '{{\"programme_code\":\"drones\",\"programme_name\":\"Drones\"}}', '2026-01-01 00:00:00'), \
                    ('left_red:status_report:99:', 'left_red', {0}, '[\"sro-drones@met.police.uk\"]', '{{\"programme_code\":\"drones\",\"programme_name\":\"Drones\"}}', '2026-01-01 00:00:00')",
            p.id
        ));
        beacon_db::migrate::run_pending(&mut conn).unwrap();
    }
    let all = alerts::page(&mut conn, &alerts::Filter::default(), None, 100).unwrap();
    assert_eq!(all.len(), 5, "two filed from the outbox, once each: {all:?}");
    let filed: Vec<&beacon_db::models::AlertRow> = all.iter().filter(|a| !before.contains(&a.id)).collect();
    assert!(filed.iter().all(|a| a.kind == "left_red" && a.status == "pending" && a.attempts == 0));
    assert!(filed.iter().all(|a| a.id > *before.iter().max().unwrap()), "numbered after the alerts already there");
    let mut recipients: Vec<&str> = filed.iter().map(|a| a.recipient.as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, ["SRO-drones@met.police.uk", "pmo@beacon.police.uk"]);
    // Each alert's key is its event and its lowercased recipient, whichever way it was written.
    assert!(all.iter().all(|a| a.unique_key.ends_with(&format!(":{}", a.recipient.to_lowercase()))));
    assert!(conn.batch_execute("SELECT 1 FROM alert_outbox").is_err(), "the outbox is gone");
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
    let p = owned_programme(&mut conn, "pnd-transformation");
    report_with(&mut conn, p.id, Rating::Red, &on());
    worker.batch_execute("SET lock_timeout = '2s'").unwrap();

    let claimed = write_transaction(&mut conn, |conn| {
        // The next report, not yet committed, holds the programme's lock.
        report_with(conn, p.id, Rating::Amber, &on());
        alerts::claim(
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

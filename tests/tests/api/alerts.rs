//! Email alerts end to end: the real server, a real SMTP server over TCP.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use beacon_tests::TestDb;
use beacon_tests::app::TestApp;
use beacon_tests::smtp::{self, SmtpServer};
use serde_json::{Value, json};

const NAME: &str = "Police National Database transformation programme";

/// A programme with no rating yet, owned by two leads; returns their tokens.
fn owned_programme(app: &TestApp, code: &str, name: &str) -> (String, String) {
    let created = app.post(
        "/api/v1/programmes",
        &app.admin(),
        json!({"code": code, "name": name, "capability_area": "data-and-intelligence", "sponsor": "Home Office", "stage": "delivery"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let (sro, sro_token) = app.user(&format!("sro.{code}@met.police.uk"), "lead");
    let (deputy, _) = app.user(&format!("deputy.{code}@met.police.uk"), "lead");
    app.own(code, sro);
    app.own(code, deputy);
    (sro_token, format!("sro.{code}@met.police.uk"))
}

fn report(app: &TestApp, token: &str, code: &str, rating: &str, rationale: &str) {
    let reply = app.post(
        &format!("/api/v1/programmes/{code}/status-reports"),
        token,
        json!({"rating": rating, "rationale": rationale, "period_end": "2026-09-30"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

/// Polls the alert list until `done` holds for it.
fn wait_for_alerts(app: &TestApp, query: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let admin = app.admin();
    loop {
        let reply = app.get(&format!("/api/v1/alerts?{query}"), &admin);
        assert_eq!(reply.status, 200, "{}", reply.text);
        let items = reply.json()["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "alerts?{query} never got there: {items:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn with_smtp(db: TestDb, url: String, max_attempts: u32) -> TestApp {
    TestApp::spawn_with(db, move |settings| {
        settings.alerts.smtp_url = Some(url.into());
        settings.alerts.mail_from = "Beacon <beacon@beacon.police.uk>".into();
        settings.alerts.public_url = Some("https://beacon.police.uk".into());
        settings.alerts.max_attempts = max_attempts;
    })
}

fn red_transition_emails_each_owner_exactly_once(db: TestDb) {
    let smtp = SmtpServer::start();
    let app = with_smtp(db, smtp.url(), 5);
    let (token, sro) = owned_programme(&app, "pnd-next", NAME);
    report(&app, &token, "pnd-next", "amber", "Supplier late.");
    report(&app, &token, "pnd-next", "amber", "Still late.");
    report(
        &app,
        &token,
        "pnd-next",
        "red",
        "Cloud <b>migration</b> failed & the contingency is unfunded.",
    );
    let messages = smtp.wait_for(2, Duration::from_secs(10));
    // Red again, and improvements short of leaving Red, send nothing.
    report(&app, &token, "pnd-next", "red", "No better.");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        smtp.messages().len(),
        2,
        "Red→Red and Amber→Amber send nothing"
    );

    let to: HashSet<String> = messages.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(
        to,
        HashSet::from([sro.clone(), "deputy.pnd-next@met.police.uk".to_string()])
    );
    for message in &messages {
        assert_eq!(message.to.len(), 1, "one message per owner");
        let mail = smtp::read(&message.raw);
        assert_eq!(mail.header("subject"), format!("[RED] {NAME} is now Red"));
        assert!(
            mail.content_type.starts_with("multipart/alternative"),
            "{}",
            mail.content_type
        );
        assert!(
            mail.header("message-id").starts_with("<alert-"),
            "{:?}",
            mail.headers
        );
        assert_eq!(mail.header("in-reply-to"), mail.header("references"));
        assert!(mail.header("in-reply-to").ends_with("@beacon.police.uk>"));
        assert!(mail.header("from").contains("beacon@beacon.police.uk"));
        for needed in [
            "Previous rating: Amber",
            "New rating: Red",
            "Cloud <b>migration</b> failed & the contingency is unfunded.",
            "https://beacon.police.uk/programmes/pnd-next",
            "Reported by: sro.pnd-next@met.police.uk at ",
        ] {
            assert!(
                mail.text.contains(needed),
                "{needed:?} missing from {}",
                mail.text
            );
        }
        assert!(
            mail.html
                .contains("Cloud &lt;b&gt;migration&lt;/b&gt; failed &amp; the contingency"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>migration"), "HTML is escaped");
        assert!(
            !message.raw.contains("argon2") && !message.raw.contains("secret"),
            "nothing secret"
        );
    }
    let ids: HashSet<String> = messages
        .iter()
        .map(|m| smtp::read(&m.raw).header("message-id").to_string())
        .collect();
    assert_eq!(ids.len(), 2, "a Message-ID of its own for each alert");
    let threads: HashSet<String> = messages
        .iter()
        .map(|m| smtp::read(&m.raw).header("references").to_string())
        .collect();
    assert_eq!(threads.len(), 1, "one thread per programme");

    // Leaving Red tells the owners too, in the same thread.
    report(&app, &token, "pnd-next", "amber_red", "Contingency funded.");
    let messages = smtp.wait_for(4, Duration::from_secs(10));
    let notice = smtp::read(&messages[3].raw);
    assert_eq!(
        notice.header("subject"),
        format!("[NO LONGER RED] {NAME} is now Amber/Red")
    );
    assert_eq!(
        notice.header("references"),
        threads.iter().next().unwrap().as_str()
    );
    report(&app, &token, "pnd-next", "green", "Delivered.");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        smtp.messages().len(),
        4,
        "an improvement outside Red sends nothing"
    );
    let sent = wait_for_alerts(&app, "status=sent&programme=pnd-next", |items| {
        items.len() == 4
    });
    assert!(sent.iter().all(|a| {
        a["message_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("<alert-"))
    }));
}

#[test]
fn red_transition_emails_each_owner_exactly_once_sqlite() {
    red_transition_emails_each_owner_exactly_once(TestDb::sqlite());
}

#[test]
fn red_transition_emails_each_owner_exactly_once_postgres() {
    red_transition_emails_each_owner_exactly_once(TestDb::postgres());
}

fn smtp_down_then_back_delivers_every_alert_once(db: TestDb) {
    let port = SmtpServer::unused_port();
    let app = with_smtp(db, format!("smtp://127.0.0.1:{port}"), 50);
    let mut tokens = Vec::new();
    for i in 0..4 {
        let code = format!("down-{i}");
        tokens.push((
            code.clone(),
            owned_programme(&app, &code, &format!("Programme {i}")).0,
        ));
    }
    for (code, token) in &tokens {
        report(&app, token, code, "red", "Down.");
    }
    // Every alert is tried, fails, and waits to be tried again.
    let pending = wait_for_alerts(&app, "status=pending", |items| {
        items.len() == 8 && items.iter().all(|a| a["attempts"].as_i64() >= Some(2))
    });
    assert!(
        pending[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{pending:#?}"
    );
    let smtp = SmtpServer::start_on(port);
    let messages = smtp.wait_for(8, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(800));
    let messages_after = smtp.messages();
    assert_eq!(messages_after.len(), 8, "none twice");
    let ids: HashSet<String> = messages
        .iter()
        .map(|m| smtp::read(&m.raw).header("message-id").to_string())
        .collect();
    assert_eq!(ids.len(), 8, "none lost");
    wait_for_alerts(&app, "status=sent", |items| items.len() == 8);
}

#[test]
fn smtp_down_then_back_delivers_every_alert_once_sqlite() {
    smtp_down_then_back_delivers_every_alert_once(TestDb::sqlite());
}

#[test]
fn smtp_down_then_back_delivers_every_alert_once_postgres() {
    smtp_down_then_back_delivers_every_alert_once(TestDb::postgres());
}

fn a_refusing_server_fails_the_alert_until_an_admin_retries(db: TestDb) {
    let smtp = SmtpServer::start();
    smtp.refuse(true);
    let app = with_smtp(db, smtp.url(), 3);
    let (token, _) = owned_programme(&app, "esn-next", "ESN next");
    report(&app, &token, "esn-next", "red", "Refused.");
    let failed = wait_for_alerts(&app, "status=failed&programme=esn-next", |items| {
        items.len() == 2
    });
    for alert in &failed {
        assert_eq!(alert["attempts"], 3);
        assert_eq!(alert["kind"], "turned_red");
        assert_eq!(alert["programme"], "esn-next");
        assert!(
            alert["last_error"].as_str().unwrap().contains("550"),
            "{alert}"
        );
    }
    assert!(smtp.messages().is_empty());
    let admin = app.admin();
    let auditor = app.user("nao@nao.org.uk", "auditor").1;
    assert_eq!(
        app.get("/api/v1/alerts?status=failed", &auditor).json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    app.get("/api/v1/alerts?status=lost", &admin).problem(422);
    app.get("/api/v1/alerts?programme=nope", &admin)
        .problem(422);
    app.send(
        "POST",
        &format!("/api/v1/alerts/{}/retry", failed[0]["id"]),
        Some(&auditor),
        None,
    )
    .problem(403);
    app.send("POST", "/api/v1/alerts/999999/retry", Some(&admin), None)
        .problem(404);

    smtp.refuse(false);
    let retried = app.send(
        "POST",
        &format!("/api/v1/alerts/{}/retry", failed[0]["id"]),
        Some(&admin),
        None,
    );
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(retried.json()["status"], "pending");
    let messages = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(
        messages[0].to,
        vec![failed[0]["recipient"].as_str().unwrap().to_string()]
    );
    wait_for_alerts(&app, "status=sent", |items| items.len() == 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        smtp.messages().len(),
        1,
        "the other failed alert stays failed until retried"
    );
    app.send(
        "POST",
        &format!("/api/v1/alerts/{}/retry", failed[0]["id"]),
        Some(&admin),
        None,
    )
    .problem(409);
    let audit = app.get("/api/v1/audit?entity=alert", &admin).json();
    assert_eq!(audit["items"][0]["action"], "retry");
    assert_eq!(audit["items"][0]["entity_id"], failed[0]["id"].to_string());
}

#[test]
fn a_refusing_server_fails_the_alert_until_an_admin_retries_sqlite() {
    a_refusing_server_fails_the_alert_until_an_admin_retries(TestDb::sqlite());
}

#[test]
fn a_refusing_server_fails_the_alert_until_an_admin_retries_postgres() {
    a_refusing_server_fails_the_alert_until_an_admin_retries(TestDb::postgres());
}

fn a_funding_cut_emails_the_owners(db: TestDb) {
    let smtp = SmtpServer::start();
    let app = with_smtp(db, smtp.url(), 5);
    owned_programme(&app, "cut-me", "Cut me");
    let finance = app.user("finance@homeoffice.gov.uk", "finance").1;
    let stream = app.post(
        "/api/v1/funding-streams",
        &finance,
        json!({"code": "cut-stream", "name": "Cut stream"}),
    );
    assert_eq!(stream.status, 201, "{}", stream.text);
    let envelope = app.send(
        "PUT",
        "/api/v1/funding-streams/cut-stream/envelopes/2025-26",
        Some(&finance),
        Some(&json!({"amount_pence": 10_000_000})),
    );
    assert!(envelope.status < 300, "{}", envelope.text);
    for (kind, amount) in [("allocation", 5_000_000), ("withdrawal", -1_250_000)] {
        let reply = app.post("/api/v1/funding-streams/cut-stream/allocations", &finance, json!({"programme": "cut-me", "financial_year": "2025-26", "amount_pence": amount, "kind": kind, "reason": "Spending review"}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let messages = smtp.wait_for(2, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(smtp.messages().len(), 2, "the allocation sends nothing");
    let mail = smtp::read(&messages[0].raw);
    assert!(
        mail.header("subject")
            .starts_with("[FUNDING REDUCED] Cut me"),
        "{}",
        mail.header("subject")
    );
    assert!(
        mail.text.contains("£12,500.00") && mail.text.contains("£37,500.00"),
        "{}",
        mail.text
    );
    // Cutting the envelope to nothing, withdrawing the rest in the same change, tells
    // them too.
    let cut = app.send(
        "PUT",
        "/api/v1/funding-streams/cut-stream/envelopes/2025-26",
        Some(&finance),
        Some(&json!({"amount_pence": 0, "basis": "Stream cut from 2025-26", "withdrawals": [{"programme": "cut-me", "withdraw_pence": 3_750_000}]})),
    );
    assert_eq!(cut.status, 200, "{}", cut.text);
    let messages = smtp.wait_for(4, Duration::from_secs(10));
    for message in &messages[2..] {
        let mail = smtp::read(&message.raw);
        assert!(
            mail.header("subject")
                .starts_with("[FUNDING REDUCED] Cut me")
        );
        assert!(
            mail.text.contains("£37,500.00") && mail.text.contains("Stream cut from 2025-26"),
            "{}",
            mail.text
        );
    }
}

#[test]
fn a_funding_cut_emails_the_owners_sqlite() {
    a_funding_cut_emails_the_owners(TestDb::sqlite());
}

#[test]
fn a_funding_cut_emails_the_owners_postgres() {
    a_funding_cut_emails_the_owners(TestDb::postgres());
}

#[test]
fn with_alerts_off_nothing_is_written_or_sent() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::spawn_with(TestDb::sqlite(), move |settings| {
        settings.alerts.smtp_url = Some(url.into());
        settings.alerts.rules.enabled = false;
    });
    let (token, _) = owned_programme(&app, "quiet", "Quiet");
    report(&app, &token, "quiet", "red", "Red, quietly.");
    std::thread::sleep(Duration::from_millis(400));
    assert!(smtp.messages().is_empty());
    assert_eq!(
        app.get("/api/v1/alerts", &app.admin()).json()["items"],
        json!([])
    );
}

/// The `.eml` files in `dir`, once there are `count` (or ten seconds have passed).
fn eml_files(dir: &std::path::Path, count: usize) -> Vec<std::path::PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= count || Instant::now() > deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_servers_writing_alerts_to_one_folder_keep_every_file() {
    let folder = tempfile::tempdir().unwrap();
    let spawn = |db| {
        TestApp::spawn_with(db, |settings| {
            settings.alerts.alert_dir = Some(folder.path().to_path_buf());
        })
    };
    let (first, second) = (spawn(TestDb::sqlite()), spawn(TestDb::postgres()));
    for app in [&first, &second] {
        let (token, _) = owned_programme(app, "shared", "Shared folder");
        report(app, &token, "shared", "red", "Red.");
    }
    let files = eml_files(folder.path(), 4);
    assert_eq!(files.len(), 4, "{files:?}");
    let bodies: HashSet<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert_eq!(bodies.len(), 4, "each file is its own message");
}

#[test]
fn with_no_smtp_server_alerts_are_written_as_eml_files() {
    let app = TestApp::sqlite();
    let (token, _) = owned_programme(&app, "files", "Files <programme>");
    report(&app, &token, "files", "red", "Red.");
    let files = eml_files(&app.alert_dir, 2);
    assert_eq!(files.len(), 2, "{files:?}");
    let mail = smtp::read(&std::fs::read_to_string(&files[0]).unwrap());
    assert_eq!(mail.header("subject"), "[RED] Files <programme> is now Red");
    assert!(mail.html.contains("Files &lt;programme&gt;"));
    // With no BEACON_PUBLIC_URL, links lead to the address the server listens on.
    let link = format!("{}/programmes/files", app.base);
    assert!(mail.text.contains(&link), "{link} not in {}", mail.text);
}

/// The worker in the server holds back while requests queue, but not for ever: under
/// load that never eases, a Red report's alerts still go out within seconds.
#[test]
fn a_busy_server_still_sends_alerts_within_seconds() {
    let smtp = SmtpServer::start();
    let app = with_smtp(TestDb::sqlite(), smtp.url(), 5);
    let (token, _) = owned_programme(&app, "busy-next", NAME);
    // One account per thread: the sign-in throttle counts a check in progress against
    // its account, so one account signing in many times at once would be turned away.
    let viewers: Vec<String> = (0..12)
        .map(|i| format!("viewer{i}@beacon.police.uk"))
        .collect();
    for viewer in &viewers {
        app.user(viewer, "viewer");
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let messages = std::thread::scope(|scope| {
        // More requests in hand than any machine here has cores, until the mail is in:
        // sign-ins, which wait their turn for the password hasher.
        for viewer in &viewers {
            let (app, done) = (&app, &done);
            scope.spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    app.token(viewer, beacon_tests::app::PASSWORD);
                }
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        report(&app, &token, "busy-next", "red", "Under load.");
        let messages = smtp.wait_for(2, Duration::from_secs(20));
        let waited = started.elapsed();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(
            waited < Duration::from_secs(15),
            "the alerts took {waited:?}"
        );
        messages
    });
    assert_eq!(messages.len(), 2);
}

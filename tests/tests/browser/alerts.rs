//! Admins see how alerts were delivered, and send a failed one again.

use std::time::{Duration, Instant};

use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp};
use beacon_tests::browser::Browser;
use beacon_tests::smtp::SmtpServer;
use beacon_tests::{TestDb, both_backends};
use serde_json::json;

fn a_failed_alert_is_shown_and_sent_again_on_retry(db: &TestDb) {
    let smtp = SmtpServer::start();
    smtp.refuse(true);
    let url = smtp.url();
    let app = TestApp::spawn_with(db.share(), move |settings| {
        settings.alerts.smtp_url = Some(url.into());
        settings.alerts.max_attempts = 1;
    });
    let (lead, token) = app.user("lead@norfolk.police.uk", "lead");
    app.own("esn", lead);
    let made = app.post(
        "/api/v1/programmes/esn/status-reports",
        &token,
        json!({"rating": "red", "rationale": "Supplier gone.", "period_end": "2026-10-31"}),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    let browser = Browser::start();
    browser.goto(&format!("{}/alerts?status=failed", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    while !browser.has("form[action$='/retry']") {
        assert!(Instant::now() < deadline, "the alert never failed");
        std::thread::sleep(Duration::from_millis(200));
        browser.goto(&format!("{}/alerts?status=failed", app.base));
    }
    let row = browser.text("table.table tbody tr");
    assert!(
        row.contains("lead@norfolk.police.uk") && row.contains("failed") && row.contains("550"),
        "{row}"
    );
    smtp.refuse(false);
    browser.click("form[action$='/retry'] button");
    assert_eq!(
        browser.text(".notification-banner-heading"),
        "The alert to lead@norfolk.police.uk will be sent again."
    );
    assert_eq!(smtp.wait_for(1, Duration::from_secs(20)).len(), 1);
    // An auditor reads the alerts but is offered no retry.
    app.user("auditor@nao.org.uk", "auditor");
    browser.click(".header-account button");
    browser.goto(&format!("{}/alerts", app.base));
    browser.sign_in("auditor@nao.org.uk", PASSWORD);
    assert_eq!(browser.text("h1"), "Alerts");
    assert!(!browser.has("form[action$='/retry']"));
}

both_backends!(fn alerts_page(db) {
    a_failed_alert_is_shown_and_sent_again_on_retry(db);
});

//! Auditors read the audit trail and check its chain in the browser.

use beacon_tests::api_test;
use beacon_tests::app::PASSWORD;
use beacon_tests::browser::Browser;

api_test!(fn an_auditor_reads_the_trail_and_sees_a_rewrite_found(app) {
    app.user("auditor@nao.org.uk", "auditor");
    app.user("viewer@norfolk.police.uk", "viewer");
    let browser = Browser::start();
    browser.goto(&format!("{}/", app.base));
    browser.sign_in("auditor@nao.org.uk", PASSWORD);
    browser.click(".header-nav a[href='/audit']");
    assert_eq!(browser.text("h1"), "Audit trail");
    let rows = browser.texts("table.table tbody tr");
    assert!(rows.len() > 10, "{}", rows.len());
    browser.choose("#entity", "user");
    browser.click("main form.filters button[type=submit]");
    let users = browser.texts("table.table tbody tr");
    assert!(!users.is_empty() && users.iter().all(|r| r.contains(" user ")), "{users:?}");
    browser.click("main a[href*='verify=yes']");
    assert!(browser.text(".notification-banner").starts_with("The chain is intact:"));
    app.db.tamper("UPDATE audit_log SET actor = 'nobody' WHERE seq = 17");
    browser.goto(&format!("{}/audit?verify=yes", app.base));
    let broken = browser.text(".error-summary");
    assert!(broken.contains("The chain is broken") && broken.contains("sequence number 17"), "{broken}");
    // A viewer has no such page.
    browser.click(".header-account button");
    browser.goto(&format!("{}/audit", app.base));
    browser.sign_in("viewer@norfolk.police.uk", PASSWORD);
    assert!(browser.text("main").contains("for the roles auditor and admin"));
    browser.goto(&format!("{}/", app.base));
    assert!(!browser.has(".header-nav a[href='/audit']"));
});

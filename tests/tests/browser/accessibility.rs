//! Every page, checked by axe-core in the browser for WCAG 2.2 A and AA, and pictured
//! for the README.

use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use beacon_tests::browser::Browser;

/// Asserts axe finds nothing serious or critical on the page.
fn checked(browser: &Browser, name: &str) {
    let problems = browser.accessibility_problems();
    assert!(problems.is_empty(), "{name}: {problems:#?}");
}

/// Checks the page and keeps its picture for the README.
fn pictured(browser: &Browser, name: &str) {
    checked(browser, name);
    browser.screenshot(name);
}

#[test]
fn every_page_meets_wcag_aa_as_axe_checks_it() {
    let app = TestApp::sqlite();
    let browser = Browser::start();
    browser.goto(&format!("{}/sign-in", app.base));
    pictured(&browser, "sign-in");
    browser.sign_in(ADMIN_EMAIL, "not the password at all");
    checked(&browser, "sign-in-error");
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    pictured(&browser, "portfolio");
    browser.goto(&format!("{}/?rating=red&stage=delivery", app.base));
    checked(&browser, "portfolio-filtered");
    browser.goto(&format!("{}/programmes/pnd-transformation", app.base));
    pictured(&browser, "programme");
    browser.goto(&format!("{}/programmes/live-facial-recognition", app.base));
    checked(&browser, "programme-with-money");
    browser.goto(&format!(
        "{}/programmes/pnd-transformation/report",
        app.base
    ));
    checked(&browser, "report");
    browser.click("#rating-amber");
    browser.click("main form button[type=submit]");
    pictured(&browser, "report-error");
    browser.goto(&format!("{}/funding", app.base));
    checked(&browser, "funding");
    browser.click("form[action='/funding/allocations'] button[type=submit]");
    assert!(
        browser.has(".error-summary"),
        "an empty form is refused: {} {}",
        browser.url(),
        browser.text("main")
    );
    checked(&browser, "funding-error");
    browser.goto(&format!("{}/funding/envelopes", app.base));
    browser.click("main form button[type=submit]");
    checked(&browser, "envelope-error");
    browser.goto(&format!("{}/funding/spend?programme=esn", app.base));
    checked(&browser, "spend");
    browser.click("main form button[type=submit]");
    checked(&browser, "spend-error");
    browser.goto(&format!(
        "{}/?overdue=on&capability=data-and-intelligence",
        app.base
    ));
    checked(&browser, "portfolio-overdue");
    browser.goto(&format!("{}/history?financial_year=2025-27", app.base));
    checked(&browser, "history-error");
    browser.goto(&format!("{}/history", app.base));
    pictured(&browser, "history");
    browser.goto(&format!("{}/audit?verify=yes", app.base));
    checked(&browser, "audit");
    browser.goto(&format!("{}/alerts", app.base));
    checked(&browser, "alerts");
    browser.goto(&format!("{}/users", app.base));
    checked(&browser, "users");
    browser.goto(&format!("{}/users/1", app.base));
    checked(&browser, "account");
    browser.goto(&format!("{}/programmes/no-such-programme", app.base));
    checked(&browser, "not-found");
    browser.goto(&format!("{}/no-such-page", app.base));
    assert!(
        browser
            .text("main")
            .contains("There is no page at /no-such-page")
    );
    checked(&browser, "no-such-page");
    // The check can fail: a field without its label is found.
    browser.goto(&format!("{}/", app.base));
    browser.run_script("document.querySelector('label[for=as_of]').remove()");
    let problems = browser.accessibility_problems();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("label:") && p.contains("#as_of")),
        "{problems:?}"
    );
}

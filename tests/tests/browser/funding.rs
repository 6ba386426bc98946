//! The portfolio office records funding through the funding page.

use beacon_tests::api_test;
use beacon_tests::app::PASSWORD;
use beacon_tests::browser::Browser;

fn allocate(browser: &Browser, amount: &str) {
    browser.choose("#stream", "facial-recognition-funding");
    browser.choose("#programme", "live-facial-recognition");
    browser.fill("#financial_year", "2024-25");
    browser.click("#kind");
    browser.fill("#amount", amount);
    browser.fill("#reason", "Second-year deployment vans");
    browser.click("form[action='/funding/allocations'] button[type=submit]");
}

/// The 2024-25 row of the facial recognition stream's table.
fn facial_recognition_2024(browser: &Browser) -> String {
    let section = browser.text("section[aria-labelledby='stream-facial-recognition-funding']");
    section
        .lines()
        .find(|l| l.starts_with("2024-25"))
        .unwrap_or_default()
        .to_string()
}

api_test!(fn an_allocation_over_the_envelope_shows_the_headroom_left(app) {
    app.user("finance@homeoffice.gov.uk", "finance");
    app.user("viewer@norfolk.police.uk", "viewer");
    let browser = Browser::start();
    browser.goto(&format!("{}/funding", app.base));
    browser.sign_in("finance@homeoffice.gov.uk", PASSWORD);
    allocate(&browser, "20,000,000");
    let summary = browser.text(".error-summary-list");
    assert_eq!(summary, "£20,000,000.00 would take the 2024-25 envelope of £13,875,000.00 over: only £9,875,000.00 is left");
    assert!(browser.text("#amount-error").ends_with(&summary));
    assert!(facial_recognition_2024(&browser).contains("£9,875,000.00"), "nothing was allocated");
    // What was typed is kept; within the headroom it is recorded.
    browser.fill("#amount", "1,000,000");
    browser.click("form[action='/funding/allocations'] button[type=submit]");
    let banner = browser.text(".notification-banner");
    assert!(banner.contains("Recorded: allocation £1,000,000.00"), "{banner}");
    assert!(facial_recognition_2024(&browser).contains("£8,875,000.00"), "{}", facial_recognition_2024(&browser));
    // A viewer sees the money but no form.
    browser.click(".header-account button");
    browser.goto(&format!("{}/funding", app.base));
    browser.sign_in("viewer@norfolk.police.uk", PASSWORD);
    assert!(!browser.has("form[action='/funding/allocations']"));
});

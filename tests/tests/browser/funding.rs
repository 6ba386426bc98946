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

/// The money-by-year table's row for 2024-25 on a programme's page.
fn programme_2024(browser: &Browser) -> String {
    browser
        .texts("#money-by-year ~ table tbody tr")
        .into_iter()
        .find(|r| r.starts_with("2024-25"))
        .unwrap_or_default()
}

api_test!(fn finance_sets_an_envelope_and_records_spend_through_the_forms(app) {
    app.user("finance@homeoffice.gov.uk", "finance");
    let browser = Browser::start();
    browser.goto(&format!("{}/funding", app.base));
    browser.sign_in("finance@homeoffice.gov.uk", PASSWORD);
    // The envelope's "Change" link opens the form with its stream and year.
    browser.click("a[href='/funding/envelopes?stream=facial-recognition-funding&financial_year=2024-25']");
    assert_eq!(browser.text("h1"), "Set an envelope");
    assert!(browser.is_selected("#stream option[value='facial-recognition-funding']"));
    // Below what is allocated: refused, saying what it would leave uncovered.
    browser.fill("#amount", "3,000,000");
    browser.fill("#basis", "In-year reduction");
    browser.click("main form button[type=submit]");
    let summary = browser.text(".error-summary-list");
    assert!(summary.contains("live-facial-recognition"), "{summary}");
    assert!(browser.text("#amount-error").ends_with(&summary));
    assert_eq!(envelope_2024(app), 1_387_500_000, "unchanged");
    browser.fill("#amount", "15,000,000");
    browser.click("main form button[type=submit]");
    let banner = browser.text(".notification-banner");
    assert!(banner.contains("for 2024-25 is now £15,000,000.00"), "{banner}");
    let row = facial_recognition_2024(&browser);
    assert!(row.contains("£15,000,000.00") && row.contains("£11,000,000.00"), "envelope and headroom: {row}");
    assert_eq!(envelope_2024(app), 1_500_000_000);

    // Spend, from the programme's page, lands back on it with the money moved.
    browser.goto(&format!("{}/programmes/live-facial-recognition", app.base));
    let before = programme_2024(&browser);
    browser.click("a[href='/funding/spend?programme=live-facial-recognition']");
    assert!(browser.is_selected("#programme option[value='live-facial-recognition']"));
    browser.fill("#financial_year", "2024-25");
    browser.click("#category-change");
    browser.fill("#amount", "-999,999,999");
    browser.fill("#description", "Correction");
    browser.click("main form button[type=submit]");
    let summary = browser.text(".error-summary-list");
    assert!(summary.contains("below zero") || summary.contains("below £0"), "{summary}");
    assert!(browser.is_selected("#category-change"), "the choice is kept");
    browser.fill("#amount", "250,000");
    browser.fill("#description", "Refit of a fifth van");
    browser.click("main form button[type=submit]");
    assert!(browser.url().ends_with("/programmes/live-facial-recognition"), "{}", browser.url());
    let banner = browser.text(".notification-banner");
    assert!(banner.contains("Recorded £250,000.00 spent on new capability"), "{banner}");
    assert_ne!(programme_2024(&browser), before, "the 2024-25 row moved");
    let mut conn = app.db.conn();
    let programme = beacon_db::programmes::get_by_code(&mut conn, "live-facial-recognition").unwrap();
    let year = "2024-25".parse().unwrap();
    let stored = beacon_db::totals::for_programme_year(&mut conn, programme.id, year).unwrap();
    assert!(programme_2024(&browser).contains(&stored.spent_change.to_string()));
});

/// The facial recognition stream's 2024-25 envelope, in pence, from the API.
fn envelope_2024(app: &beacon_tests::app::TestApp) -> i64 {
    let stream = app
        .get(
            "/api/v1/funding-streams/facial-recognition-funding",
            &app.admin(),
        )
        .json();
    let envelopes = stream["envelopes"].as_array().unwrap();
    let envelope = envelopes
        .iter()
        .find(|e| e["financial_year"] == "2024-25")
        .unwrap();
    envelope["amount_pence"].as_i64().unwrap()
}

api_test!(fn money_decided_earlier_is_recorded_with_the_day_it_took_effect(app) {
    let (_, auditor) = app.user("nao@audit.gov.uk", "auditor");
    app.user("finance@homeoffice.gov.uk", "finance");
    let browser = Browser::start();
    browser.goto(&format!("{}/funding", app.base));
    browser.sign_in("finance@homeoffice.gov.uk", PASSWORD);
    // A day not yet come is refused beside the field; what was typed is kept.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    browser.fill("#effective_on", &tomorrow.to_string());
    allocate(&browser, "100,000");
    assert!(browser.text("#effective_on-error").contains("in the future"), "{}", browser.text("#effective_on-error"));
    assert!(browser.text(".error-summary-list").contains("in the future"));
    browser.fill("#effective_on", "1 April");
    browser.click("form[action='/funding/allocations'] button[type=submit]");
    assert!(browser.text("#effective_on-error").contains("like 2025-04-01"));
    browser.fill("#effective_on", "2024-06-30");
    browser.click("form[action='/funding/allocations'] button[type=submit]");
    assert!(browser.text(".notification-banner").contains("Recorded: allocation £100,000.00"));
    // The history says when it took effect; a past date counts it from then.
    let history = app.get("/api/v1/funding/history?programme=live-facial-recognition&kind=allocation&limit=200", &auditor).json();
    let entry = history["items"].as_array().unwrap().iter().find(|r| r["amount_pence"] == 10_000_000).unwrap().clone();
    assert_eq!(entry["effective_on"], "2024-06-30", "{entry}");
    browser.goto(&format!("{}/history?programme=live-facial-recognition", app.base));
    assert!(browser.text("table").contains("30 June 2024"), "{}", browser.text("table"));
    let line = |day: &str| {
        let portfolio = app.get(&format!("/api/v1/portfolio?as_of={day}&financial_year=2024-25"), &auditor).json();
        portfolio["programmes"].as_array().unwrap().iter().find(|p| p["code"] == "live-facial-recognition").unwrap()["allocated_pence"].as_i64().unwrap()
    };
    assert_eq!(line("2024-06-30") - line("2024-06-29"), 10_000_000);
    // Spend, likewise, from the programme's page.
    browser.goto(&format!("{}/funding/spend?programme=live-facial-recognition", app.base));
    browser.fill("#financial_year", "2024-25");
    browser.click("#category");
    browser.fill("#amount", "5,000");
    browser.fill("#description", "Van fit-out");
    browser.fill("#effective_on", "2024-09-15");
    browser.click("main form button[type=submit]");
    assert!(browser.text(".notification-banner").contains("Recorded £5,000.00"), "{}", browser.text(".notification-banner"));
    let spend = app.get("/api/v1/funding/history?programme=live-facial-recognition&kind=spend&limit=200", &auditor).json();
    assert_eq!(spend["items"][0]["effective_on"], "2024-09-15", "{spend}");
});

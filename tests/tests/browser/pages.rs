//! What a person sees and does in the browser.

use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD};
use beacon_tests::browser::Browser;

api_test!(fn a_signed_out_visitor_signs_in_and_returns_to_the_page_they_asked_for(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/programmes/pnd-transformation", app.base));
    assert!(
        browser.url().contains("/sign-in?next=/programmes/pnd-transformation"),
        "{}",
        browser.url()
    );
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert!(browser.url().ends_with("/programmes/pnd-transformation"), "{}", browser.url());
    assert!(browser.text("h1").contains("Police National Database"));
    let rating = browser.text(".summary-list .tag");
    assert_eq!(rating, "Red");
    let chart = browser.text("figure.chart figcaption");
    assert!(chart.starts_with("Rating history to "), "{chart}");
    assert!(chart.contains("Red from"), "{chart}");
});

api_test!(fn the_portfolio_lists_the_police_national_database_as_red(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(browser.text("h1"), "Portfolio");
    let rows = browser.texts("table.table tbody tr");
    let pnd = rows
        .iter()
        .find(|row| row.contains("Police National Database"))
        .expect("the PND programme is listed");
    assert!(pnd.contains("Red"), "{pnd}");
    // This year has no money yet: the page says which year has, and shows it.
    browser.click("main a[href^='/?financial_year=']");
    assert!(browser.text(".lead").starts_with("Money for 20"), "{}", browser.text(".lead"));
    let rows = browser.texts("table.table tbody tr");
    let money = |row: &String| row.split_whitespace().any(|w| w.starts_with('£') && w != "£0.00");
    assert!(rows.iter().any(money), "{rows:?}");
    // Filtered to Red through the form, it is still there, and only Red rows are.
    browser.goto(&format!("{}/?rating=red", app.base));
    let tags = browser.texts("table.table tbody .tag:not(.tag-overdue)");
    assert!(!tags.is_empty() && tags.iter().all(|t| t == "Red"), "{tags:?}");
});

api_test!(fn a_wrong_password_is_told_and_the_email_kept(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/sign-in", app.base));
    browser.sign_in(ADMIN_EMAIL, "not the password at all");
    assert_eq!(browser.text(".error-summary-list"), "The email or password is wrong");
    assert!(browser.url().ends_with("/sign-in"), "{}", browser.url());
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(browser.text("h1"), "Portfolio");
    browser.click(".header-account button");
    assert!(browser.url().ends_with("/sign-in"), "{}", browser.url());
    browser.goto(&format!("{}/", app.base));
    assert!(browser.url().contains("/sign-in?next="), "signed out: {}", browser.url());
});

api_test!(fn the_funding_page_shows_each_streams_envelopes_and_headroom(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/funding", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    browser.click(".header-nav a[href='/funding']");
    assert_eq!(browser.text("h1"), "Funding");
    let section = browser.text("section[aria-labelledby='stream-facial-recognition-funding']");
    let year = section.lines().find(|l| l.starts_with("2024-25")).expect("a 2024-25 envelope");
    for figure in ["£13,875,000.00", "£4,000,000.00", "£9,875,000.00"] {
        assert!(year.contains(figure), "envelope, allocated, headroom: {year}");
    }
});

api_test!(fn the_funding_history_filters_and_downloads_its_rows(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/history", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    let all = browser.texts("table.table tbody tr").len();
    assert!(all > 10, "{all}");
    browser.fill("#programme", "live-facial-recognition");
    browser.click("main form.filters button[type=submit]");
    let rows = browser.texts("table.table tbody tr");
    assert!(!rows.is_empty() && rows.len() < all);
    assert!(rows.iter().all(|r| r.contains("live-facial-recognition")), "{rows:?}");
    // Each row shows its citable id, which the API answers for.
    assert!(rows.iter().all(|r| r.starts_with("ledger-") || r.starts_with("spend-")), "{rows:?}");
    browser.fill("#financial_year", "2025-27");
    browser.click("main form.filters button[type=submit]");
    assert_eq!(browser.text(".error-summary-list"), "Enter the financial year like 2025-26");
    browser.fill("#financial_year", "");
    browser.fill("#programme", "no-such-programme");
    browser.click("main form.filters button[type=submit]");
    assert!(browser.text(".error-summary-list").contains("no programme has the code 'no-such-programme'"));
});

api_test!(fn the_portfolio_sorts_by_a_column_and_filters_by_sponsor(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    browser.click("thead a[href*='sort=rating']");
    assert!(browser.has("th[aria-sort='ascending'] a[href*='sort=rating']"));
    let tags = browser.texts("table.table tbody .tag:not(.tag-overdue)");
    assert_eq!(tags.first().map(String::as_str), Some("Red"), "worst first: {tags:?}");
    assert_eq!(tags.last().map(String::as_str), Some("Not rated"), "{tags:?}");
    browser.choose("#sponsor", "Home Office");
    browser.click("main form.filters button[type=submit]");
    assert!(browser.url().contains("sort=rating"), "the order is kept: {}", browser.url());
    let rows = browser.texts("table.table tbody tr");
    assert!(!rows.is_empty());
    browser.goto(&format!("{}/?sponsor=No%20such%20sponsor", app.base));
    assert!(browser.text("main").contains("No programme matches these filters."));
});

api_test!(fn a_programme_page_shows_its_money_by_year_as_a_chart_and_a_table(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/programmes/live-facial-recognition", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    let mut conn = app.db.conn();
    let programme = beacon_db::programmes::get_by_code(&mut conn, "live-facial-recognition").unwrap();
    let stored = beacon_db::totals::for_programme(&mut conn, programme.id).unwrap();
    assert!(!stored.is_empty());
    let rows = browser.texts("#money-by-year ~ table tbody tr");
    for totals in &stored {
        let row = rows.iter().find(|r| r.starts_with(&totals.year.to_string())).expect("a row per year");
        for figure in [totals.allocated, totals.spent_run, totals.spent_change] {
            assert!(row.contains(&figure.to_string()), "{figure} not in {row}");
        }
    }
    let chart = browser.text("#money-by-year + figure figcaption");
    assert!(chart.contains("Allocated") && chart.contains("Spent on new capability"), "{chart}");
});

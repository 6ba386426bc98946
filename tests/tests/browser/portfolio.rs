//! The portfolio page: how each rating moved, who is overdue a report, and the
//! filters by capability and lead force.

use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use beacon_tests::browser::Browser;
use serde_json::json;

/// The portfolio table's row for the programme named `name`.
fn row(browser: &Browser, name: &str) -> String {
    browser
        .texts("table.table tbody tr")
        .into_iter()
        .find(|r| r.contains(name))
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

/// The codes listed, from each row's link.
fn codes(browser: &Browser) -> Vec<String> {
    let mut codes: Vec<String> = browser
        .texts("table.table tbody tr td:first-child .hint")
        .into_iter()
        .collect();
    codes.sort();
    codes
}

fn words(rating: &str) -> &'static str {
    match rating {
        "red" => "Red",
        "amber_red" => "Amber/Red",
        "amber" => "Amber",
        "amber_green" => "Amber/Green",
        _ => "Green",
    }
}

fn report(app: &TestApp, code: &str, rating: &str) {
    let reply = app.post(
        &format!("/api/v1/programmes/{code}/status-reports"),
        &app.admin(),
        json!({"rating": rating, "rationale": "Reported in a test", "period_end": "2026-09-30"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

api_test!(fn the_portfolio_shows_how_each_rating_moved_and_who_is_overdue_a_report(app) {
    // The Police National Database's rating before its current one, from its reports.
    let mut conn = app.db.conn();
    let pnd = beacon_db::programmes::get_by_code(&mut conn, "pnd-transformation").unwrap();
    let reports = beacon_db::status_reports::for_programme(&mut conn, pnd.id).unwrap();
    let current = reports[0].rating;
    let before = reports.iter().find(|r| r.rating != current).expect("rated more than once").rating;
    let order = ["red", "amber_red", "amber", "amber_green", "green"];
    let rank = |r: beacon_core::Rating| order.iter().position(|o| *o == r.as_str());
    let moved = if rank(current) < rank(before) { "Worse" } else { "Better" };

    let browser = Browser::start();
    browser.goto(&format!("{}/", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    let pnd_row = row(&browser, "Police National Database");
    assert!(pnd_row.contains(&format!("{moved}, was {}", words(before.as_str()))), "{pnd_row}");
    // Its last report was published long ago: more than the 35-day cadence.
    let last = reports[0].reported_at.date().format("%-d %B %Y").to_string();
    assert!(pnd_row.contains(&last) && pnd_row.contains("Overdue"), "{pnd_row}");

    // A report today: no longer overdue, and the move is from the rating it had.
    report(app, "pnd-transformation", "amber");
    browser.goto(&format!("{}/", app.base));
    let pnd_row = row(&browser, "Police National Database");
    let today = chrono::Utc::now().date_naive().format("%-d %B %Y").to_string();
    assert!(pnd_row.contains(&today) && !pnd_row.contains("Overdue"), "{pnd_row}");
    let was = format!("was {}", words(current.as_str()));
    assert!(pnd_row.contains(&was), "{pnd_row}");
    // Only the overdue: every row says so, and the programme just reported on is gone.
    browser.click("#overdue");
    browser.click("main form.filters button[type=submit]");
    let rows = browser.texts("table.table tbody tr");
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains("Overdue")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.contains("Police National Database")));
    // Ordered by last report, the oldest silence comes first and today's last.
    browser.goto(&format!("{}/?sort=reported", app.base));
    let rows = browser.texts("table.table tbody tr");
    assert!(rows.last().unwrap().contains("Police National Database"), "{rows:?}");
});

api_test!(fn the_portfolio_filters_by_capability_and_lead_force(app) {
    let programmes = beacon_db::programmes::list(&mut app.db.conn()).unwrap();
    let having = |pick: &dyn Fn(&beacon_db::records::Programme) -> bool| {
        let mut codes: Vec<String> = programmes.iter().filter(|p| pick(p)).map(|p| p.code.to_string()).collect();
        codes.sort();
        codes
    };
    let browser = Browser::start();
    browser.goto(&format!("{}/", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    browser.choose("#capability", "biometrics-and-forensics");
    browser.click("main form.filters button[type=submit]");
    let forensics = having(&|p| p.capability_area.as_str() == "biometrics-and-forensics");
    assert!(forensics.len() > 1);
    assert_eq!(codes(&browser), forensics);
    // The lead force is offered by name, and only forces that lead a programme are.
    let offered = browser.texts("#lead_force option");
    assert!(offered.contains(&"Norfolk Constabulary".to_string()), "{offered:?}");
    assert!(!offered.iter().any(|o| o.contains("Bedfordshire")), "{offered:?}");
    browser.choose("#capability", "");
    browser.choose("#lead_force", "norfolk");
    browser.click("main form.filters button[type=submit]");
    let norfolk = having(&|p| p.lead_force.as_ref().is_some_and(|f| f.as_str() == "norfolk"));
    assert_eq!(codes(&browser), norfolk);
    assert!(browser.is_selected("#lead_force option[value='norfolk']"), "the choice is kept");
});

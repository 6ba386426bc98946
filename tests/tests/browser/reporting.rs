//! A programme lead reports a status through the form.

use std::time::Duration;

use beacon_tests::app::{PASSWORD, TestApp};
use beacon_tests::browser::Browser;
use beacon_tests::smtp::{self, SmtpServer};
use beacon_tests::{TestDb, both_backends};

const LEAD: &str = "lead@norfolk.police.uk";

/// A server that emails through `smtp`, with `esn` owned by a lead and a deputy.
fn with_owners(db: TestDb, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    let app = TestApp::spawn_with(db, move |settings| {
        settings.alerts.smtp_url = Some(url.into());
    });
    let (lead, _) = app.user(LEAD, "lead");
    let (deputy, _) = app.user("deputy@norfolk.police.uk", "lead");
    app.own("esn", lead);
    app.own("esn", deputy);
    app
}

fn a_lead_reports_red_and_the_owners_are_emailed_a_link_to_the_page(db: &TestDb) {
    let smtp = SmtpServer::start();
    let app = with_owners(db.share(), &smtp);
    let browser = Browser::start();
    browser.goto(&format!("{}/programmes/esn/report", app.base));
    browser.sign_in(LEAD, PASSWORD);
    assert_eq!(browser.text("h1"), "Report delivery confidence");
    // Amber without a rationale: the error summary says what to do, and keeps the choice.
    browser.click("#rating-amber");
    browser.click("main form button[type=submit]");
    let summary = browser.text(".error-summary-list");
    assert_eq!(
        summary,
        "Enter a rationale: say why delivery confidence is Amber, below green"
    );
    assert!(
        browser.is_selected("#rating-amber"),
        "the rating chosen is kept"
    );
    browser.click("#rating");
    browser.fill(
        "#rationale",
        "Airwave extension unfunded; supplier failed assurance.",
    );
    browser.click("main form button[type=submit]");
    assert!(
        browser.url().ends_with("/programmes/esn"),
        "{}",
        browser.url()
    );
    let banner = browser.text(".notification-banner");
    assert!(
        banner.contains("Your report was recorded: Red."),
        "{banner}"
    );
    assert!(
        banner.contains("The programme turned Red: 2 people are being emailed."),
        "{banner}"
    );
    assert_eq!(browser.text(".summary-list .tag"), "Red");
    // The portfolio shows it, and each owner's email links to the programme's page.
    browser.goto(&format!("{}/?rating=red", app.base));
    assert!(
        browser
            .texts("table.table tbody tr")
            .iter()
            .any(|r| r.contains("Emergency Services"))
    );
    let mails = smtp.wait_for(2, Duration::from_secs(20));
    assert_eq!(mails.len(), 2);
    let mail = smtp::read(&mails[0].raw);
    let link = format!("{}/programmes/esn", app.base);
    assert!(mail.text.contains(&link), "{link} not in {}", mail.text);
    browser.goto(&link);
    assert_eq!(browser.text(".summary-list .tag"), "Red");
    // An owner sees the alerts written about it: one to each owner.
    let alerts = browser.texts("#alerts + table tbody tr");
    for owner in [LEAD, "deputy@norfolk.police.uk"] {
        assert!(
            alerts
                .iter()
                .any(|a| a.contains("Turned Red") && a.contains(owner)),
            "{owner}: {alerts:?}"
        );
    }
    assert!(
        browser
            .text("table.table tbody tr")
            .contains("Airwave extension unfunded")
    );
}

both_backends!(fn a_lead_reports_red_through_the_form(db) {
    a_lead_reports_red_and_the_owners_are_emailed_a_link_to_the_page(db);
});

fn only_owning_leads_and_admins_are_offered_the_form(db: &TestDb) {
    let smtp = SmtpServer::start();
    let app = with_owners(db.share(), &smtp);
    app.user("viewer@norfolk.police.uk", "viewer");
    let browser = Browser::start();
    browser.goto(&format!("{}/programmes/esn", app.base));
    browser.sign_in(LEAD, PASSWORD);
    assert!(
        browser.has("a[href='/programmes/esn/report']"),
        "the owner is offered the form"
    );
    browser.goto(&format!("{}/programmes/hob", app.base));
    assert!(
        !browser.has("a[href='/programmes/hob/report']"),
        "not an owner: no form"
    );
    assert!(!browser.has("#alerts"), "not an owner: no alerts");
    browser.goto(&format!("{}/programmes/hob/report", app.base));
    assert!(browser.text("main").contains("Only the programme's owners"));
    assert!(
        browser.has(".header-account button"),
        "the refusal keeps the menu"
    );
    browser.goto(&format!("{}/", app.base));
    browser.click(".header-account button");
    browser.goto(&format!("{}/programmes/esn", app.base));
    browser.sign_in("viewer@norfolk.police.uk", PASSWORD);
    assert!(!browser.has("main form"), "a viewer sees no forms");
    assert!(!browser.has("#alerts"), "nor the alerts");
    assert!(!browser.has("a[href='/programmes/esn/report']"));
}

both_backends!(fn the_form_is_for_owners(db) {
    only_owning_leads_and_admins_are_offered_the_form(db);
});

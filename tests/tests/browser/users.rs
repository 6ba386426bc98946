//! Admins manage accounts and owners in the browser.

use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD};
use beacon_tests::browser::Browser;

const LEAD: &str = "new.lead@norfolk.police.uk";

api_test!(fn an_admin_adds_a_lead_makes_them_an_owner_and_manages_their_account(app) {
    let browser = Browser::start();
    browser.goto(&format!("{}/users", app.base));
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    browser.fill("#email", LEAD);
    browser.choose("#role", "lead");
    browser.fill("#password", "password1234");
    browser.click("form[action='/users'] button[type=submit]");
    assert_eq!(browser.text(".error-summary-list"), "The password is too common to be safe; choose a longer phrase of unrelated words");
    browser.fill("#password", "quiet harbour lantern morning");
    browser.click("form[action='/users'] button[type=submit]");
    assert_eq!(browser.text(".notification-banner-heading"), format!("Added {LEAD} as lead."));
    browser.click("table a[href^='/users/']:not([href='/users/1'])");
    assert_eq!(browser.text("h1"), LEAD);
    browser.choose("#programme", "esn");
    browser.click("form[action$='/owns'] button[type=submit]");
    assert_eq!(browser.text(".notification-banner-heading"), "Now owns esn.");
    assert!(browser.text("ul.list").contains("Emergency Services Network"));
    browser.click("button.button-warning");
    assert!(browser.text(".notification-banner-heading").starts_with("Deactivated"));
    // The programme page lists them as its owner; a deactivated lead cannot sign in.
    let id = browser.url().rsplit('/').next().unwrap().to_string();
    browser.click(".header-account button");
    browser.goto(&format!("{}/sign-in", app.base));
    browser.sign_in(LEAD, "quiet harbour lantern morning");
    assert_eq!(browser.text(".error-summary-list"), "The email or password is wrong");
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    browser.goto(&format!("{}/users/{id}", app.base));
    browser.click("input[name=active][value=yes] + button");
    assert_eq!(browser.text(".notification-banner-heading"), "Active again: they may sign in.");
    assert!(browser.text("main").contains("Role: lead; active."), "{}", browser.text("main"));
    // An admin cannot deactivate themselves: told why, in the error summary.
    browser.goto(&format!("{}/users/1", app.base));
    browser.click("button.button-warning");
    assert_eq!(
        browser.text(".error-summary-list"),
        "You cannot disable yourself or give up your own admin role; ask another admin"
    );
});

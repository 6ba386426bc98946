//! What a newcomer meets in the first hour: settings that name an admin on a database
//! made by an earlier start.

use beacon_core::Email;
use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use beacon_tests::inspect;
use serde_json::json;

fn sign_in(app: &TestApp, email: &str, password: &str) -> u16 {
    app.send(
        "POST",
        "/api/v1/auth/token",
        None,
        Some(&json!({"email": email, "password": password})),
    )
    .status
}

api_test!(fn admin_settings_on_an_existing_database_create_the_missing_account(app) {
    let email = "portfolio.office@example.police.uk";
    let password = "another long admin password";
    let again = TestApp::spawn_with(app.db.share(), |settings| {
        settings.admin_email = Some(Email::parse(email).unwrap());
        settings.admin_password = Some(password.into());
    });
    let token = again.token(email, password);
    let me = again.get("/api/v1/me", &token).json();
    assert_eq!(me["role"], "admin");
    let made = inspect::audit_for(&mut again.db.conn(), "user", &me["id"].to_string());
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].action, "create");
    assert!(made[0].actor.contains("beacon serve"), "{:?}", made[0]);
    // The admin of the earlier start is still there, as it was.
    assert_eq!(sign_in(&again, ADMIN_EMAIL, ADMIN_PASSWORD), 200);
    drop(again);
    // A third start with the same settings finds the account and makes nothing.
    let third = TestApp::spawn_with(app.db.share(), |settings| {
        settings.admin_email = Some(Email::parse(email).unwrap());
        settings.admin_password = Some(password.into());
    });
    let users = third.get("/api/v1/users", &third.admin()).json();
    let named = users["items"].as_array().unwrap().iter().filter(|u| u["email"] == email).count();
    assert_eq!(named, 1);
});

api_test!(fn admin_settings_never_overwrite_an_existing_password(app) {
    let again = TestApp::spawn_with(app.db.share(), |settings| {
        settings.admin_password = Some("a different admin password".into());
    });
    assert_eq!(sign_in(&again, ADMIN_EMAIL, "a different admin password"), 401);
    assert_eq!(sign_in(&again, ADMIN_EMAIL, ADMIN_PASSWORD), 200);
});

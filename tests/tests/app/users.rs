use beacon_api::app::{self, AppError};
use beacon_core::{Email, Role};
use beacon_db::users::UserChange;
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn created_users_are_found_by_normalised_email(db) {
    let mut conn = db.conn();
    let created = app::users::create(&mut conn, &admin(), &Email::parse(" Jo.Lead@Met.Police.UK ").unwrap(), Role::Lead, "hash").unwrap();
    assert_eq!(created.email.as_str(), "jo.lead@met.police.uk");
    assert!(created.active);
    let found = app::users::credentials(&mut conn, &Email::parse("jo.lead@met.police.uk").unwrap()).unwrap().unwrap();
    assert_eq!(found.user, created);
    assert_eq!(app::users::get(&mut conn, &admin(), created.id).unwrap(), created);
    assert_eq!(app::users::list(&mut conn, &admin(), None, 100).unwrap(), vec![created]);
});

both_backends!(fn an_email_can_only_be_used_once(db) {
    let mut conn = db.conn();
    user(&mut conn, "a@force.police.uk", Role::Viewer);
    let error = app::users::create(&mut conn, &admin(), &Email::parse("A@force.police.uk").unwrap(), Role::Admin, "h").unwrap_err();
    assert!(matches!(error, AppError::Conflict(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "users"), 1);
});

both_backends!(fn an_unknown_user_is_not_found(db) {
    let mut conn = db.conn();
    let error = app::users::get(&mut conn, &admin(), 999).unwrap_err();
    assert!(matches!(error, AppError::NotFound(ref m) if m.contains("user")), "{error:?}");
    let error = app::users::update(&mut conn, &admin(), 999, &UserChange::default()).unwrap_err();
    assert!(matches!(error, AppError::NotFound(_)), "{error:?}");
});

both_backends!(fn changes_to_a_user_are_audited_without_the_hash(db) {
    let mut conn = db.conn();
    let created = user(&mut conn, "jo@force.police.uk", Role::Viewer);
    let changed = app::users::update(&mut conn, &admin(), created.id, &UserChange { role: Some(Role::Finance), active: Some(false), password_hash: None }).unwrap();
    assert_eq!(changed.role, Role::Finance);
    assert!(!changed.active);
    let reset = app::users::update(&mut conn, &admin(), created.id, &UserChange { password_hash: Some("new-secret-hash".into()), ..UserChange::default() }).unwrap();
    assert_eq!(reset.role, Role::Finance);
    let credentials = app::users::credentials(&mut conn, &created.email).unwrap().unwrap();
    assert_eq!(credentials.password_hash, "new-secret-hash");
    assert_eq!(credentials.user, reset);

    let trail = trail(&mut conn, "user", &created.id.to_string());
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "reset_password"]);
    assert!(trail[1].before.as_deref().unwrap().contains("\"role\":\"viewer\""));
    assert!(trail[1].after.as_deref().unwrap().contains("\"role\":\"finance\""));
    for entry in &trail {
        let text = format!("{:?}{:?}", entry.before, entry.after);
        assert!(!text.contains("hash"), "audit entry leaks the hash: {text}");
    }
    assert_eq!(trail[0].actor, "test");
});

both_backends!(fn only_an_admin_manages_users_and_nobody_demotes_themselves(db) {
    let mut conn = db.conn();
    let lead = user(&mut conn, "lead@force.police.uk", Role::Lead);
    let admin_user = user(&mut conn, "admin@force.police.uk", Role::Admin);
    let email = Email::parse("new@force.police.uk").unwrap();
    let error = app::users::create(&mut conn, &as_user(&lead), &email, Role::Viewer, "h").unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    assert!(matches!(app::users::list(&mut conn, &as_user(&lead), None, 100), Err(AppError::Denied(_))));
    let demote = UserChange { role: Some(Role::Viewer), ..UserChange::default() };
    let error = app::users::update(&mut conn, &as_user(&admin_user), admin_user.id, &demote).unwrap_err();
    assert!(matches!(error, AppError::Conflict(_)), "{error:?}");
    assert_eq!(app::users::get(&mut conn, &admin(), admin_user.id).unwrap().role, Role::Admin);
    assert_eq!(rows(&mut conn, "users"), 2);
});

both_backends!(fn a_named_user_acts_as_themselves_unless_deactivated(db) {
    let mut conn = db.conn();
    let lead = user(&mut conn, "lead@force.police.uk", Role::Lead);
    let found = app::users::by_email(&mut conn, &admin(), &Email::parse("Lead@Force.Police.UK").unwrap()).unwrap();
    assert_eq!(found, lead);
    let caller = app::users::acting_as(&mut conn, &lead.email).unwrap();
    assert_eq!(caller, as_user(&lead));
    let nobody = Email::parse("nobody@force.police.uk").unwrap();
    let error = app::users::acting_as(&mut conn, &nobody).unwrap_err();
    assert!(matches!(error, AppError::NotFound(ref m) if m.contains("nobody@force.police.uk")), "{error:?}");
    let error = app::users::by_email(&mut conn, &as_user(&lead), &lead.email).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "only an admin looks users up: {error:?}");
    app::users::update(&mut conn, &admin(), lead.id, &UserChange { active: Some(false), ..UserChange::default() }).unwrap();
    let error = app::users::acting_as(&mut conn, &lead.email).unwrap_err();
    assert!(matches!(error, AppError::Conflict(ref m) if m.contains("deactivated")), "{error:?}");
});

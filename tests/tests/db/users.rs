use beacon_core::{Email, Role};
use beacon_db::users::{self, UserChange};
use beacon_db::{DbError, audit};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn created_users_are_found_by_normalised_email(db) {
    let mut conn = db.conn();
    let created = users::create(&mut conn, &actor(), &Email::parse(" Jo.Lead@Met.Police.UK ").unwrap(), Role::Lead, "hash").unwrap();
    assert_eq!(created.email, "jo.lead@met.police.uk");
    assert!(created.active);
    let found = users::find_by_email(&mut conn, &Email::parse("jo.lead@met.police.uk").unwrap()).unwrap().unwrap();
    assert_eq!(found, created);
    assert_eq!(users::get(&mut conn, created.id).unwrap(), created);
    assert_eq!(users::list(&mut conn).unwrap(), vec![created]);
});

both_backends!(fn an_email_can_only_be_used_once(db) {
    let mut conn = db.conn();
    user(&mut conn, "a@force.police.uk", Role::Viewer);
    let error = users::create(&mut conn, &actor(), &Email::parse("A@force.police.uk").unwrap(), Role::Admin, "h").unwrap_err();
    assert!(matches!(error, DbError::Conflict(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "users"), 1);
});

both_backends!(fn an_unknown_user_is_not_found(db) {
    let mut conn = db.conn();
    assert!(matches!(users::get(&mut conn, 999), Err(DbError::NotFound { entity: "user", .. })));
    assert!(users::update(&mut conn, &actor(), 999, &UserChange::default()).is_err());
});

both_backends!(fn changes_to_a_user_are_audited_without_the_hash(db) {
    let mut conn = db.conn();
    let created = user(&mut conn, "jo@force.police.uk", Role::Viewer);
    let changed = users::update(&mut conn, &actor(), created.id, &UserChange { role: Some(Role::Finance), active: Some(false), password_hash: None }).unwrap();
    assert_eq!(changed.role, "finance");
    assert!(!changed.active);
    let reset = users::update(&mut conn, &actor(), created.id, &UserChange { password_hash: Some("new-secret-hash".into()), ..UserChange::default() }).unwrap();
    assert_eq!(reset.password_hash, "new-secret-hash");
    assert_eq!(reset.role, "finance");

    let trail = audit::for_entity(&mut conn, "user", &created.id.to_string()).unwrap();
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

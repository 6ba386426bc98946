use beacon_core::{ForceId, Role};
use beacon_db::{DbError, audit, forces, programmes};
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn a_programme_is_stored_as_given(db) {
    let mut conn = db.conn();
    let input = programme_input("pnd-transformation");
    let row = programmes::create(&mut conn, &actor(), &input).unwrap();
    assert_eq!(row.code, "pnd-transformation");
    assert_eq!(row.stage, "delivery");
    assert_eq!(row.whole_life_cost_pence, Some(28_264_000_000));
    assert_eq!(row.start_date, Some(day("2021-04-01")));
    assert_eq!(row.current_rating, None);
    assert_eq!(row.version, 1);
    assert_eq!(programmes::get_by_code(&mut conn, "pnd-transformation").unwrap(), row);
    assert_eq!(programmes::list(&mut conn).unwrap(), vec![row.clone()]);
    assert_eq!(programmes::count(&mut conn).unwrap(), 1);
    let trail = audit::for_entity(&mut conn, "programme", "pnd-transformation").unwrap();
    assert_eq!(trail.len(), 1);
    assert!(trail[0].before.is_none());
    assert!(trail[0].after.as_deref().unwrap().contains("\"whole_life_cost_pence\":28264000000"));
});

both_backends!(fn codes_are_unique(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    let error = programmes::create(&mut conn, &actor(), &programme_input("esn")).unwrap_err();
    assert!(matches!(error, DbError::Conflict(ref m) if m.contains("'esn' already exists")), "{error:?}");
});

both_backends!(fn a_lead_force_must_exist(db) {
    let mut conn = db.conn();
    let mut input = programme_input("ndas");
    input.lead_force = Some(ForceId::parse("west-midlands").unwrap());
    let error = programmes::create(&mut conn, &actor(), &input).unwrap_err();
    match error {
        DbError::Invalid(errors) => assert_eq!(errors.fields()[0].field, "lead_force"),
        other => panic!("expected a field error, got {other:?}"),
    }
    assert_eq!(rows(&mut conn, "programmes"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), 0);

    let force = beacon_core::Force { id: ForceId::parse("west-midlands").unwrap(), name: "West Midlands Police".into(), ons_code: "E23000014".into(), country: "England".into() };
    forces::insert_if_missing(&mut conn, &actor(), &force).unwrap();
    let row = programmes::create(&mut conn, &actor(), &input).unwrap();
    assert_eq!(row.lead_force_id.as_deref(), Some("west-midlands"));
});

both_backends!(fn updates_refuse_a_stale_version(db) {
    let mut conn = db.conn();
    let created = programme(&mut conn, "hob");
    let mut changed = programme_input("hob");
    changed.name = "Home Office Biometrics".into();
    let updated = programmes::update(&mut conn, &actor(), "hob", &changed, Some(created.version)).unwrap();
    assert_eq!(updated.name, "Home Office Biometrics");
    assert_eq!(updated.version, created.version + 1);

    changed.name = "Lost update".into();
    let error = programmes::update(&mut conn, &actor(), "hob", &changed, Some(created.version)).unwrap_err();
    assert!(matches!(error, DbError::Stale(_)), "{error:?}");
    assert_eq!(programmes::get_by_code(&mut conn, "hob").unwrap().name, "Home Office Biometrics");

    let trail = audit::for_entity(&mut conn, "programme", "hob").unwrap();
    assert_eq!(trail.len(), 2);
    assert!(trail[1].before.as_deref().unwrap().contains("Programme hob"));
    assert!(trail[1].after.as_deref().unwrap().contains("Home Office Biometrics"));
});

both_backends!(fn owners_are_added_listed_and_removed(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "eagle-x");
    let lead = user(&mut conn, "lead@norfolk.police.uk", Role::Lead);
    let deputy = user(&mut conn, "deputy@norfolk.police.uk", Role::Lead);
    assert!(programmes::add_owner(&mut conn, &actor(), p.id, lead.id).unwrap());
    assert!(programmes::add_owner(&mut conn, &actor(), p.id, deputy.id).unwrap());
    assert!(!programmes::add_owner(&mut conn, &actor(), p.id, lead.id).unwrap(), "adding twice changes nothing");
    let owners: Vec<String> = programmes::owners(&mut conn, p.id).unwrap().into_iter().map(|u| u.email).collect();
    assert_eq!(owners, ["lead@norfolk.police.uk", "deputy@norfolk.police.uk"]);

    programmes::remove_owner(&mut conn, &actor(), p.id, lead.id).unwrap();
    assert_eq!(programmes::owners(&mut conn, p.id).unwrap().len(), 1);
    assert!(matches!(programmes::remove_owner(&mut conn, &actor(), p.id, lead.id), Err(DbError::NotFound { .. })));
    assert!(matches!(programmes::add_owner(&mut conn, &actor(), p.id, 999), Err(DbError::NotFound { entity: "user", .. })));

    let trail = audit::for_entity(&mut conn, "programme_owner", &format!("eagle-x/{}", lead.id)).unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["add_owner", "remove_owner"]);
});

use beacon_api::app::programmes::ProgrammePatch;
use beacon_api::app::{self, AppError};
use beacon_core::{ForceId, Pence, Role, Stage};
use beacon_db::programmes::Filter;
use beacon_tests::both_backends;

use crate::support::*;

both_backends!(fn a_programme_is_stored_as_given(db) {
    let mut conn = db.conn();
    let input = programme_input("pnd-transformation");
    let row = app::programmes::register(&mut conn, &admin(), &input).unwrap();
    assert_eq!(row.code.as_str(), "pnd-transformation");
    assert_eq!(row.stage, Stage::Delivery);
    assert_eq!(row.whole_life_cost, Some(Pence::new(28_264_000_000)));
    assert_eq!(row.start_date, Some(day("2021-04-01")));
    assert_eq!(row.rating, None);
    assert_eq!(row.version, 1);
    assert_eq!(programme_now(&mut conn, "pnd-transformation"), row);
    let listed: Vec<_> = app::register::list(&mut conn, &Default::default(), &Filter::default(), None, 100, None).unwrap().into_iter().map(|d| d.programme).collect();
    assert_eq!(listed, vec![row.clone()]);
    assert_eq!(rows(&mut conn, "programmes"), 1);
    let trail = trail(&mut conn, "programme", "pnd-transformation");
    assert_eq!(trail.len(), 1);
    assert!(trail[0].before.is_none());
    assert!(trail[0].after.as_deref().unwrap().contains("\"whole_life_cost_pence\":28264000000"));
});

both_backends!(fn codes_are_unique(db) {
    let mut conn = db.conn();
    programme(&mut conn, "esn");
    let error = app::programmes::register(&mut conn, &admin(), &programme_input("esn")).unwrap_err();
    assert!(matches!(error, AppError::Conflict(ref m) if m.contains("'esn' already exists")), "{error:?}");
    assert_eq!(rows(&mut conn, "programmes"), 1);
});

both_backends!(fn a_lead_force_must_exist(db) {
    let mut conn = db.conn();
    let mut input = programme_input("ndas");
    input.lead_force = Some(ForceId::parse("west-midlands").unwrap());
    let error = app::programmes::register(&mut conn, &admin(), &input).unwrap_err();
    match error {
        AppError::Invalid(errors) => assert_eq!(errors.fields()[0].field, "lead_force"),
        other => panic!("expected a field error, got {other:?}"),
    }
    assert_eq!(rows(&mut conn, "programmes"), 0);
    assert_eq!(rows(&mut conn, "audit_log"), 0);

    // Forces are reference data, added by the seed loader through storage.
    let force = beacon_core::Force { id: ForceId::parse("west-midlands").unwrap(), name: "West Midlands Police".into(), ons_code: "E23000014".into(), country: "England".into() };
    let actor = admin().actor;
    beacon_db::write_transaction(&mut conn, |tx| beacon_db::forces::insert_if_missing(tx, &actor, &force)).unwrap();
    let row = app::programmes::register(&mut conn, &admin(), &input).unwrap();
    assert_eq!(row.lead_force.as_ref().map(ForceId::as_str), Some("west-midlands"));
});

both_backends!(fn updates_refuse_a_stale_version(db) {
    let mut conn = db.conn();
    let created = programme(&mut conn, "hob");
    let rename = |name: &str| ProgrammePatch { name: Some(name.into()), ..ProgrammePatch::default() };
    let updated = app::programmes::update(&mut conn, &admin(), "hob", rename("Home Office Biometrics"), Some(created.version)).unwrap();
    assert_eq!(updated.name, "Home Office Biometrics");
    assert_eq!(updated.version, created.version + 1);

    let error = app::programmes::update(&mut conn, &admin(), "hob", rename("Lost update"), Some(created.version)).unwrap_err();
    assert!(matches!(error, AppError::Stale(_)), "{error:?}");
    assert_eq!(programme_now(&mut conn, "hob").name, "Home Office Biometrics");

    let trail = trail(&mut conn, "programme", "hob");
    assert_eq!(trail.len(), 2);
    assert!(trail[1].before.as_deref().unwrap().contains("Programme hob"));
    assert!(trail[1].after.as_deref().unwrap().contains("Home Office Biometrics"));
});

both_backends!(fn only_an_admin_registers_or_changes_programmes(db) {
    let mut conn = db.conn();
    programme(&mut conn, "hob");
    let finance = user(&mut conn, "finance@force.police.uk", Role::Finance);
    let error = app::programmes::register(&mut conn, &as_user(&finance), &programme_input("esn")).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    let patch = ProgrammePatch { name: Some("Renamed".into()), ..ProgrammePatch::default() };
    let error = app::programmes::update(&mut conn, &as_user(&finance), "hob", patch, None).unwrap_err();
    assert!(matches!(error, AppError::Denied(_)), "{error:?}");
    assert_eq!(rows(&mut conn, "programmes"), 1);
    assert_eq!(programme_now(&mut conn, "hob").name, "Programme hob");
});

both_backends!(fn owners_are_added_listed_and_removed(db) {
    let mut conn = db.conn();
    let p = programme(&mut conn, "eagle-x");
    let lead = user(&mut conn, "lead@norfolk.police.uk", Role::Lead);
    let deputy = user(&mut conn, "deputy@norfolk.police.uk", Role::Lead);
    assert!(app::programmes::add_owner(&mut conn, &admin(), "eagle-x", lead.id).unwrap());
    assert!(app::programmes::add_owner(&mut conn, &admin(), "eagle-x", deputy.id).unwrap());
    assert!(!app::programmes::add_owner(&mut conn, &admin(), "eagle-x", lead.id).unwrap(), "adding twice changes nothing");
    let detail = app::register::get(&mut conn, &Default::default(), "eagle-x", None).unwrap();
    let owners: Vec<String> = detail.owners.into_iter().map(|o| o.email).collect();
    assert_eq!(owners, ["lead@norfolk.police.uk", "deputy@norfolk.police.uk"]);
    assert_eq!(detail.programme.version, p.version + 2, "a change of owners is a new version");

    app::programmes::remove_owner(&mut conn, &admin(), "eagle-x", lead.id).unwrap();
    assert_eq!(app::register::get(&mut conn, &Default::default(), "eagle-x", None).unwrap().owners.len(), 1);
    assert!(matches!(app::programmes::remove_owner(&mut conn, &admin(), "eagle-x", lead.id), Err(AppError::NotFound(_))));
    let error = app::programmes::add_owner(&mut conn, &admin(), "eagle-x", 999).unwrap_err();
    assert!(matches!(error, AppError::NotFound(ref m) if m.contains("user")), "{error:?}");

    let trail = trail(&mut conn, "programme_owner", &format!("eagle-x/{}", lead.id));
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["add_owner", "remove_owner"]);
});

use beacon_api::app::{self, AppError};
use beacon_core::{Force, ForceId};
use beacon_db::{DbConnection, forces, write_transaction};
use beacon_tests::both_backends;

use crate::support::*;

fn force(id: &str, name: &str, ons: &str) -> Force {
    Force {
        id: ForceId::parse(id).unwrap(),
        name: name.into(),
        ons_code: ons.into(),
        country: "England".into(),
    }
}

/// Forces are reference data with no use case of their own (the seed loads them):
/// added here through storage, as the seed loader adds them.
fn add(conn: &mut DbConnection, force: &Force) -> bool {
    let actor = admin().actor;
    write_transaction(conn, |tx| forces::insert_if_missing(tx, &actor, force)).unwrap()
}

both_backends!(fn forces_are_added_once_and_listed_by_name(db) {
    let mut conn = db.conn();
    assert!(add(&mut conn, &force("norfolk", "Norfolk Constabulary", "E23000026")));
    assert!(add(&mut conn, &force("cheshire", "Cheshire Constabulary", "E23000006")));
    assert!(!add(&mut conn, &force("norfolk", "Norfolk Constabulary", "E23000026")));
    let names: Vec<String> = app::forces::list(&mut conn).unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["Cheshire Constabulary", "Norfolk Constabulary"]);
    assert_eq!(beacon_tests::row_counts(&mut conn).into_iter().find(|(t, _)| *t == "forces").map(|(_, n)| n).unwrap(), 2);
    assert_eq!(app::forces::get(&mut conn, "norfolk").unwrap().ons_code, "E23000026");
    assert_eq!(rows(&mut conn, "audit_log"), 2);
});

both_backends!(fn an_unknown_force_is_not_found(db) {
    let mut conn = db.conn();
    let error = app::forces::get(&mut conn, "atlantis").unwrap_err();
    assert!(matches!(error, AppError::NotFound(ref m) if m.contains("force")), "{error:?}");
});

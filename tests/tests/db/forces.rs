use beacon_core::{Force, ForceId};
use beacon_db::{DbError, forces};
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

both_backends!(fn forces_are_added_once_and_listed_by_name(db) {
    let mut conn = db.conn();
    assert!(forces::insert_if_missing(&mut conn, &actor(), &force("norfolk", "Norfolk Constabulary", "E23000026")).unwrap());
    assert!(forces::insert_if_missing(&mut conn, &actor(), &force("cheshire", "Cheshire Constabulary", "E23000006")).unwrap());
    assert!(!forces::insert_if_missing(&mut conn, &actor(), &force("norfolk", "Norfolk Constabulary", "E23000026")).unwrap());
    let names: Vec<String> = forces::list(&mut conn).unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["Cheshire Constabulary", "Norfolk Constabulary"]);
    assert_eq!(forces::count(&mut conn).unwrap(), 2);
    assert_eq!(forces::get(&mut conn, "norfolk").unwrap().ons_code, "E23000026");
    assert_eq!(rows(&mut conn, "audit_log"), 2);
});

both_backends!(fn an_unknown_force_is_not_found(db) {
    let mut conn = db.conn();
    assert!(matches!(forces::get(&mut conn, "atlantis"), Err(DbError::NotFound { entity: "force", .. })));
});

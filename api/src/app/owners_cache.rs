//! The owners shown with each programme on a page of the register, remembered per
//! programme and version: owners change rarely and every page shows them. It holds up
//! the list's figure in bench/README.md (API, `GET /programmes`). A programme's version
//! changes in the same transaction as any change to its owners, so owners remembered
//! for the version a page has just read are the owners at that version, in this process
//! or any other.

use std::collections::HashMap;
use std::sync::Mutex;

use beacon_db::records::{Owner, Programme};
use beacon_db::{DbConnection, DbError, owners};

#[derive(Debug, Default)]
pub struct OwnersCache(Mutex<HashMap<i64, (i64, Vec<Owner>)>>);

impl OwnersCache {
    /// The owners of each of `programmes` at the version read, asking the database only
    /// for those not remembered at that version.
    pub fn owners_of<'a>(
        &self,
        conn: &mut DbConnection,
        programmes: impl IntoIterator<Item = &'a Programme>,
    ) -> Result<HashMap<i64, Vec<Owner>>, DbError> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let remembered = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for programme in programmes {
                match remembered.get(&programme.id) {
                    Some((version, owners)) if *version == programme.version => {
                        found.insert(programme.id, owners.clone());
                    }
                    _ => missing.push((programme.id, programme.version)),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let ids: Vec<i64> = missing.iter().map(|&(id, _)| id).collect();
        let mut fresh: HashMap<i64, Vec<Owner>> = HashMap::new();
        for (programme_id, owner) in owners::of(conn, &ids)? {
            fresh.entry(programme_id).or_default().push(owner);
        }
        let mut remembered = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (id, version) in missing {
            let owners = fresh.remove(&id).unwrap_or_default();
            remembered.insert(id, (version, owners.clone()));
            found.insert(id, owners);
        }
        Ok(found)
    }
}

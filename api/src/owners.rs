//! The owners shown with each programme, remembered per programme and version.
//!
//! Owners change rarely and are read on every page of the register; on PostgreSQL the
//! join behind them cost about as much as the rest of the page. A programme's version
//! changes in the same transaction as any change to its owners, so owners remembered
//! for the version a page has just read are the owners at that version, in this process
//! or any other. One entry per programme, so it stays as small as the register.

use std::collections::HashMap;
use std::sync::Mutex;

use beacon_db::{DbConnection, DbError};

/// (user id, email), in the order they were added.
pub type Owners = Vec<(i64, String)>;

#[derive(Default)]
pub struct OwnersCache(Mutex<HashMap<i64, (i64, Owners)>>);

impl OwnersCache {
    /// The owners of each of `programmes` (id and the version just read), asking the
    /// database only for those not remembered at that version.
    pub fn owners_of(
        &self,
        conn: &mut DbConnection,
        programmes: &[(i64, i64)],
    ) -> Result<HashMap<i64, Owners>, DbError> {
        let mut found = HashMap::with_capacity(programmes.len());
        let mut missing = Vec::new();
        {
            let remembered = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for &(id, version) in programmes {
                match remembered.get(&id) {
                    Some((at, owners)) if *at == version => {
                        found.insert(id, owners.clone());
                    }
                    _ => missing.push((id, version)),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let ids: Vec<i64> = missing.iter().map(|&(id, _)| id).collect();
        let mut fresh: HashMap<i64, Owners> = ids.iter().map(|&id| (id, Vec::new())).collect();
        for (programme, user, email) in beacon_db::programmes::owners_of(conn, &ids)? {
            fresh.entry(programme).or_default().push((user, email));
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

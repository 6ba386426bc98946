//! What a history page shows beside the ids its rows hold: each stream's code and
//! name, each programme's code, name and sponsor, each recorder's email. Read once per
//! page for the ids on it, and as they are now: a history row records money, and a
//! programme renamed since is still the programme it was.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::schema::{funding_streams, programmes, users};

/// A stream as a history row names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct StreamNames {
    pub code: Option<String>,
    pub name: Option<String>,
}

/// A programme as a history row names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ProgrammeNames {
    pub code: Option<String>,
    pub name: Option<String>,
    pub sponsor: Option<String>,
}

pub(super) struct Names {
    streams: HashMap<i64, (String, String)>,
    programmes: HashMap<i64, (String, String, String)>,
    users: HashMap<i64, String>,
}

fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    ids.collect::<BTreeSet<i64>>().into_iter().collect()
}

impl Names {
    pub(super) fn load(
        conn: &mut DbConnection,
        streams: impl Iterator<Item = i64>,
        programmes: impl Iterator<Item = i64>,
        users: impl Iterator<Item = i64>,
    ) -> Result<Self, DbError> {
        let (streams, programmes, users) =
            (distinct(streams), distinct(programmes), distinct(users));
        let mut names = Names {
            streams: HashMap::new(),
            programmes: HashMap::new(),
            users: HashMap::new(),
        };
        if !streams.is_empty() {
            names.streams = funding_streams::table
                .filter(funding_streams::id.eq_any(&streams))
                .select((
                    funding_streams::id,
                    funding_streams::code,
                    funding_streams::name,
                ))
                .load::<(i64, String, String)>(conn)?
                .into_iter()
                .map(|(id, code, name)| (id, (code, name)))
                .collect();
        }
        if !programmes.is_empty() {
            names.programmes = programmes::table
                .filter(programmes::id.eq_any(&programmes))
                .select((
                    programmes::id,
                    programmes::code,
                    programmes::name,
                    programmes::sponsor,
                ))
                .load::<(i64, String, String, String)>(conn)?
                .into_iter()
                .map(|(id, code, name, sponsor)| (id, (code, name, sponsor)))
                .collect();
        }
        if !users.is_empty() {
            names.users = users::table
                .filter(users::id.eq_any(&users))
                .select((users::id, users::email))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect();
        }
        Ok(names)
    }

    pub(super) fn stream(&self, id: i64) -> StreamNames {
        self.streams
            .get(&id)
            .map(|(code, name)| StreamNames {
                code: Some(code.clone()),
                name: Some(name.clone()),
            })
            .unwrap_or_default()
    }

    pub(super) fn programme(&self, id: i64) -> ProgrammeNames {
        self.programmes
            .get(&id)
            .map(|(code, name, sponsor)| ProgrammeNames {
                code: Some(code.clone()),
                name: Some(name.clone()),
                sponsor: Some(sponsor.clone()),
            })
            .unwrap_or_default()
    }

    pub(super) fn user(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| self.users.get(&id).cloned())
    }
}

//! Reading the register: programmes with their owners and money, now or as they stood
//! at the end of a past day.

use std::collections::HashMap;

use beacon_core::{Action, FinancialYear};
use beacon_db::ledger::Shortfall;
use beacon_db::programmes::Filter;
use beacon_db::records::{Owner, Programme, YearTotals};
use beacon_db::{DbConnection, days, ledger, owners, past, programmes, totals};
use chrono::NaiveDate;

use super::owners_cache::OwnersCache;
use super::{AppError, AsOf, Caller, current_year};

/// A programme as a page shows it: its record (with its rating then), owners, its
/// money in one financial year, and what cuts have withdrawn from it.
#[derive(Debug, Clone)]
pub struct ProgrammeDetail {
    pub programme: Programme,
    pub owners: Vec<Owner>,
    /// The current financial year's money, or with `as_of` the year that day falls in.
    pub money: YearTotals,
    pub shortfalls: Vec<Shortfall>,
    /// Set when this is the programme as it stood at the end of that day.
    pub as_of: Option<NaiveDate>,
}

/// Up to `limit` programmes in code order after `after`, filtered; with `as_of`, the
/// register as it stood at the end of that day, filtered on the records and ratings
/// as they were then.
pub fn list(
    conn: &mut DbConnection,
    cache: &OwnersCache,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    as_of: Option<AsOf>,
) -> Result<Vec<ProgrammeDetail>, AppError> {
    match as_of {
        None => {
            let rows = programmes::page(conn, filter, after, limit, current_year()?)?;
            details_now(conn, cache, rows)
        }
        Some(as_of) => {
            let register = past_register(conn, as_of)?;
            let rows: Vec<Programme> = register
                .programmes
                .iter()
                .filter(|p| after.is_none_or(|after| p.code.as_str() > after))
                .filter(|p| filter.matches(p, p.rating))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect();
            details_then(conn, rows, as_of, &register)
        }
    }
}

/// The ids of the programmes `user_id` owns, to narrow a list to them. Anyone may
/// ask for their own; another user's are for admins and auditors.
pub fn owned_by(conn: &mut DbConnection, who: &Caller, user_id: i64) -> Result<Vec<i64>, AppError> {
    if who.user_id() != Some(user_id) {
        who.may(Action::ListAnotherUsersProgrammes)?;
        if beacon_db::users::find(conn, user_id)?.is_none() {
            return Err(AppError::field(
                "owner",
                format!("no user has the id {user_id}"),
            ));
        }
    }
    Ok(owners::programme_ids_of(conn, user_id)?)
}

/// The programmes the caller owns, in code order.
pub fn owned_programmes(
    conn: &mut DbConnection,
    cache: &OwnersCache,
    who: &Caller,
) -> Result<Vec<ProgrammeDetail>, AppError> {
    let Some(id) = who.user_id() else {
        return Ok(Vec::new());
    };
    let filter = Filter {
        within: Some(owned_by(conn, who, id)?),
        ..Filter::default()
    };
    list(conn, cache, &filter, None, i64::MAX, None)
}

/// One programme, now or as it stood at the end of `as_of`; not found if it was
/// neither registered nor rated by then.
pub fn get(
    conn: &mut DbConnection,
    cache: &OwnersCache,
    code: &str,
    as_of: Option<AsOf>,
) -> Result<ProgrammeDetail, AppError> {
    let programme = programmes::get_by_code(conn, code)?;
    let Some(as_of) = as_of else {
        let money = totals::for_programme_year(conn, programme.id, current_year()?)?;
        return first(details_now(conn, cache, vec![(programme, money)])?);
    };
    let register = past_register(conn, as_of)?;
    let then = register
        .programmes
        .iter()
        .find(|p| p.id == programme.id)
        .cloned()
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "programme '{code}' was not in the register on {}",
                as_of.day
            ))
        })?;
    first(details_then(conn, vec![then], as_of, &register)?)
}

fn first(mut details: Vec<ProgrammeDetail>) -> Result<ProgrammeDetail, AppError> {
    details
        .pop()
        .ok_or_else(|| AppError::Internal("a programme's detail went missing".into()))
}

fn details_now(
    conn: &mut DbConnection,
    cache: &OwnersCache,
    rows: Vec<(Programme, YearTotals)>,
) -> Result<Vec<ProgrammeDetail>, AppError> {
    let owners_by = cache.owners_of(conn, rows.iter().map(|(p, _)| p))?;
    let shortfalls = ledger::shortfalls(conn, None)?;
    let (rows, money): (Vec<Programme>, Vec<YearTotals>) = rows.into_iter().unzip();
    let year = current_year()?;
    Ok(assemble(rows, owners_by, money, shortfalls, year, None))
}

fn details_then(
    conn: &mut DbConnection,
    rows: Vec<Programme>,
    as_of: AsOf,
    register: &PastRegister,
) -> Result<Vec<ProgrammeDetail>, AppError> {
    let year = as_of.year()?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut user_ids: Vec<i64> = ids
        .iter()
        .filter_map(|id| register.owners.get(id))
        .flatten()
        .copied()
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let emails = beacon_db::users::emails(conn, &user_ids)?;
    let mut owners_by: HashMap<i64, Vec<Owner>> = HashMap::new();
    for id in &ids {
        for user_id in register.owners.get(id).into_iter().flatten() {
            owners_by.entry(*id).or_default().push(Owner {
                user_id: *user_id,
                email: emails.get(user_id).cloned().unwrap_or_default(),
            });
        }
    }
    let scope = days::Scope {
        year: Some(year),
        ids: Some(&ids),
    };
    let money = days::programmes_as_of(conn, as_of.when(), scope)?;
    let shortfalls = ledger::shortfalls(conn, Some(as_of.when()))?;
    Ok(assemble(
        rows,
        owners_by,
        money,
        shortfalls,
        year,
        Some(as_of.day),
    ))
}

fn assemble(
    rows: Vec<Programme>,
    mut owners: HashMap<i64, Vec<Owner>>,
    money: Vec<YearTotals>,
    shortfalls: Vec<Shortfall>,
    year: FinancialYear,
    as_of: Option<NaiveDate>,
) -> Vec<ProgrammeDetail> {
    let mut money: HashMap<i64, YearTotals> =
        money.into_iter().map(|m| (m.programme_id, m)).collect();
    let mut shortfalls_by: HashMap<i64, Vec<Shortfall>> = HashMap::new();
    for s in shortfalls {
        shortfalls_by.entry(s.programme_id).or_default().push(s);
    }
    rows.into_iter()
        .map(|programme| ProgrammeDetail {
            owners: owners.remove(&programme.id).unwrap_or_default(),
            money: money
                .remove(&programme.id)
                .unwrap_or_else(|| YearTotals::zero(programme.id, year)),
            shortfalls: shortfalls_by.remove(&programme.id).unwrap_or_default(),
            as_of,
            programme,
        })
        .collect()
}

/// The register as it stood at the end of a day: each programme registered, started,
/// rated or funded by then, in code order, its record as the audit trail had it (or as it is now, for a
/// programme known then only by its published ratings), with its rating then and its
/// owners (user ids) then, and each rated programme's latest report then.
pub struct PastRegister {
    pub programmes: Vec<Programme>,
    pub owners: HashMap<i64, Vec<i64>>,
    pub ratings: HashMap<i64, past::RatingAt>,
}

pub fn past_register(conn: &mut DbConnection, as_of: AsOf) -> Result<PastRegister, AppError> {
    // Today's ratings are the ones each programme keeps current; only a past day's are
    // worked out again from the reports made by then.
    let rated = if as_of.end > beacon_db::now() {
        past::ratings_now(conn)?
    } else {
        past::ratings_before(conn, as_of.end, None)?
    };
    let ratings: HashMap<i64, past::RatingAt> =
        rated.into_iter().map(|r| (r.programme_id, r)).collect();
    let known_before = as_of.when().known_before;
    let held_by = known_before.map_or(as_of.end, |k| k.min(as_of.end));
    let mut recorded = past::register_before(conn, held_by)?;
    let known = |p: &Programme| known_before.is_none_or(|k| p.created_at < k);
    // A programme existed on the day if Beacon held it then, or it had started or been
    // rated by then, or (asked last, of the rest) funded by then; as known on an
    // earlier day, only if Beacon held it then.
    let existed = |p: &Programme| {
        ratings.contains_key(&p.id)
            || p.start_date.is_some_and(|start| start <= as_of.day)
            || p.created_at < as_of.end
    };
    let all = programmes::list(conn)?;
    let unsure: Vec<i64> = all
        .iter()
        .filter(|p| !recorded.programmes.contains_key(&p.id) && known(p) && !existed(p))
        .map(|p| p.id)
        .collect();
    let funded = past::funded_by(conn, as_of.when(), &unsure)?;
    let mut rows: Vec<Programme> = all
        .into_iter()
        .filter_map(|now| match recorded.programmes.remove(&now.id) {
            Some(then) => Some(then),
            None if known(&now) && (existed(&now) || funded.contains(&now.id)) => Some(now),
            None => None,
        })
        .collect();
    for programme in &mut rows {
        let rating = ratings.get(&programme.id);
        programme.rating = rating.map(|r| r.rating);
        programme.rating_since = rating.map(|r| r.since);
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(PastRegister {
        programmes: rows,
        owners: recorded.owners,
        ratings,
    })
}

/// A programme with everything recorded about it: its detail now, every status report
/// (newest first) and every ledger entry (in the order recorded).
#[derive(Debug, Clone)]
pub struct ProgrammeRecord {
    pub detail: ProgrammeDetail,
    pub reports: Vec<beacon_db::records::StatusReport>,
    pub ledger: Vec<beacon_db::records::LedgerEntry>,
    /// Allocated and spent in each financial year it has money, earliest first.
    pub years: Vec<YearTotals>,
}

pub fn record_of(conn: &mut DbConnection, code: &str) -> Result<ProgrammeRecord, AppError> {
    let detail = get(conn, &OwnersCache::default(), code, None)?;
    let id = detail.programme.id;
    Ok(ProgrammeRecord {
        reports: beacon_db::status_reports::for_programme(conn, id)?,
        ledger: ledger::for_programme(conn, id)?,
        years: totals::for_programme(conn, id)?,
        detail,
    })
}

//! Funding summaries: envelopes, allocations and spend added up by financial year,
//! stream, programme or sponsor, now or at the end of a past day.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web};
use beacon_core::FinancialYear;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::routes::funding::year_text;
use crate::routes::{AsOf, parse_field};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// financial_year (default), stream, programme or sponsor.
    pub group_by: Option<String>,
    /// Only this year, e.g. `2025-26`.
    pub financial_year: Option<String>,
    /// YYYY-MM-DD, today or earlier (default today): the money at the end of that (UTC)
    /// day.
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupBy {
    FinancialYear,
    Stream,
    Programme,
    Sponsor,
}

impl GroupBy {
    fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        match text.map(str::trim) {
            None | Some("financial_year") => Ok(GroupBy::FinancialYear),
            Some("stream") => Ok(GroupBy::Stream),
            Some("programme") => Ok(GroupBy::Programme),
            Some("sponsor") => Ok(GroupBy::Sponsor),
            Some(other) => Err(ApiError::field(
                "group_by",
                format!(
                    "'{other}' is not a grouping; use financial_year, stream, programme or sponsor"
                ),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            GroupBy::FinancialYear => "financial_year",
            GroupBy::Stream => "stream",
            GroupBy::Programme => "programme",
            GroupBy::Sponsor => "sponsor",
        }
    }

    /// Envelopes belong to streams; spend is recorded against programmes. A grouping
    /// shows what can be attributed to it, and null for the rest.
    fn has_envelopes(self) -> bool {
        matches!(self, GroupBy::FinancialYear | GroupBy::Stream)
    }

    fn has_spend(self) -> bool {
        !matches!(self, GroupBy::Stream)
    }
}

/// One group's money. Null where the grouping cannot carry it: envelopes belong to
/// streams, spend is recorded against programmes.
#[derive(Serialize, ToSchema, Debug, Clone, Default)]
pub struct SummaryRow {
    /// The year (`2025-26`), stream code, programme code or sponsor; `total` for the totals.
    #[schema(example = "2025-26")]
    pub key: String,
    #[schema(example = 10_000_000_000_i64)]
    pub envelope_pence: Option<i64>,
    #[schema(example = 9_200_000_000_i64)]
    pub allocated_pence: i64,
    /// Spent keeping existing systems running.
    pub spent_run_pence: Option<i64>,
    /// Spent on new capability.
    pub spent_change_pence: Option<i64>,
    /// Envelope less allocated: what is left to allocate.
    pub headroom_pence: Option<i64>,
    /// Run spend as a share of all spend, 0 to 1, to four places; null with no spend.
    #[schema(example = 0.97)]
    pub run_share: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    #[schema(example = "financial_year")]
    pub group_by: String,
    pub as_of: NaiveDate,
    /// The year asked for, if one was.
    pub financial_year: Option<String>,
    /// In key order.
    pub groups: Vec<SummaryRow>,
    /// Every group together: these reconcile with the funding history to the penny.
    pub totals: SummaryRow,
}

/// Envelopes, allocations and spend by financial year, stream, programme or sponsor.
/// Totals equal the sums of the funding history's entries up to the same day.
#[utoipa::path(tag = "funding", security(("bearer" = [])), params(SummaryQuery), responses(
    (status = 200, body = SummaryView),
    (status = 422, description = "An unknown group_by, a malformed year, or an as_of that is not a date or is in the future", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/funding/summary")]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<SummaryQuery>,
) -> Result<web::Json<SummaryView>, ApiError> {
    let query = query.into_inner();
    let group_by = GroupBy::parse(query.group_by.as_deref())?;
    let year = query
        .financial_year
        .as_deref()
        .map(|text| parse_field::<FinancialYear>("financial_year", text))
        .transpose()?;
    let as_of = AsOf::parse_optional(query.as_of.as_deref())?.unwrap_or_else(AsOf::today);
    let view = state
        .db(move |conn| summary(conn, group_by, year, as_of))
        .await?;
    Ok(web::Json(view))
}

/// Adds pence, refusing to wrap.
fn add(total: &mut i64, amount: i64) -> Result<(), ApiError> {
    *total = total
        .checked_add(amount)
        .ok_or_else(|| ApiError::internal("a summary total overflowed"))?;
    Ok(())
}

#[derive(Default)]
struct Sums {
    envelope: i64,
    allocated: i64,
    run: i64,
    change: i64,
}

fn summary(
    conn: &mut beacon_db::DbConnection,
    group_by: GroupBy,
    year: Option<FinancialYear>,
    as_of: AsOf,
) -> Result<SummaryView, ApiError> {
    use beacon_db::days;
    let scope = days::Scope {
        financial_year: year.map(|y| y.start_year()),
        ids: None,
    };
    let envelopes = days::envelopes_as_of(conn, as_of.day, scope)?;
    let programme_money = days::programmes_as_of(conn, as_of.day, scope)?;

    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    let mut totals = Sums::default();
    for e in &envelopes {
        add(&mut totals.envelope, e.amount_pence)?;
        add(&mut totals.allocated, e.allocated_pence)?;
    }
    for m in &programme_money {
        add(&mut totals.run, m.spent_run_pence)?;
        add(&mut totals.change, m.spent_change_pence)?;
    }
    match group_by {
        GroupBy::FinancialYear | GroupBy::Stream => {
            let streams: HashMap<i64, String> = beacon_db::funding::list_streams(conn)?
                .into_iter()
                .map(|s| (s.id, s.code))
                .collect();
            for e in &envelopes {
                let key = match group_by {
                    GroupBy::Stream => streams
                        .get(&e.stream_id)
                        .cloned()
                        .unwrap_or_else(|| e.stream_id.to_string()),
                    _ => year_text(e.financial_year),
                };
                let sums = groups.entry(key).or_default();
                add(&mut sums.envelope, e.amount_pence)?;
                add(&mut sums.allocated, e.allocated_pence)?;
            }
            if group_by == GroupBy::FinancialYear {
                for m in &programme_money {
                    let sums = groups.entry(year_text(m.financial_year)).or_default();
                    add(&mut sums.run, m.spent_run_pence)?;
                    add(&mut sums.change, m.spent_change_pence)?;
                }
            }
        }
        GroupBy::Programme | GroupBy::Sponsor => {
            let programmes: HashMap<i64, (String, String)> = beacon_db::programmes::list(conn)?
                .into_iter()
                .map(|p| (p.id, (p.code, p.sponsor)))
                .collect();
            for m in &programme_money {
                let key = programmes.get(&m.programme_id).map_or_else(
                    || m.programme_id.to_string(),
                    |(code, sponsor)| {
                        if group_by == GroupBy::Programme {
                            code.clone()
                        } else {
                            sponsor.clone()
                        }
                    },
                );
                let sums = groups.entry(key).or_default();
                add(&mut sums.allocated, m.allocated_pence)?;
                add(&mut sums.run, m.spent_run_pence)?;
                add(&mut sums.change, m.spent_change_pence)?;
            }
        }
    }
    let groups = groups
        .into_iter()
        .map(|(key, sums)| row(key, &sums, group_by.has_envelopes(), group_by.has_spend()))
        .collect();
    Ok(SummaryView {
        group_by: group_by.as_str().to_string(),
        as_of: as_of.day,
        financial_year: year.map(|y| y.to_string()),
        groups,
        totals: row("total".to_string(), &totals, true, true),
    })
}

fn row(key: String, sums: &Sums, envelopes: bool, spend: bool) -> SummaryRow {
    let spent = sums.run.saturating_add(sums.change);
    SummaryRow {
        key,
        envelope_pence: envelopes.then_some(sums.envelope),
        allocated_pence: sums.allocated,
        spent_run_pence: spend.then_some(sums.run),
        spent_change_pence: spend.then_some(sums.change),
        headroom_pence: envelopes.then(|| sums.envelope.saturating_sub(sums.allocated)),
        // A ratio, not money: rounded to four places for reading.
        run_share: (spend && spent > 0)
            .then(|| (sums.run as f64 / spent as f64 * 10_000.0).round() / 10_000.0),
    }
}

//! Two query pieces that keep hot statements in Diesel's prepared-statement cache.
//!
//! Diesel caches a statement by its SQL text unless a piece of it says it is unsafe to
//! cache. Its `eq_any` says so (the number of values varies), so every page re-parsed
//! its owner and totals queries. And SQLite re-prepares, on every run, a statement whose
//! `LIMIT` is a bound parameter (it plans with the bound value, so rebinding expires
//! the statement). Measured on the list benchmark, re-parsing was about a sixth of the
//! server's CPU time.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType};

/// `column IN (…)` over ids, padded to one of a few lengths by repeating the last id,
/// so that each length is one cached statement. Empty lists never reach the database:
/// callers return early.
#[derive(Debug, Clone)]
pub struct InIds<C> {
    column: C,
    ids: Vec<i64>,
}

/// The list lengths statements are prepared for; a page is at most 200 rows.
const LENGTHS: [usize; 4] = [1, 10, 50, 250];

pub fn in_ids<C>(column: C, ids: &[i64]) -> InIds<C> {
    let mut padded = ids.to_vec();
    if let (Some(&last), Some(&length)) = (
        ids.last(),
        LENGTHS.iter().find(|&&length| length >= ids.len()),
    ) {
        padded.resize(length, last);
    }
    InIds {
        column,
        ids: padded,
    }
}

impl<C: Expression> Expression for InIds<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for InIds<C> where C: AppearsOnTable<QS> {}

impl<C, QS> SelectableExpression<QS> for InIds<C> where C: SelectableExpression<QS> {}

impl<C: ValidGrouping<()>> ValidGrouping<()> for InIds<C> {
    type IsAggregate = C::IsAggregate;
}

/// No static id: the statement cache keys it by its SQL text, which the padded length
/// fixes.
impl<C> QueryId for InIds<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, DB> QueryFragment<DB> for InIds<C>
where
    DB: Backend + HasSqlType<BigInt>,
    C: QueryFragment<DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for (i, id) in self.ids.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<BigInt, _>(id)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

/// A query followed by `LIMIT n` written into the SQL rather than bound; page sizes are
/// few, so each is one cached statement.
#[derive(Debug, Clone)]
pub struct Limited<Q> {
    query: Q,
    limit: i64,
}

pub trait LimitLiteral: Sized {
    fn limit_literal(self, limit: i64) -> Limited<Self> {
        Limited { query: self, limit }
    }
}

impl<Q: Query> LimitLiteral for Q {}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Limited<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

impl<Q, DB> QueryFragment<DB> for Limited<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {}", self.limit));
        Ok(())
    }
}

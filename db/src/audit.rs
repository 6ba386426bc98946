//! The audit trail: every change appends who did what to which record, before and
//! after, as the next link of a hash chain (see `beacon_core::audit_chain`).

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use diesel::prelude::*;
use serde::Serialize;

use beacon_core::audit_chain::{Break, Entry, GENESIS, Verifier};

use crate::audit_terms::{self, Side};
use crate::backend;
use crate::connection::{DbConnection, Tx, write_transaction};
use crate::error::DbError;
use crate::records::AuditEntry;
use crate::rows::AuditRow;
use crate::schema::audit_log;

/// Who made a change: a signed-in user, or Beacon itself acting for an operator
/// (the seed loader, a command run on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Self {
        Actor {
            user_id: Some(id),
            label: email.to_string(),
        }
    }

    /// A change made by a Beacon command rather than a person signed in, e.g. `beacon seed`.
    pub fn system(label: &str) -> Self {
        Actor {
            user_id: None,
            label: label.to_string(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewAuditRow<'a> {
    at: chrono::NaiveDateTime,
    actor_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    before: Option<String>,
    after: Option<String>,
    seq: Option<i64>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl NewAuditRow<'_> {
    fn chain_entry(&self, seq: i64) -> Entry<'_> {
        Entry {
            seq,
            at: self.at,
            actor_id: self.actor_id,
            actor: self.actor,
            action: self.action,
            entity: self.entity,
            entity_id: self.entity_id,
            before: self.before.as_deref(),
            after: self.after.as_deref(),
        }
    }
}

/// Appends one audit entry, inside the write transaction of the change it describes.
/// `before` is `None` for a creation, `after` for a removal.
/// It joins the hash chain here or, on PostgreSQL, just after it commits
/// (`backend::links_as_written`, [`seal`]).
pub(crate) fn record<B: Serialize, A: Serialize>(
    conn: &mut Tx<'_>,
    actor: &Actor,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), DbError> {
    let before = before
        .map(|b| stated(conn, entity, Side::Before, b))
        .transpose()?;
    let after = after
        .map(|a| stated(conn, entity, Side::After, a))
        .transpose()?;
    let mut row = NewAuditRow {
        at: crate::now(),
        actor_id: actor.user_id,
        actor: &actor.label,
        action: action.as_str(),
        entity: entity.as_str(),
        entity_id,
        before,
        after,
        seq: None,
        prev_hash: None,
        hash: None,
    };
    if backend::links_as_written(conn) {
        let (last_seq, last_hash) = head(conn)?;
        let seq = last_seq + 1;
        row.hash = Some(row.chain_entry(seq).hash(&last_hash));
        row.seq = Some(seq);
        row.prev_hash = Some(last_hash);
    }
    diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(&mut **conn)?;
    Ok(())
}

/// A record's image as the trail keeps it: JSON in the API's terms.
fn stated<T: Serialize>(
    conn: &mut DbConnection,
    entity: AuditEntity,
    side: Side,
    record: &T,
) -> Result<String, DbError> {
    let image = audit_terms::image(conn, entity, side, serde_json::to_value(record)?)?;
    Ok(serde_json::to_string(&image)?)
}

/// How many entries are written but not yet linked into the chain.
pub fn unsealed(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(audit_log::table
        .filter(audit_log::hash.is_null())
        .count()
        .get_result(conn)?)
}

/// The last sealed entry's sequence number and hash, or 0 and the genesis hash.
pub fn head(conn: &mut DbConnection) -> Result<(i64, String), DbError> {
    let last: Option<(Option<i64>, Option<String>)> = audit_log::table
        .filter(audit_log::seq.is_not_null())
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .limit(1)
        .get_result(conn)
        .optional()?;
    Ok(match last {
        Some((Some(seq), Some(hash))) => (seq, hash),
        _ => (0, GENESIS.to_string()),
    })
}

/// Entries committed but not yet linked: no sequence number and no hash. (An entry
/// with one and not the other was altered, and is left for `verify` to report.)
fn pending() -> audit_log::BoxedQuery<'static, crate::connection::MultiBackend> {
    audit_log::table
        .filter(audit_log::hash.is_null())
        .filter(audit_log::seq.is_null())
        .into_boxed()
}

/// Links every committed entry not yet in the chain after the current head, in the
/// order they were written, and returns how many it linked. The server runs this
/// continuously (see `beacon serve`); reading the trail runs it first, so a reader
/// always sees every entry committed before the read. It also links entries written
/// before the chain existed, on upgrade.
///
/// Sealing only ever fills in the three chain columns of an entry that has none; the
/// database refuses any other change to the trail.
pub fn seal(conn: &mut DbConnection) -> Result<u64, DbError> {
    /// Entries linked per statement and read at a time, so that sealing a long trail
    /// keeps memory flat and a busy server's backlog takes a few statements.
    const BATCH: i64 = 1_000;
    // A read first: when nothing is pending (most of the time) no write lock is taken.
    let any: Option<i64> = pending()
        .select(audit_log::id)
        .order(audit_log::id.asc())
        .limit(1)
        .get_result(conn)
        .optional()?;
    if any.is_none() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        backend::lock_audit_chain(conn)?;
        let (mut seq, mut prev) = head(conn)?;
        let mut sealed = 0u64;
        // Resuming after the last id sealed keeps each batch from rescanning the ones before.
        let mut after_id = 0i64;
        loop {
            let batch: Vec<AuditRow> = pending()
                .filter(audit_log::id.gt(after_id))
                .order(audit_log::id.asc())
                .select(AuditRow::as_select())
                .limit(BATCH)
                .load(&mut **conn)?;
            let Some(last) = batch.last() else {
                return Ok(sealed);
            };
            after_id = last.id;
            let mut links = Vec::with_capacity(batch.len());
            for row in &batch {
                seq += 1;
                let hash = entry_of(row, seq).hash(&prev);
                links.push(Link {
                    id: row.id,
                    seq,
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                });
            }
            link(conn, &links)?;
            sealed += batch.len() as u64;
            if (batch.len() as i64) < BATCH {
                return Ok(sealed);
            }
        }
    })
}

/// One entry's place in the chain, as `seal` computed it.
struct Link {
    id: i64,
    seq: i64,
    prev_hash: String,
    hash: String,
}

/// Writes a batch of links in one statement (one round trip rather than one per entry,
/// which made sealing a million entries on PostgreSQL take minutes). The values are
/// integers and hex digests Beacon computed, so they are written into the statement as
/// literals; `VALUES` names its columns `column1`… on both databases.
fn link(conn: &mut DbConnection, links: &[Link]) -> Result<(), DbError> {
    use std::fmt::Write;
    let mut sql = String::from(
        "UPDATE audit_log SET seq = v.column2, prev_hash = v.column3, hash = v.column4 FROM (VALUES ",
    );
    for (i, l) in links.iter().enumerate() {
        debug_assert!(is_hex(&l.prev_hash) && is_hex(&l.hash));
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(
            sql,
            "{comma}({}, {}, '{}', '{}')",
            l.id, l.seq, l.prev_hash, l.hash
        );
    }
    sql.push_str(") AS v WHERE audit_log.id = v.column1");
    diesel::sql_query(sql).execute(conn)?;
    Ok(())
}

fn is_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn entry_of(row: &AuditRow, seq: i64) -> Entry<'_> {
    Entry {
        seq,
        at: row.at,
        actor_id: row.actor_id,
        actor: &row.actor,
        action: &row.action,
        entity: &row.entity,
        entity_id: &row.entity_id,
        before: row.before.as_deref(),
        after: row.after.as_deref(),
    }
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries that checked out, from the first, before any break.
    pub checked: u64,
    /// The last entry that checked out: its sequence number and hash. An auditor who
    /// keeps this can later tell whether entries were removed from the end.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first entry whose contents or link do not match, and why.
    pub first_break: Option<(i64, Break)>,
    /// Entries taken out of the chain: a hash but no sequence number. (An entry with a
    /// sequence number but no hash is a break at that number.)
    pub unchained: i64,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none() && self.unchained == 0
    }
}

/// Seals what is pending, then checks every entry in sequence order, reading a batch at
/// a time so memory stays flat however long the trail is. Stops at the first break.
pub fn verify(conn: &mut DbConnection) -> Result<Verification, DbError> {
    const BATCH: i64 = 5_000;
    seal(conn)?;
    let mut verifier = Verifier::default();
    let mut after = 0i64;
    let mut first_break = None;
    'batches: loop {
        let batch: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq.asc())
            .select(AuditRow::as_select())
            .limit(BATCH)
            .load(conn)?;
        for row in &batch {
            let seq = row.seq.unwrap_or_default();
            let (Some(prev_hash), Some(hash)) = (&row.prev_hash, &row.hash) else {
                first_break = Some((seq, Break::Content));
                break 'batches;
            };
            if let Err(problem) = verifier.check(&entry_of(row, seq), prev_hash, hash) {
                // A gap is reported at the first missing number, not the entry after it.
                let at = match problem {
                    Break::Gap { expected } => expected,
                    _ => seq,
                };
                first_break = Some((at, problem));
                break 'batches;
            }
            after = seq;
        }
        if (batch.len() as i64) < BATCH {
            break;
        }
    }
    let unchained: i64 = audit_log::table
        .filter(audit_log::seq.is_null().and(audit_log::hash.is_not_null()))
        .count()
        .get_result(conn)?;
    let head = verifier.head().map(|(seq, hash)| (seq, hash.to_string()));
    Ok(Verification {
        checked: verifier.checked(),
        head_seq: head.as_ref().map(|(seq, _)| *seq),
        head_hash: head.map(|(_, hash)| hash),
        first_break,
        unchained,
    })
}

/// What an audit listing may be narrowed to; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<String>,
    /// The actor's label: a user's email, or the command that acted.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// From this time, inclusive.
    pub from: Option<chrono::NaiveDateTime>,
    /// Before this time, exclusive.
    pub to: Option<chrono::NaiveDateTime>,
}

/// Entries in chain order after sequence number `after_seq`, at most `limit` of them.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    after_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, DbError> {
    let mut query = audit_log::table
        .filter(audit_log::seq.gt(after_seq.unwrap_or(0)))
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(entity) = filter.entity {
        query = query.filter(audit_log::entity.eq(entity.as_str()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(to));
    }
    let rows: Vec<AuditRow> = query.order(audit_log::seq.asc()).limit(limit).load(conn)?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}

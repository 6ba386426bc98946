//! The audit trail's before and after in the API's own terms, so an auditor reads them
//! without a key: programmes and streams by code, years as `2026-27`, times in RFC 3339
//! UTC with `Z`, users' emails beside their ids, funding entries by the ids the history
//! cites them by (`ledger-13`). Entries written before this stay as they were: the
//! trail is append-only, so readers of snapshots take both forms.

use beacon_core::FinancialYear;
use beacon_core::audit_trail::AuditEntity;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::schema::{envelope_changes, funding_streams, programmes, users};

/// Whether an image is of the record as it was, or as the change left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Before,
    After,
}

/// A stored row's JSON restated in the API's terms.
pub(crate) fn image(
    conn: &mut DbConnection,
    entity: AuditEntity,
    side: Side,
    row: Value,
) -> Result<Value, DbError> {
    let Value::Object(fields) = row else {
        return Ok(row);
    };
    let mut out = Map::with_capacity(fields.len() + 2);
    if entity == AuditEntity::Envelope && side == Side::After {
        // The envelope's change just written is the history row this entry records.
        let change = latest_change(conn, fields.get("stream_id"), fields.get("financial_year"))?;
        out.insert(
            "id".into(),
            change.map_or(Value::Null, |id| cite("envelope", id)),
        );
    }
    for (key, value) in fields {
        restate(conn, entity, &mut out, key, value)?;
    }
    Ok(Value::Object(out))
}

fn restate(
    conn: &mut DbConnection,
    entity: AuditEntity,
    out: &mut Map<String, Value>,
    key: String,
    value: Value,
) -> Result<(), DbError> {
    let number = value.as_i64();
    match (key.as_str(), number) {
        ("id", Some(id)) => match entity {
            AuditEntity::LedgerEntry => insert(out, key, cite("ledger", id)),
            AuditEntity::SpendEntry => insert(out, key, cite("spend", id)),
            // Known by their codes, which the image carries.
            AuditEntity::Programme | AuditEntity::FundingStream => {}
            _ => insert(out, key, value),
        },
        ("programme_id", Some(id)) => {
            let code = programmes::table
                .find(id)
                .select(programmes::code)
                .get_result::<String>(conn)
                .optional()?;
            insert(out, "programme".into(), code.map_or(value, Value::from));
        }
        ("stream_id", Some(id)) => {
            let code = funding_streams::table
                .find(id)
                .select(funding_streams::code)
                .get_result::<String>(conn)
                .optional()?;
            insert(out, "stream".into(), code.map_or(value, Value::from));
        }
        ("envelope_change_id", id) => {
            let change = id.map_or(Value::Null, |id| cite("envelope", id));
            insert(out, "envelope_change".into(), change);
        }
        ("financial_year", Some(start)) => {
            let year = i32::try_from(start)
                .ok()
                .and_then(|y| FinancialYear::starting(y).ok());
            insert(out, key, year.map_or(value, |y| Value::from(y.to_string())));
        }
        ("recorded_by" | "reported_by" | "user_id", Some(id)) => {
            let named = format!("{}_email", key.trim_end_matches("_id"));
            insert(out, key, value);
            insert(out, named, email_of(conn, id)?);
        }
        _ if is_time(&key) => {
            let stated = value
                .as_str()
                .and_then(|t| t.parse::<NaiveDateTime>().ok())
                .map_or(value, |t| Value::from(utc(t)));
            insert(out, key, stated);
        }
        _ => insert(out, key, value),
    }
    Ok(())
}

fn email_of(conn: &mut DbConnection, user_id: i64) -> Result<Value, DbError> {
    let email = users::table
        .find(user_id)
        .select(users::email)
        .get_result::<String>(conn)
        .optional()?;
    Ok(email.map_or(Value::Null, Value::from))
}

fn insert(out: &mut Map<String, Value>, key: String, value: Value) {
    out.insert(key, value);
}

fn cite(source: &str, id: i64) -> Value {
    Value::from(format!("{source}-{id}"))
}

fn is_time(key: &str) -> bool {
    key.ends_with("_at") || key == "rating_since" || key == "lease_until"
}

/// RFC 3339 UTC to the microsecond, as the API writes times.
fn utc(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn latest_change(
    conn: &mut DbConnection,
    stream_id: Option<&Value>,
    year: Option<&Value>,
) -> Result<Option<i64>, DbError> {
    let (Some(stream_id), Some(year)) = (
        stream_id.and_then(Value::as_i64),
        year.and_then(Value::as_i64)
            .and_then(|y| i32::try_from(y).ok()),
    ) else {
        return Ok(None);
    };
    Ok(envelope_changes::table
        .filter(envelope_changes::stream_id.eq(stream_id))
        .filter(envelope_changes::financial_year.eq(year))
        .select(diesel::dsl::max(envelope_changes::id))
        .get_result::<Option<i64>>(conn)?)
}

/// A programme or owner image as stored rows read it, whichever form it was written
/// in: the programme's id for its code, times without their `Z`.
pub(crate) fn as_row(
    mut image: Value,
    programme_ids: &std::collections::HashMap<String, i64>,
) -> Value {
    let Some(fields) = image.as_object_mut() else {
        return image;
    };
    let id_of = |code: Option<&Value>| {
        code.and_then(Value::as_str)
            .and_then(|c| programme_ids.get(c))
            .copied()
    };
    if !fields.contains_key("id") && fields.contains_key("code") {
        if let Some(id) = id_of(fields.get("code")) {
            fields.insert("id".into(), id.into());
        }
    }
    if let Some(id) = id_of(fields.get("programme")) {
        fields.insert("programme_id".into(), id.into());
    }
    for (key, value) in fields.iter_mut() {
        if let (true, Some(text)) = (is_time(key), value.as_str()) {
            if let Some(bare) = text.strip_suffix('Z') {
                *value = Value::from(bare);
            }
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::as_row;
    use crate::rows::{OwnerRow, ProgrammeRow};

    fn programme(image: serde_json::Value) -> serde_json::Value {
        let ids = HashMap::from([("pnd-transformation".to_string(), 4)]);
        let row: ProgrammeRow = serde_json::from_value(as_row(image, &ids)).unwrap();
        serde_json::to_value(row).unwrap()
    }

    #[test]
    fn a_programme_reads_the_same_from_either_form_of_its_image() {
        let fields = json!({
            "code": "pnd-transformation", "name": "PND", "description": "",
            "capability_area": "data-and-intelligence", "sponsor": "Home Office",
            "lead_force_id": null, "stage": "delivery", "start_date": "2019-04-01",
            "planned_end_date": null, "whole_life_cost_pence": null,
            "current_rating": "red", "version": 3,
        });
        let mut internal = fields.clone();
        let mut stated = fields;
        for (key, bare) in [
            ("rating_since", "2025-03-31T00:00:00"),
            ("created_at", "2026-11-22T09:30:00.123456"),
            ("updated_at", "2026-11-23T10:00:00"),
        ] {
            internal[key] = bare.into();
            stated[key] =
                format!("{bare}{}Z", if bare.len() == 19 { ".000000" } else { "" }).into();
        }
        internal["id"] = 4.into();
        let read = programme(internal);
        assert_eq!(read, programme(stated));
        assert_eq!(read["id"], 4);
    }

    #[test]
    fn an_owner_reads_its_programme_by_code() {
        let ids = HashMap::from([("pnd-transformation".to_string(), 4)]);
        let image = json!({"programme": "pnd-transformation", "user_id": 7,
            "user_email": "sro@kent.police.uk", "added_at": "2026-11-22T09:30:00.000001Z"});
        let row: OwnerRow = serde_json::from_value(as_row(image, &ids)).unwrap();
        assert_eq!((row.programme_id, row.user_id), (4, 7));
    }
}

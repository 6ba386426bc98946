//! Tables as CSV with the columns of their JSON: each row is serialised as the API
//! answers it, nested objects become `parent.child` columns, and lists become one cell.
//! Rows of a fixed shape (the funding history) have a `CsvRecord` of their own. The
//! API's CSV answers and the command line's exports both write through here.

use std::borrow::Cow;

use beacon_db::history::{HistoryRow, Position};
use serde::Serialize;
use serde_json::{Map, Value};

/// Rows per database trip in a long export: large enough that the trips cost little,
/// small enough that memory stays flat.
pub const BATCH: i64 = 2_000;

/// Typed text as a spreadsheet should open it: text that starts like a formula (`=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe, so that a
/// reason typed as `=HYPERLINK(…)` opens as text rather than running as a formula
/// (CSV injection). Numbers such as a withdrawal's negative pence stay numbers, and
/// JSON answers carry the text as typed.
pub fn typed_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The rows as CSV under one header: every column any row has, in the order they first
/// appear.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>, String> {
    let mut header: Vec<String> = Vec::new();
    let mut cells: Vec<Map<String, Value>> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut flat = Map::new();
        let value = serde_json::to_value(row).map_err(|e| e.to_string())?;
        flatten("", value, &mut flat);
        for column in flat.keys() {
            if !header.contains(column) {
                header.push(column.clone());
            }
        }
        cells.push(flat);
    }
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 200));
    out.write_record(&header).map_err(|e| e.to_string())?;
    for row in &cells {
        let record = header
            .iter()
            .map(|column| row.get(column).map(cell).unwrap_or_default());
        out.write_record(record).map_err(|e| e.to_string())?;
    }
    out.into_inner().map_err(|e| e.to_string())
}

fn flatten(prefix: &str, value: Value, into: &mut Map<String, Value>) {
    match value {
        Value::Object(fields) if !prefix.is_empty() || !fields.is_empty() => {
            for (name, value) in fields {
                let column = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&column, value, into);
            }
        }
        other => {
            into.insert(prefix.to_string(), other);
        }
    }
}

/// One cell: text made formula-safe, a list as its items joined by "; ", an item that
/// is an object as its values joined by ": " (an owner as `3: sro@met.police.uk`).
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => typed_text(text).into_owned(),
        Value::Array(items) => typed_text(
            &items
                .iter()
                .map(|item| match item {
                    Value::Object(fields) => {
                        fields.values().map(plain).collect::<Vec<_>>().join(": ")
                    }
                    other => plain(other),
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
        .into_owned(),
        other => plain(other),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A row type that can be written as one CSV record under a fixed header.
pub trait CsvRecord {
    const HEADER: &'static [&'static str];
    fn write(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()>;
    /// Where a row sits in the export's order: the next batch starts after it.
    type Key: Send + 'static;
    fn key(&self) -> Self::Key;
}

/// The rows as CSV records, after the header when `with_header`.
pub fn encode<T: CsvRecord>(rows: &[T], with_header: bool) -> csv::Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows.len() * 200));
    if with_header {
        out.write_record(T::HEADER)?;
    }
    for row in rows {
        row.write(&mut out)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

impl CsvRecord for HistoryRow {
    const HEADER: &'static [&'static str] = &[
        "id",
        "recorded_at",
        "kind",
        "stream",
        "programme",
        "financial_year",
        "amount_pence",
        "category",
        "envelope_pence",
        "reason",
        "recorded_by",
        "stream_name",
        "programme_name",
        "sponsor",
    ];
    type Key = Position;

    fn write(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        out.write_record([
            self.citation().as_str(),
            self.recorded_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .as_str(),
            self.kind.as_str(),
            self.stream.as_deref().unwrap_or_default(),
            self.programme.as_deref().unwrap_or_default(),
            &self.year.to_string(),
            &self.amount.get().to_string(),
            self.category.map(|c| c.as_str()).unwrap_or_default(),
            &self
                .envelope
                .map(|p| p.get().to_string())
                .unwrap_or_default(),
            &typed_text(&self.reason),
            &typed_text(self.recorded_by.as_deref().unwrap_or_default()),
            &typed_text(self.stream_name.as_deref().unwrap_or_default()),
            &typed_text(self.programme_name.as_deref().unwrap_or_default()),
            &typed_text(self.sponsor.as_deref().unwrap_or_default()),
        ])
    }

    fn key(&self) -> Position {
        self.position()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_that_starts_like_a_formula_opens_as_text() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(typed_text(formula), format!("'{formula}"));
        }
        for plain in ["Underspend returned", "", "a=b", " =1", "'quoted"] {
            assert_eq!(typed_text(plain), plain);
        }
    }

    #[test]
    fn nested_objects_become_columns_and_lists_one_cell() {
        let rows = [
            json!({"code": "esn", "owners": [{"id": 3, "email": "sro@met.police.uk"}, {"id": 4, "email": "d@x.uk"}],
                   "money": {"year": "2025-26", "pence": -5}, "rating": null}),
            json!({"code": "=cmd", "owners": [], "money": {"year": "2025-26", "pence": 7}, "rating": "red", "late": true}),
        ];
        let text = String::from_utf8(to_csv(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "code,owners,money.year,money.pence,rating,late\n\
             esn,3: sro@met.police.uk; 4: d@x.uk,2025-26,-5,,\n\
             '=cmd,,2025-26,7,red,true\n"
        );
    }
}

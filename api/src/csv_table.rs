//! Tables as CSV with the columns of their JSON: each row is serialised as the API
//! answers it, nested objects become `parent.child` columns, and lists become one cell.
//! The API's `?format=csv` and the command line's exports both write through here.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

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
             'cmd,,2025-26,7,red,true\n"
        );
    }
}

//! CSV exports that stream: rows are read a batch at a time, each batch one trip to the
//! database, and written out as they arrive. The first bytes leave at once, and the
//! server holds one batch in memory however many rows there are.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use beacon_db::DbConnection;
use bytes::Bytes;

use super::problem::ApiError;
use super::state::AppState;
use crate::app::AppError;
use crate::csv_table::{BATCH, CsvRecord, encode};

/// Whether the client asked for CSV: `?format=csv`, or `Accept: text/csv` without a
/// `format` saying otherwise.
pub fn wanted(request: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format.map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::field(
            "format",
            format!("must be csv or json (got '{other}')"),
        )),
        None => Ok(request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"))),
    }
}

/// Streams every row `fetch` returns after `after`, batch by batch, until a batch
/// comes back short. A failure part-way ends the body early (the status line has
/// gone); the log says why, and the client sees a truncated file.
pub fn stream<T, F>(
    state: AppState,
    filename: &str,
    after: Option<T::Key>,
    fetch: F,
) -> HttpResponse
where
    T: CsvRecord + Send + 'static,
    F: Fn(&mut DbConnection, Option<T::Key>, i64) -> Result<Vec<T>, AppError>
        + Send
        + Sync
        + 'static,
{
    let fetch = Arc::new(fetch);
    let body = futures_util::stream::unfold(Some((after, true)), move |cursor| {
        let state = state.clone();
        let fetch = Arc::clone(&fetch);
        async move {
            let (after, first) = cursor?;
            let rows = state.db(move |conn| Ok(fetch(conn, after, BATCH)?)).await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::error!(%error, "CSV export stopped part-way");
                    return Some((Err(error), None));
                }
            };
            let next = match rows.last() {
                Some(last) if rows.len() as i64 == BATCH => Some((Some(last.key()), false)),
                _ => None,
            };
            match encode(&rows, first) {
                Ok(bytes) => Some((Ok(Bytes::from(bytes)), next)),
                Err(error) => {
                    tracing::error!(%error, "CSV export stopped part-way");
                    Some((Err(ApiError::internal(error)), None))
                }
            }
        }
    });
    download(filename).streaming(body)
}

/// A whole table as a CSV download, with the columns of its JSON (`csv_table`).
pub fn table<T: serde::Serialize>(filename: &str, rows: &[T]) -> Result<HttpResponse, ApiError> {
    let body = crate::csv_table::to_csv(rows).map_err(ApiError::internal)?;
    Ok(download(filename).body(body))
}

/// A 200 that a browser saves as `filename`.
fn download(filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ));
    response
}

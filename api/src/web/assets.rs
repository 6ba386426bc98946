//! Beacon's own stylesheet, compiled into the binary: no third-party resource is
//! loaded at run time.

use actix_web::http::header;
use actix_web::{HttpResponse, get};

const STYLESHEET: &str = include_str!("beacon.css");

#[get("/assets/beacon.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

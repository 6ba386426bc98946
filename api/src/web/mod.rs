//! The web pages, server-rendered on the same application layer as the REST API: sign
//! in and out, the portfolio and each programme. Every page works without JavaScript;
//! forms carry a token (`session::check_csrf`) and the server checks every role.

mod account;
mod alerts;
mod allocate;
mod assets;
mod audit;
mod envelope;
mod forms;
mod funding;
mod history;
mod layout;
mod page;
mod portfolio;
mod programme;
mod report;
pub mod session;
mod sign_in;
mod spend;
mod svg;
mod users;
mod words;

use actix_web::HttpResponse;
use actix_web::ResponseError;
use actix_web::web::ServiceConfig;

pub use page::framed;

/// What the pages show that depends on the settings.
#[derive(Debug, Clone, Copy)]
pub struct PageSettings {
    /// A programme silent for longer than this many days is shown overdue a report.
    pub cadence_days: i64,
}

/// The pages, for `server::http_server` to mount beside the API.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(assets::stylesheet)
        .service(sign_in::show)
        .service(sign_in::submit)
        .service(sign_in::sign_out)
        .service(portfolio::show)
        .service(portfolio::csv)
        .service(funding::show)
        .service(allocate::submit)
        .service(envelope::show)
        .service(envelope::submit)
        .service(spend::show)
        .service(spend::submit)
        .service(history::show)
        .service(history::csv)
        .service(audit::show)
        .service(alerts::show)
        .service(alerts::retry)
        .service(users::show)
        .service(users::create)
        .service(account::show)
        .service(account::change)
        .service(account::owns)
        .service(programme::show)
        .service(report::show)
        .service(report::submit);
}

/// The page a browser gets for a path Beacon has nothing at.
pub fn not_found(path: &str) -> HttpResponse {
    page::PageError::NotFound(format!(
        "There is no page at {path}. Check the address, or start from the portfolio."
    ))
    .error_response()
}

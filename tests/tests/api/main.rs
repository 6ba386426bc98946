//! Black-box tests of the HTTP API: the real server on a free port, on SQLite and on
//! PostgreSQL, spoken to over HTTP.

mod alert_workers;
mod alerts;
mod audit;
mod audit_offline;
mod auth;
mod concurrency;
mod daily_round;
mod effective_dates;
mod errors;
mod first_hour;
mod funding;
mod hardening;
mod history;
mod metrics;
mod openapi;
mod past;
mod permissions;
mod programmes;
mod reference;
mod sign_in;
mod status_reports;
mod summaries;
mod users;

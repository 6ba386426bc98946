//! Every use case and storage behaviour, each test body run on SQLite and on PostgreSQL, each on
//! a fresh database. One test binary, so it links once.

mod alerts;
mod atomicity;
mod audit_chain;
mod concurrency;
mod forces;
mod funding;
mod migrations;
mod programmes;
mod seed;
mod spend;
mod status_reports;
mod support;
mod totals;
mod users;

//! The web pages in a real browser (Chromium over WebDriver) against the real server,
//! on SQLite and on PostgreSQL; and the pages' refusals, spoken to over HTTP.

mod accessibility;
mod alerts;
mod audit;
mod forms;
mod funding;
mod pages;
mod portfolio;
mod reporting;
mod users;

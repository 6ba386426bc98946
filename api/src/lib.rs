//! Beacon's command line and HTTP service.

mod alert_senders;
pub mod alert_worker;
pub mod audit_sealer;
pub mod auth;
pub mod cli;
pub mod config;
pub mod csv_export;
pub mod database;
pub mod in_flight;
pub mod mail;
pub mod owners;
pub mod pagination;
pub mod password;
mod priority;
pub mod problem;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;

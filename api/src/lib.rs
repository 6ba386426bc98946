//! Beacon's command line and HTTP service.

pub mod alert_worker;
pub mod audit_sealer;
pub mod auth;
pub mod cli;
pub mod csv_export;
pub mod database;
pub mod mail;
pub mod pagination;
pub mod password;
pub mod problem;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;

//! Beacon's command line and HTTP service: the application layer (`app`) and its
//! faces: the REST API (`rest`, served by `server`), the command line (`cli`) and the
//! alert worker (`alert_worker`, sending through `mail`).

pub mod alert_worker;
pub mod app;
pub mod audit_sealer;
pub mod cli;
pub mod csv_table;
pub mod database;
pub mod mail;
pub mod message;
pub mod metrics;
pub mod password;
pub mod rest;
pub mod server;
pub mod settings;
pub mod telemetry;
pub mod web;

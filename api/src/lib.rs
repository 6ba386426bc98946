//! Beacon's command line (and, as it grows, its HTTP service).

pub mod cli;
pub mod password;

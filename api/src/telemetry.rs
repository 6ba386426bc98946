//! Logs: human-readable by default, JSON with `BEACON_LOG_FORMAT=json`, filtered by
//! `BEACON_LOG` (see `settings::LogSettings`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// Starts logging to stderr; `default_level` applies when `BEACON_LOG` is not set.
pub fn init(settings: &LogSettings, default_level: &str) {
    let level = settings.log.as_deref().unwrap_or(default_level);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a log file.
        .with_ansi(std::io::stderr().is_terminal());
    // try_init: a second call (tests start several servers) keeps the first subscriber.
    let _ = match settings.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

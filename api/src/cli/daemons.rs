//! The long-running commands, `serve` and `worker`, and writing the OpenAPI document.

use std::process::ExitCode;

use super::{fail, write_stdout};
use crate::settings::{AlertSettings, LogSettings, Settings};

/// Runs the server in the foreground until it is told to stop.
pub(super) fn serve(
    database_url: Option<String>,
    log: &LogSettings,
    mut settings: Settings,
) -> ExitCode {
    crate::telemetry::init(log, "info");
    settings.database_url = database_url;
    let result = actix_web::rt::System::new().block_on(async move {
        let app = crate::server::Application::build(settings).map_err(|e| e.to_string())?;
        let url = app.url();
        tracing::info!("Beacon is listening on {url}; API docs at {url}/docs/");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// The alert worker alone, in the foreground, until SIGTERM or Ctrl-C: then it finishes
/// the batch in hand and exits. A worker killed outright (SIGKILL, a crash) leaves its
/// claimed alerts to be sent by another once their lease ends.
pub(super) fn worker(
    database_url: Option<String>,
    log: &LogSettings,
    alerts: AlertSettings,
) -> ExitCode {
    crate::telemetry::init(log, "info");
    if !alerts.rules.enabled {
        return fail("BEACON_ALERTS is off: there is nothing for a worker to do");
    }
    let opened = match crate::database::open(database_url.as_deref()) {
        Ok(opened) => opened,
        Err(error) => return fail(&error.to_string()),
    };
    let worker = match crate::alert_worker::Worker::new(opened.pool, alerts, &opened.url) {
        Ok(worker) => worker,
        Err(error) => return fail(&error.to_string()),
    };
    eprintln!(
        "beacon: alert worker {} sending {} from the {} database at {}",
        worker.id(),
        worker.describe(),
        opened.url.backend_name(),
        opened.url.redacted()
    );
    let handle = match crate::alert_worker::WorkerHandle::spawn(worker) {
        Ok(handle) => handle,
        Err(error) => return fail(&format!("cannot start the alert worker: {error}")),
    };
    let stopped = actix_web::rt::System::new().block_on(stop_signal());
    if let Err(error) = stopped {
        return fail(&format!("cannot wait for a stop signal: {error}"));
    }
    eprintln!("beacon: stopping the alert worker after the batch in hand");
    drop(handle);
    ExitCode::SUCCESS
}

/// Waits for SIGTERM (what service managers send) or SIGINT (Ctrl-C).
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = terminate.recv() => Ok(()),
            result = actix_web::rt::signal::ctrl_c() => result,
        }
    }
    #[cfg(not(unix))]
    {
        actix_web::rt::signal::ctrl_c().await
    }
}

pub(super) fn write_openapi(output: &str) -> ExitCode {
    let document = match crate::rest::openapi().to_pretty_json() {
        Ok(json) => json + "\n",
        Err(e) => return fail(&format!("cannot render the OpenAPI document: {e}")),
    };
    if output == "-" {
        write_stdout(&document);
        return ExitCode::SUCCESS;
    }
    match std::fs::write(output, document) {
        Ok(()) => {
            println!("Wrote {output}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot write {output}: {e}")),
    }
}

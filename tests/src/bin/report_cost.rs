//! What a status report costs inside its write transaction, with alerts off or on:
//! records COUNT reports, red or amber at random on the benchmark's programmes, one
//! after another on one connection, as the admin EMAIL. `bench/report_cost.sh` runs it
//! under callgrind, whose instruction counts do not depend on what else the machine is
//! doing, so a change of a few percent can be measured on a noisy day. On SQLite every
//! one of those instructions runs holding the database's one write lock.
//!
//!   beacon-report-cost DATABASE_URL EMAIL COUNT off|on

use beacon_core::{NewStatusReport, Rating};
use beacon_db::alerts::Policy;
use beacon_db::audit::Actor;
use beacon_db::status_reports::Provenance;
use rand::{Rng, SeedableRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, email, count, alerts] = args.as_slice() else {
        return Err("usage: beacon-report-cost DATABASE_URL EMAIL COUNT off|on".into());
    };
    let count: usize = count.parse()?;
    let policy = match alerts.as_str() {
        "on" => Policy::on(Vec::new()),
        "off" => Policy::off(),
        other => return Err(format!("alerts must be off or on, not '{other}'").into()),
    };
    let pool = beacon_db::open(&beacon_db::DatabaseUrl::parse(url)?)?;
    let mut conn = pool.get()?;
    let user = beacon_db::users::find_by_email(&mut conn, &beacon_core::Email::parse(email)?)?
        .ok_or_else(|| format!("no user {email}"))?;
    let actor = Actor::user(user.id, &user.email);
    let provenance = Provenance {
        reported_by: Some(user.id),
        reported_at: None,
        source: "beacon",
        owners_only: false,
    };
    let today = chrono::Utc::now().date_naive();
    let period_end = today - chrono::Days::new(1);
    // The same reports on every run, so that two runs differ only in the build.
    let mut random = rand::rngs::StdRng::seed_from_u64(2026);
    let started = std::time::Instant::now();
    for _ in 0..count {
        let code = format!("bench-{:05}", random.random_range(1..=1000));
        let rating = if random.random_bool(0.5) {
            Rating::Red
        } else {
            Rating::Amber
        };
        let report = NewStatusReport::new(rating, "Benchmark report", period_end, today)?;
        beacon_db::status_reports::record(
            &mut conn,
            &actor,
            code.as_str(),
            &report,
            &provenance,
            &policy,
        )?;
    }
    if count > 0 {
        let each = started.elapsed().as_secs_f64() * 1e6 / count as f64;
        println!("{count} reports with alerts {alerts}: {each:.0} µs each");
    }
    Ok(())
}

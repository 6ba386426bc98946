//! `GET /metrics` as Prometheus scrapes it: parsed, and moving by the requests made.

use beacon_tests::TestDb;
use beacon_tests::app::TestApp;
use serde_json::json;

const TOKEN: &str = "a token for the scraper, long enough";

/// The value of one sample: `name` with exactly these labels (in any order).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let mut found: Vec<(&str, &str)> = rest
                .trim_end_matches('}')
                .split(',')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k, v.trim_matches('"')))
                .collect();
            let mut wanted = labels.to_vec();
            found.sort();
            wanted.sort();
            (found == wanted).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

fn scrape(app: &TestApp) -> String {
    let reply = app.raw("GET", "/metrics", Some(TOKEN), None, &[]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .contains("openmetrics-text")
    );
    reply.text
}

fn the_metrics_move_by_the_requests_made(db: TestDb) {
    let app = TestApp::spawn_with(db, |s| s.metrics_token = Some(TOKEN.into()));
    let admin = app.admin();
    let list = [
        ("method", "GET"),
        ("route", "/api/v1/programmes"),
        ("status", "200"),
    ];
    let one = [
        ("method", "GET"),
        ("route", "/api/v1/programmes/{code}"),
        ("status", "200"),
    ];
    let before = scrape(&app);
    for _ in 0..7 {
        assert_eq!(app.get("/api/v1/programmes", &admin).status, 200);
    }
    for code in ["esn", "hob", "eagle-x"] {
        assert_eq!(
            app.get(&format!("/api/v1/programmes/{code}"), &admin)
                .status,
            200
        );
    }
    for _ in 0..2 {
        app.get("/api/v1/no-such-thing-4711", &admin).problem(404);
    }
    let guess = json!({"email": "admin@beacon.test", "password": "not the password at all"});
    for expected in [401, 401, 401, 401, 401, 429] {
        let body = guess.to_string();
        let refused = app.raw(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(("application/json", &body)),
            &[],
        );
        assert_eq!(refused.status, expected);
    }
    let after = scrape(&app);
    let moved = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    assert_eq!(moved("beacon_http_requests_total", &list), 7.0, "{after}");
    assert_eq!(
        moved("beacon_http_request_duration_seconds_count", &list[..2]),
        7.0
    );
    assert_eq!(
        moved("beacon_http_requests_total", &one),
        3.0,
        "one route, whatever the code"
    );
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(moved("beacon_http_requests_total", &unmatched), 2.0);
    assert!(!after.contains("4711"), "paths never become labels");
    assert_eq!(moved("beacon_sign_in_failures_total", &[]), 5.0);
    assert_eq!(moved("beacon_sign_in_lockouts_total", &[]), 1.0);
    assert!(
        after.contains("beacon_alerts{status=\"pending\"}"),
        "{after}"
    );
    assert!(after.contains("beacon_alerts_oldest_pending_age_seconds"));
    assert!(after.contains("beacon_audit_unsealed_entries"));
    assert!(after.contains("beacon_db_pool_connections{state=\"idle\"}"));
    assert!(after.contains("beacon_db_pool_waiting"));
    // The metrics are for the scraper that holds the token only.
    let refused = app
        .raw("GET", "/metrics", Some("not the token"), None, &[])
        .problem(403);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("BEACON_METRICS_TOKEN"),
        "{refused}"
    );
    app.raw("GET", "/metrics", None, None, &[]).problem(403);
}

#[test]
fn the_metrics_move_by_the_requests_made_on_sqlite() {
    the_metrics_move_by_the_requests_made(TestDb::sqlite());
}

#[test]
fn the_metrics_move_by_the_requests_made_on_postgres() {
    the_metrics_move_by_the_requests_made(TestDb::postgres());
}

#[test]
fn without_a_token_only_this_machine_reads_the_metrics() {
    let app = TestApp::sqlite();
    assert_eq!(app.raw("GET", "/healthz", None, None, &[]).status, 200);
    let reply = app.raw("GET", "/metrics", None, None, &[]);
    assert_eq!(
        reply.status, 200,
        "the tests call from 127.0.0.1: {}",
        reply.text
    );
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(
        sample(&reply.text, "beacon_http_requests_total", &healthz),
        1.0,
        "{}",
        reply.text
    );
}

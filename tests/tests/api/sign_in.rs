//! The sign-in throttle under attack: guesses counted before each password check, in
//! the database, whatever the concurrency and however many servers; and the owner
//! still admitted.

use std::time::{Duration, Instant};

use beacon_api::settings::TrustedProxies;
use beacon_core::sign_in::{PER_ACCOUNT, PER_ADDRESS, UNDER_ATTACK_SPACING};
use beacon_tests::TestDb;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp};
use serde_json::json;

/// A server that believes X-Forwarded-For from the tests' own address, as one behind a
/// reverse proxy does.
fn behind_proxy(db: TestDb) -> TestApp {
    TestApp::spawn_with(db, |settings| {
        settings.trusted_proxies = TrustedProxies(vec!["127.0.0.1/32".parse().unwrap()]);
    })
}

fn sign_in(app: &TestApp, password: &str, from: Option<&str>) -> Reply {
    let body = json!({"email": ADMIN_EMAIL, "password": password}).to_string();
    let headers: Vec<(&str, &str)> = from.map(|a| ("x-forwarded-for", a)).into_iter().collect();
    app.raw(
        "POST",
        "/api/v1/auth/token",
        None,
        Some(("application/json", &body)),
        &headers,
    )
}

/// Sends `count` wrong guesses at once, spread over `servers` in turn, guess `i` from
/// `address(i)`; returns how many were checked (401) and how many turned away (429).
fn guess_at_once(
    servers: &[&TestApp],
    count: usize,
    address: impl Fn(usize) -> Option<String> + Sync,
) -> (usize, usize) {
    const THREADS: usize = 30;
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let address = &address;
                scope.spawn(move || {
                    (t..count)
                        .step_by(THREADS)
                        .map(|i| {
                            let app = servers[i % servers.len()];
                            sign_in(app, "a wrong guess", address(i).as_deref()).status
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, count, "only 401 and 429: {statuses:?}");
    (checked, refused)
}

/// The most guesses an account can have checked in `elapsed` once under attack: its
/// allowance for the hour, then one per spacing (and one at the start).
fn account_limit(elapsed: Duration) -> usize {
    let spaced = elapsed.as_secs_f64() / UNDER_ATTACK_SPACING.as_secs_f64();
    PER_ACCOUNT as usize + 1 + spaced.ceil() as usize
}

fn concurrent_guesses_from_one_address(app: &TestApp) {
    let (checked, refused) = guess_at_once(&[app], 300, |_| None);
    assert_eq!(checked, PER_ADDRESS as usize, "{refused} refused");
    let reply = sign_in(app, ADMIN_PASSWORD, None);
    reply.problem(429);
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
}

fn concurrent_guesses_from_many_addresses(servers: &[&TestApp]) {
    let started = Instant::now();
    let (checked, _) = guess_at_once(servers, 300, |i| {
        Some(format!("198.51.100.{}, 127.0.0.1", i % 250 + 1))
    });
    let limit = account_limit(started.elapsed());
    assert!(
        checked <= limit,
        "{checked} guesses checked; the limit was {limit}"
    );
    assert!(
        checked >= PER_ACCOUNT as usize,
        "the allowance itself is usable: {checked}"
    );
}

/// The owner, from an address that has not failed, gets in within seconds while the
/// account is under attack.
fn the_owner_gets_in_from_a_fresh_address(app: &TestApp) {
    let started = Instant::now();
    loop {
        let reply = sign_in(app, ADMIN_PASSWORD, Some("203.0.113.9"));
        if reply.status == 200 {
            break;
        }
        reply.problem(429);
        let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!(
            retry <= UNDER_ATTACK_SPACING.as_secs(),
            "told to wait {retry} s"
        );
        assert!(started.elapsed() < Duration::from_secs(15), "still refused");
        std::thread::sleep(Duration::from_millis(500));
    }
}

mod three_hundred_guesses_from_one_address_check_a_handful {
    use super::*;

    #[test]
    fn sqlite() {
        concurrent_guesses_from_one_address(&TestApp::sqlite());
    }

    #[test]
    fn postgres() {
        concurrent_guesses_from_one_address(&TestApp::postgres());
    }
}

mod three_hundred_guesses_from_many_addresses_stay_within_the_account_limit {
    use super::*;

    #[test]
    fn sqlite() {
        let app = behind_proxy(TestDb::sqlite());
        concurrent_guesses_from_many_addresses(&[&app]);
        the_owner_gets_in_from_a_fresh_address(&app);
    }

    #[test]
    fn postgres() {
        let app = behind_proxy(TestDb::postgres());
        concurrent_guesses_from_many_addresses(&[&app]);
        the_owner_gets_in_from_a_fresh_address(&app);
    }

    #[test]
    fn two_servers_on_one_postgres() {
        let first = behind_proxy(TestDb::postgres());
        let second = behind_proxy(first.db.share());
        concurrent_guesses_from_many_addresses(&[&first, &second]);
        the_owner_gets_in_from_a_fresh_address(&second);
    }
}

beacon_tests::api_test!(fn guesses_from_one_address_do_not_lock_the_owner_out_elsewhere(app) {
    let app = behind_proxy(app.db.share());
    for _ in 0..PER_ADDRESS {
        sign_in(&app, "a wrong guess", Some("198.51.100.7")).problem(401);
    }
    sign_in(&app, ADMIN_PASSWORD, Some("198.51.100.7")).problem(429);
    assert_eq!(sign_in(&app, ADMIN_PASSWORD, Some("203.0.113.9")).status, 200);
});

beacon_tests::api_test!(fn an_address_the_server_does_not_trust_cannot_choose_its_own(app) {
    for i in 0..PER_ADDRESS {
        let forged = format!("198.51.100.{}", i + 1);
        sign_in(app, "a wrong guess", Some(&forged)).problem(401);
    }
    sign_in(app, ADMIN_PASSWORD, Some("203.0.113.9")).problem(429);
});

beacon_tests::api_test!(fn an_admin_can_lift_the_throttle_for_an_account(app) {
    let (id, _) = app.user("locked@force.police.uk", "viewer");
    let guess = json!({"email": "locked@force.police.uk", "password": "a wrong guess"});
    for _ in 0..PER_ADDRESS {
        app.send("POST", "/api/v1/auth/token", None, Some(&guess)).problem(401);
    }
    app.send("POST", "/api/v1/auth/token", None, Some(&guess)).problem(429);
    let path = format!("/api/v1/users/{id}/sign-in-throttle");
    let (_, viewer) = app.user("other@force.police.uk", "viewer");
    app.send("DELETE", &path, Some(&viewer), None).problem(403);
    let lifted = app.send("DELETE", &path, Some(&app.admin()), None);
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    assert_eq!(lifted.json()["attempts_forgotten"], PER_ADDRESS);
    app.token("locked@force.police.uk", beacon_tests::app::PASSWORD);
    let audit = app.get(&format!("/api/v1/audit?entity=user&entity_id={id}"), &app.admin());
    let actions: Vec<_> = audit.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(actions.contains(&"lift_sign_in_throttle".to_string()), "{actions:?}");
});

//! Several `beacon serve` replicas and a `beacon worker` on one PostgreSQL, driven
//! together from one client that spreads its requests across them: they keep one
//! register, send each alert once, share the sign-in throttle and web sessions, and
//! see a change to a user on the next request whichever replica made it.

use std::collections::HashMap;
use std::time::Duration;

use beacon_tests::smtp::{SmtpServer, read};
use serde_json::{Value, json};

use super::serve::{Served, http, serve};
use super::*;

const ADMIN: &str = "admin@replicas.test";
const PASSWORD: &str = "a password the replicas share";

/// The replicas' addresses, and a way to ask any of them.
struct Replicas {
    bases: Vec<String>,
}

struct Answer {
    status: u16,
    body: String,
    cookies: Vec<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Replicas {
    /// `method path` on replica `i` (taken round the replicas), with a bearer token or
    /// a cookie, and a JSON or form body.
    fn ask(&self, i: usize, method: &str, path: &str, auth: Auth<'_>, body: Body<'_>) -> Answer {
        let url = format!("{}{path}", self.bases[i % self.bases.len()]);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        match auth {
            Auth::None => {}
            Auth::Token(token) => {
                request = request.header("authorization", format!("Bearer {token}"))
            }
            Auth::Cookie(cookie) => request = request.header("cookie", cookie),
        }
        let (kind, text) = match body {
            Body::None => (None, String::new()),
            Body::Json(value) => (Some("application/json"), value.to_string()),
            Body::Form(form) => (Some("application/x-www-form-urlencoded"), form.to_string()),
        };
        if let Some(kind) = kind {
            request = request.header("content-type", kind);
        }
        let mut response = agent.run(request.body(text).unwrap()).unwrap();
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_string)
            .collect();
        Answer {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_string().unwrap_or_default(),
            cookies,
        }
    }

    fn token(&self, i: usize, email: &str, password: &str) -> String {
        let answer = self.ask(
            i,
            "POST",
            "/api/v1/auth/token",
            Auth::None,
            Body::Json(&json!({"email": email, "password": password})),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["access_token"].as_str().unwrap().to_string()
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Token(&'a str),
    Cookie(&'a str),
}

#[derive(Clone, Copy)]
enum Body<'a> {
    None,
    Json(&'a Value),
    Form(&'a str),
}

/// Settings every replica and the worker share.
fn shared(db: &TestDb, smtp: &SmtpServer) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.url_text.clone()),
        (
            "BEACON_JWT_SECRET",
            "a secret every replica of this register shares".into(),
        ),
        (
            "BEACON_SESSION_KEY",
            "a session key every replica of this register shares".into(),
        ),
        ("BEACON_ADMIN_EMAIL", ADMIN.into()),
        ("BEACON_ADMIN_PASSWORD", PASSWORD.into()),
        ("BEACON_SMTP_URL", smtp.url()),
        ("BEACON_ALERT_POLL_MS", "50".into()),
        ("BEACON_ALERT_LEASE_SECONDS", "5".into()),
        ("BEACON_ALERT_BACKOFF_MS", "100".into()),
    ]
}

fn start(dir: &Path, env: &[(&'static str, String)]) -> Served {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    serve(dir, &env)
}

#[test]
fn three_replicas_and_a_worker_keep_one_register() {
    let db = TestDb::postgres();
    beacon_api::app::seed::load(&mut db.conn()).unwrap();
    let smtp = SmtpServer::start();
    let env = shared(&db, &smtp);
    let dir = tempfile::tempdir().unwrap();
    let served: Vec<Served> = (0..3).map(|_| start(dir.path(), &env)).collect();
    let mut worker = beacon(dir.path(), &["worker"]);
    worker.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut worker = worker
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let replicas = Replicas {
        bases: served
            .iter()
            .map(|s| format!("http://127.0.0.1:{}", s.port))
            .collect(),
    };
    let admin = replicas.token(0, ADMIN, PASSWORD);

    // Two leads own four programmes.
    let programmes = ["esn", "hob", "eagle-x", "knife-detection"];
    let mut leads = Vec::new();
    for (i, email) in ["lead-a@kent.police.uk", "lead-b@kent.police.uk"]
        .into_iter()
        .enumerate()
    {
        let made = replicas.ask(
            i,
            "POST",
            "/api/v1/users",
            Auth::Token(&admin),
            Body::Json(&json!({"email": email, "role": "lead", "password": PASSWORD})),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        let id = made.json()["id"].as_i64().unwrap();
        for (j, code) in programmes.iter().enumerate() {
            let owned = replicas.ask(
                i + j,
                "PUT",
                &format!("/api/v1/programmes/{code}/owners/{id}"),
                Auth::Token(&admin),
                Body::None,
            );
            assert!(owned.status < 300, "{}", owned.body);
        }
        leads.push((id, email));
    }

    // 200 status reports, 50 per programme alternating green and red, each to the next
    // replica: every turn to Red, and back, is emailed to the programme's two owners once.
    let mut turns = 0;
    for code in programmes {
        let now = replicas
            .ask(
                0,
                "GET",
                &format!("/api/v1/programmes/{code}"),
                Auth::Token(&admin),
                Body::None,
            )
            .json();
        let mut red = now["rating"] == "red";
        for i in 0..50 {
            if (i % 2 == 1) != red {
                turns += 1;
                red = !red;
            }
        }
    }
    std::thread::scope(|scope| {
        for (p, code) in programmes.iter().enumerate() {
            let (replicas, admin) = (&replicas, &admin);
            scope.spawn(move || {
                for i in 0..50 {
                    let rating = if i % 2 == 0 { "green" } else { "red" };
                    let body = json!({"rating": rating, "rationale": format!("Report {i}"), "period_end": "2026-09-30"});
                    let made = replicas.ask(p + i, "POST", &format!("/api/v1/programmes/{code}/status-reports"), Auth::Token(admin), Body::Json(&body));
                    assert_eq!(made.status, 201, "{}", made.body);
                }
            });
        }
    });
    let expected = turns * 2;
    let mail = smtp.wait_for(expected, Duration::from_secs(90));
    std::thread::sleep(Duration::from_secs(2));
    let mail = if smtp.messages().len() > mail.len() {
        smtp.messages()
    } else {
        mail
    };
    assert_eq!(
        mail.len(),
        expected,
        "one email per owner per turn, and no more"
    );
    let mut ids = HashMap::new();
    let mut per_owner: HashMap<String, usize> = HashMap::new();
    for received in &mail {
        let message = read(&received.raw);
        *ids.entry(message.header("Message-ID").to_string())
            .or_insert(0) += 1;
        for to in &received.to {
            *per_owner.entry(to.clone()).or_default() += 1;
        }
    }
    assert_eq!(ids.len(), expected, "no Message-ID twice");
    for (_, email) in &leads {
        assert_eq!(
            per_owner.get(*email),
            Some(&turns),
            "{email}: {per_owner:?}"
        );
    }

    // 100 allocations racing over one envelope that holds 50 of them, across replicas.
    let made = replicas.ask(
        1,
        "POST",
        "/api/v1/funding-streams",
        Auth::Token(&admin),
        Body::Json(&json!({"code": "race", "name": "Race", "description": "Test stream"})),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let set = replicas.ask(
        2,
        "PUT",
        "/api/v1/funding-streams/race/envelopes/2026-27",
        Auth::Token(&admin),
        Body::Json(&json!({"amount_pence": 50_000, "basis": "Race"})),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racing: Vec<_> = (0..100)
            .map(|i| {
                let (replicas, admin) = (&replicas, &admin);
                scope.spawn(move || {
                    let body = json!({"programme": "hob", "financial_year": "2026-27", "amount_pence": 1_000, "kind": "allocation", "reason": format!("Race {i}")});
                    replicas.ask(i, "POST", "/api/v1/funding-streams/race/allocations", Auth::Token(admin), Body::Json(&body)).status
                })
            })
            .collect();
        racing.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        50,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 422),
        "{statuses:?}"
    );
    let stream = replicas
        .ask(
            0,
            "GET",
            "/api/v1/funding-streams/race",
            Auth::Token(&admin),
            Body::None,
        )
        .json();
    assert_eq!(
        stream["envelopes"][0]["allocated_pence"], 50_000,
        "{stream}"
    );

    // The audit chain, linked by three sealers, checks out.
    let verified = replicas
        .ask(
            2,
            "GET",
            "/api/v1/audit/verify",
            Auth::Token(&admin),
            Body::None,
        )
        .json();
    assert_eq!(verified["intact"], true, "{verified}");

    // Failed sign-ins spread over the three count as one throttle.
    let guess = json!({"email": "lead-a@kent.police.uk", "password": "a wrong guess at it"});
    for i in 0..5 {
        let refused = replicas.ask(
            i,
            "POST",
            "/api/v1/auth/token",
            Auth::None,
            Body::Json(&guess),
        );
        assert_eq!(refused.status, 401, "{}", refused.body);
    }
    let throttled = replicas.ask(
        5,
        "POST",
        "/api/v1/auth/token",
        Auth::None,
        Body::Json(&guess),
    );
    assert_eq!(throttled.status, 429, "{}", throttled.body);

    // A web session made by one replica is good on the others.
    let page = replicas.ask(0, "GET", "/sign-in", Auth::None, Body::None);
    let cookie = page.cookies.join("; ");
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let form = format!(
        "email={}&password={}&csrf={csrf}&next=",
        ADMIN.replace('@', "%40"),
        PASSWORD.replace(' ', "+")
    );
    let signed_in = replicas.ask(
        0,
        "POST",
        "/sign-in",
        Auth::Cookie(&cookie),
        Body::Form(&form),
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let session = signed_in.cookies.join("; ");
    for i in 1..3 {
        let portfolio = replicas.ask(i, "GET", "/", Auth::Cookie(&session), Body::None);
        assert_eq!(portfolio.status, 200, "replica {i}: {}", portfolio.body);
        assert!(
            portfolio.body.contains("Sign out"),
            "replica {i} knows the session"
        );
    }

    // A user deactivated on one replica is refused on the others at the next request.
    let (lead_b, email_b) = leads[1];
    let token_b = replicas.token(2, email_b, PASSWORD);
    assert_eq!(
        replicas
            .ask(1, "GET", "/api/v1/me", Auth::Token(&token_b), Body::None)
            .status,
        200
    );
    let off = replicas.ask(
        0,
        "PATCH",
        &format!("/api/v1/users/{lead_b}"),
        Auth::Token(&admin),
        Body::Json(&json!({"active": false})),
    );
    assert_eq!(off.status, 200, "{}", off.body);
    for i in 1..3 {
        assert_eq!(
            replicas
                .ask(i, "GET", "/api/v1/me", Auth::Token(&token_b), Body::None)
                .status,
            401,
            "replica {i}"
        );
    }

    let _ = worker.kill();
    let _ = worker.wait();
    for replica in served {
        replica.stop();
    }
    let _ = http();
}

/// `beacon ARGS` on the database, which must succeed.
fn ok_on(db: &TestDb, dir: &Path, args: &[&str]) {
    let output = beacon(dir, &["--database-url", &db.url_text])
        .args(args)
        .env("BEACON_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

/// Queues alerts as `beacon report` does: each programme turned to `rating` emails
/// its two owners. Returns how many alerts are pending.
fn queue_alerts(db: &TestDb, dir: &Path, rating: &str) -> i64 {
    for code in [
        "esn",
        "hob",
        "eagle-x",
        "knife-detection",
        "live-facial-recognition",
    ] {
        ok_on(
            db,
            dir,
            &[
                "report",
                code,
                "--as",
                ADMIN,
                "--rating",
                rating,
                "--rationale",
                "Slipped",
                "--period-end",
                "2026-09-30",
            ],
        );
    }
    pending(db)
}

fn pending(db: &TestDb) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT COUNT(*) AS n FROM alerts WHERE status = 'pending'")
        .get_result(&mut db.conn())
        .unwrap();
    n.n
}

fn worker(db: &TestDb, dir: &Path, smtp: &SmtpServer, lease_seconds: &str) -> std::process::Child {
    let mut command = beacon(dir, &["worker"]);
    for (name, value) in shared(db, smtp) {
        command.env(name, value);
    }
    command
        .env("BEACON_ALERT_LEASE_SECONDS", lease_seconds)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn message_ids(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    for received in smtp.messages() {
        *ids.entry(read(&received.raw).header("Message-ID").to_string())
            .or_insert(0) += 1;
    }
    ids
}

#[test]
fn a_stopped_worker_gives_back_its_batch_and_a_killed_one_loses_nothing() {
    let db = TestDb::postgres();
    beacon_api::app::seed::load(&mut db.conn()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    ok_on(
        &db,
        dir.path(),
        &["user", "add", "--email", ADMIN, "--role", "admin"],
    );
    for lead in ["lead-a@kent.police.uk", "lead-b@kent.police.uk"] {
        ok_on(
            &db,
            dir.path(),
            &["user", "add", "--email", lead, "--role", "lead"],
        );
        for code in [
            "esn",
            "hob",
            "eagle-x",
            "knife-detection",
            "live-facial-recognition",
        ] {
            ok_on(
                &db,
                dir.path(),
                &["owner", "add", "--programme", code, "--email", lead],
            );
        }
    }
    queue_alerts(&db, dir.path(), "green");
    let smtp = SmtpServer::start().discarding();
    let mut first = worker(&db, dir.path(), &smtp, "60");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while pending(&db) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never caught up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = first.kill();
    let _ = first.wait();

    // SIGTERM while a slow mail server takes a batch: the worker finishes the message
    // in hand and gives the rest back, so another sends them at once, not after the
    // minute-long lease.
    let smtp = SmtpServer::start();
    smtp.slow(Duration::from_millis(400));
    let queued = queue_alerts(&db, dir.path(), "red");
    assert_eq!(queued, 10);
    let mut stopping = worker(&db, dir.path(), &smtp, "60");
    smtp.wait_for(1, Duration::from_secs(30));
    let stopped = Command::new("kill")
        .args(["-TERM", &stopping.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(
        stopping.wait().unwrap().success(),
        "SIGTERM is a clean stop"
    );
    let sent_before = smtp.messages().len();
    assert!(sent_before < 10, "it stopped mid-batch: {sent_before}");
    smtp.slow(Duration::ZERO);
    let started = std::time::Instant::now();
    let mut next = worker(&db, dir.path(), &smtp, "60");
    smtp.wait_for(10, Duration::from_secs(20));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "given back, not left to the lease"
    );
    std::thread::sleep(Duration::from_millis(500));
    let ids = message_ids(&smtp);
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert!(ids.values().all(|n| *n == 1), "none twice: {ids:?}");
    let _ = next.kill();
    let _ = next.wait();

    // SIGKILL mid-send: nothing is lost (the lease ends and another worker sends), and
    // only the message in flight goes again, under the same Message-ID.
    let smtp = SmtpServer::start();
    smtp.slow(Duration::from_millis(400));
    assert_eq!(queue_alerts(&db, dir.path(), "green"), 10);
    let mut killed = worker(&db, dir.path(), &smtp, "3");
    smtp.wait_for(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(200));
    killed.kill().unwrap();
    let _ = killed.wait();
    smtp.slow(Duration::ZERO);
    let mut after = worker(&db, dir.path(), &smtp, "3");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while pending(&db) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "alerts were lost: {} pending",
            pending(&db)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let ids = message_ids(&smtp);
    assert_eq!(ids.len(), 10, "every alert sent: {ids:?}");
    let twice = ids.values().filter(|n| **n == 2).count();
    assert!(
        twice <= 1 && ids.values().all(|n| *n <= 2),
        "only the one in flight again: {ids:?}"
    );
    let _ = after.kill();
    let _ = after.wait();
}

#[test]
fn a_replica_stopped_under_load_finishes_every_request_it_took() {
    let db = TestDb::postgres();
    beacon_api::app::seed::load(&mut db.conn()).unwrap();
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let served = start(dir.path(), &shared(&db, &smtp));
    let replica = Replicas {
        bases: vec![format!("http://127.0.0.1:{}", served.port)],
    };
    let admin = replica.token(0, ADMIN, PASSWORD);
    let pid = served.child.id().to_string();
    let signalled = std::sync::atomic::AtomicBool::new(false);
    // Each thread asks for the portfolio again and again, on a new connection each
    // time, until the replica is gone. An answer, once begun, must be whole.
    let (answered, after_signal) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let (replica, admin, signalled) = (&replica, &admin, &signalled);
                scope.spawn(move || {
                    let (mut answered, mut after_signal) = (0, 0);
                    let url = format!("{}/api/v1/portfolio", replica.bases[0]);
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .max_idle_connections(0)
                        .build()
                        .into();
                    loop {
                        let was_signalled = signalled.load(std::sync::atomic::Ordering::SeqCst);
                        let Ok(mut response) = agent
                            .get(&url)
                            .header("authorization", format!("Bearer {admin}"))
                            .call()
                        else {
                            // Not taken: the replica had stopped listening.
                            assert!(
                                was_signalled
                                    || signalled.load(std::sync::atomic::Ordering::SeqCst),
                                "refused before the signal"
                            );
                            return (answered, after_signal);
                        };
                        assert_eq!(response.status().as_u16(), 200, "a request it took failed");
                        let body = response
                            .body_mut()
                            .read_to_string()
                            .expect("an answer cut short");
                        let portfolio: Value =
                            serde_json::from_str(&body).expect("a whole portfolio");
                        assert!(portfolio["programmes"].is_array());
                        answered += 1;
                        if was_signalled {
                            after_signal += 1;
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        signalled.store(true, std::sync::atomic::Ordering::SeqCst);
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        clients
            .into_iter()
            .map(|c| c.join().unwrap())
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    });
    assert!(answered > 4, "the load ran: {answered} answers");
    eprintln!("{answered} answers, {after_signal} begun after the signal");
    let mut child = served.child;
    assert!(child.wait().unwrap().success(), "SIGTERM is a clean stop");
}

//! The real server on a free port, over a test database, and a small HTTP client.

use std::sync::mpsc;

use std::time::Duration;

use beacon_api::server::Application;
use beacon_api::settings::{
    AlertRules, AlertSettings, Environment, Recipients, Settings, TrustedProxies,
};
use serde_json::Value;

use crate::TestDb;

pub const ADMIN_EMAIL: &str = "admin@beacon.test";
pub const ADMIN_PASSWORD: &str = "an admin password for tests";
/// The key test servers sign tokens with.
pub const TEST_SECRET: &str = "a test secret that is long enough to sign with";
/// The password every user made by `TestApp::user` has.
pub const PASSWORD: &str = "a user password for tests";

/// Settings for a test server: port 0, two workers, alerts delivered and retried
/// quickly; everything else as a fresh install has it.
pub fn settings(database_url: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".to_string(),
        database_url: Some(database_url.to_string()),
        environment: Environment::Development,
        jwt_secret: Some(TEST_SECRET.into()),
        session_key: Some("a session key for tests, long enough to derive from".into()),
        admin_email: None,
        admin_password: None,
        token_ttl_seconds: 3600,
        trusted_proxies: TrustedProxies::default(),
        metrics_token: None,
        shutdown_timeout_seconds: 30,
        workers: Some(2),
        alerts: AlertSettings {
            rules: AlertRules {
                enabled: true,
                extra_recipients: Recipients::default(),
            },
            smtp_url: None,
            mail_from: "Beacon <beacon@localhost>".to_string(),
            public_url: None,
            alert_dir: None,
            max_attempts: 8,
            lease: Duration::from_secs(5),
            poll: Duration::from_millis(50),
            backoff: Duration::from_millis(50),
            batch: 20,
            cadence_days: 35,
        },
    }
}

/// A running server, stopped when dropped.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    /// Where alerts go as .eml files when no SMTP server is set.
    pub alert_dir: std::path::PathBuf,
    _alert_dir: tempfile::TempDir,
    agent: ureq::Agent,
    server: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(
            problem["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("https://"))
        );
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
        // The id a user quotes is the one in the header and on the server's log lines.
        let id = self.header("x-request-id");
        assert!(id.is_some_and(|id| !id.is_empty()), "no x-request-id");
        assert_eq!(problem["request_id"].as_str(), id, "{}", self.text);
        problem
    }
}

impl TestApp {
    /// Starts the server over `db`, seeded with the public data, with an admin.
    pub fn spawn(db: TestDb) -> Self {
        Self::spawn_with(db, |_| {})
    }

    /// Starts the server over `db` with settings changed by `configure` (e.g. an SMTP
    /// server for alerts).
    pub fn spawn_with(db: TestDb, configure: impl FnOnce(&mut Settings)) -> Self {
        beacon_api::app::seed::load(&mut db.conn()).unwrap();
        let alert_dir = tempfile::tempdir().unwrap();
        let mut settings = settings(&db.url_text);
        settings.admin_email = Some(beacon_core::Email::parse(ADMIN_EMAIL).unwrap());
        settings.admin_password = Some(ADMIN_PASSWORD.into());
        settings.alerts.alert_dir = Some(alert_dir.path().to_path_buf());
        configure(&mut settings);
        let (ready, started) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            let app = Application::build(settings).unwrap();
            ready.send((app.port(), app.handle())).unwrap();
            let _ = system.block_on(app.run_until_stopped());
        });
        let (port, server) = started.recv().unwrap();
        // A fresh connection per request: the server may close a connection after
        // refusing a request whose body it never read, and a pooled client would then
        // fail its next request on that connection at random.
        // Redirects are answers to check, not to follow.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .max_redirects(0)
            .build()
            .into();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            db,
            alert_dir: alert_dir.path().to_path_buf(),
            _alert_dir: alert_dir,
            agent,
            server,
            thread: Some(thread),
        }
    }

    pub fn sqlite() -> Self {
        Self::spawn(TestDb::sqlite())
    }

    pub fn postgres() -> Self {
        Self::spawn(TestDb::postgres())
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let text = body.map(|b| b.to_string());
        self.raw(
            method,
            path,
            token,
            text.as_deref().map(|t| ("application/json", t)),
            &[],
        )
    }

    /// Sends a request with any body, content type and extra headers.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, &str)>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, _)) = body {
            request = request.header("content-type", content_type);
        }
        let request = request
            .body(body.map(|(_, b)| b.to_string()).unwrap_or_default())
            .unwrap();
        let mut response = self.agent.run(request).unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Reply {
            status,
            headers,
            text,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None)
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("POST", path, Some(token), Some(&body))
    }

    /// Signs in and returns the token.
    pub fn token(&self, email: &str, password: &str) -> String {
        let reply = self.send(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(&serde_json::json!({"email": email, "password": password})),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    pub fn admin(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD)
    }

    /// Creates a user with `role` through the API and returns (id, token).
    pub fn user(&self, email: &str, role: &str) -> (i64, String) {
        let reply = self.post(
            "/api/v1/users",
            &self.admin(),
            serde_json::json!({"email": email, "role": role, "password": PASSWORD}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
        (
            reply.json()["id"].as_i64().unwrap(),
            self.token(email, PASSWORD),
        )
    }

    /// Makes the user an owner of the programme.
    pub fn own(&self, code: &str, user_id: i64) {
        let reply = self.send(
            "PUT",
            &format!("/api/v1/programmes/{code}/owners/{user_id}"),
            Some(&self.admin()),
            None,
        );
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Not graceful: the test is over, and idle keep-alive connections would
        // otherwise hold the server for its whole shutdown timeout.
        actix_web::rt::System::new().block_on(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Declares an API test whose one body runs against a server on SQLite and one on
/// PostgreSQL: `api_test!(fn name(app) { ... })`.
#[macro_export]
macro_rules! api_test {
    ($(#[$meta:meta])* fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($app: &$crate::app::TestApp) $body

            #[test]
            $(#[$meta])*
            fn sqlite() {
                body(&$crate::app::TestApp::sqlite())
            }

            #[test]
            $(#[$meta])*
            fn postgres() {
                body(&$crate::app::TestApp::postgres())
            }
        }
    };
}

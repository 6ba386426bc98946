//! The pages' rules, over plain HTTP: what a forged or stale form gets.

use beacon_tests::api_test;
use beacon_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD};

api_test!(fn a_post_without_the_forms_token_is_refused(app) {
    let body = format!("email={ADMIN_EMAIL}&password={}&next=/", ADMIN_PASSWORD.replace(' ', "+"));
    for csrf in ["", "&csrf=0123456789abcdef0123456789abcdef"] {
        let reply = app.raw("POST", "/sign-in", None, Some(("application/x-www-form-urlencoded", &format!("{body}{csrf}"))), &[]);
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert!(reply.text.contains("did not come from Beacon"), "{}", reply.text);
        assert!(reply.header("set-cookie").is_none_or(|c| !c.contains("signed_in")));
    }
});

api_test!(fn pages_send_a_signed_out_visitor_to_sign_in(app) {
    for (path, next) in [("/", "/"), ("/programmes/esn?x=1", "/programmes/esn%3Fx%3D1"), ("/portfolio.csv", "/portfolio.csv")] {
        let reply = app.send("GET", path, None, None);
        assert_eq!(reply.status, 303, "{path}");
        assert_eq!(reply.header("location"), Some(format!("/sign-in?next={next}").as_str()), "{path}");
    }
    let page = app.send("GET", "/sign-in?next=https://elsewhere.example/", None, None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("name=\"next\" value=\"/\""), "an address elsewhere is not followed");
    assert!(page.header("content-security-policy").is_some());
});

/// A browser's visit without the browser: the session cookie kept between requests.
struct Visit<'a> {
    app: &'a beacon_tests::app::TestApp,
    cookie: std::cell::RefCell<String>,
}

impl<'a> Visit<'a> {
    fn signed_in(app: &'a beacon_tests::app::TestApp, email: &str, password: &str) -> Self {
        let visit = Visit {
            app,
            cookie: Default::default(),
        };
        let csrf = visit.csrf("/sign-in");
        let body = format!(
            "email={email}&password={}&csrf={csrf}&next=/",
            password.replace(' ', "+")
        );
        assert_eq!(visit.post("/sign-in", &body).status, 303);
        visit
    }

    fn send(&self, method: &str, path: &str, body: Option<&str>) -> beacon_tests::app::Reply {
        let cookie = self.cookie.borrow().clone();
        let reply = self.app.raw(
            method,
            path,
            None,
            body.map(|b| ("application/x-www-form-urlencoded", b)),
            &[("cookie", cookie.as_str())],
        );
        if let Some(set) = reply.header("set-cookie") {
            *self.cookie.borrow_mut() = set.split(';').next().unwrap_or_default().to_string();
        }
        reply
    }

    fn post(&self, path: &str, body: &str) -> beacon_tests::app::Reply {
        self.send("POST", path, Some(body))
    }

    /// The form token on the page at `path`.
    fn csrf(&self, path: &str) -> String {
        let page = self.send("GET", path, None).text;
        let at = page.find("name=\"csrf\" value=\"").expect("a form token") + 19;
        page[at..at + 32].to_string()
    }
}

api_test!(fn a_forged_report_is_refused_whoever_posts_it(app) {
    let (lead, _) = app.user("lead@norfolk.police.uk", "lead");
    app.own("esn", lead);
    app.user("viewer@norfolk.police.uk", "viewer");
    let reports = || app.get("/api/v1/programmes/hob/status-reports?limit=200", &app.admin()).json()["items"].as_array().unwrap().len();
    let before = reports();
    let form = |csrf: &str| format!("rating=red&rationale=Forged&period_end=2026-10-31&csrf={csrf}");
    for email in ["viewer@norfolk.police.uk", "lead@norfolk.police.uk"] {
        let visit = Visit::signed_in(app, email, beacon_tests::app::PASSWORD);
        let csrf = visit.csrf("/");
        let refused = visit.post("/programmes/hob/report", &form(&csrf));
        assert_eq!(refused.status, 403, "{email}: {}", refused.text);
        assert!(refused.text.contains("Only the programme&#39;s owners") || refused.text.contains("Only the programme's owners"), "{}", refused.text);
    }
    // The owner, with the form's token, is let in; without it, not.
    let visit = Visit::signed_in(app, "lead@norfolk.police.uk", beacon_tests::app::PASSWORD);
    assert_eq!(visit.post("/programmes/esn/report", &form("")).status, 403);
    let csrf = visit.csrf("/programmes/esn/report");
    assert_eq!(visit.post("/programmes/esn/report", &form(&csrf)).status, 303);
    assert_eq!(reports(), before, "nothing was recorded on hob");
});

api_test!(fn the_portfolio_pages_rows_download_as_csv(app) {
    let visit = Visit::signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    let reply = visit.send("GET", "/portfolio.csv?rating=red", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("text/csv; charset=utf-8"));
    let (header, rows) = beacon_tests::csv_table(&reply.text);
    assert_eq!(header[..4], ["as_of", "financial_year", "code", "name"]);
    let codes: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(codes, ["pnd-transformation"], "the filters apply");
});

api_test!(fn only_finance_and_admin_may_post_funding(app) {
    app.user("viewer@norfolk.police.uk", "viewer");
    let visit = Visit::signed_in(app, "viewer@norfolk.police.uk", beacon_tests::app::PASSWORD);
    let csrf = visit.csrf("/funding");
    let body = format!("stream=facial-recognition-funding&programme=live-facial-recognition&financial_year=2024-25&kind=allocation&amount=1&reason=Forged&csrf={csrf}");
    let refused = visit.post("/funding/allocations", &body);
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("finance and admin"), "{}", refused.text);
    let forged = [
        ("/funding/envelopes", format!("stream=facial-recognition-funding&financial_year=2024-25&amount=1&basis=Forged&csrf={csrf}")),
        ("/funding/spend", format!("programme=live-facial-recognition&financial_year=2024-25&category=run&amount=1&description=Forged&csrf={csrf}")),
    ];
    for (path, body) in &forged {
        let refused = visit.post(path, body);
        assert_eq!(refused.status, 403, "{path}: {}", refused.text);
        assert!(refused.text.contains("finance and admin"), "{}", refused.text);
        // The refusal keeps the viewer's header: who they are, their menu, sign-out.
        let page = visit.send("GET", path, None);
        assert_eq!(page.status, 403, "{path}");
        assert!(page.text.contains("header-account") && page.text.contains("Sign out"), "{}", page.text);
    }
    let history = app.get("/api/v1/funding/history?programme=live-facial-recognition&limit=200", &app.admin()).json();
    let entries = history["items"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["reason"] != "Forged" && e["description"] != "Forged"), "{entries:?}");
    let stream = app.get("/api/v1/funding-streams/facial-recognition-funding", &app.admin()).json();
    let envelope = stream["envelopes"].as_array().unwrap().iter().find(|e| e["financial_year"] == "2024-25").unwrap().clone();
    assert_eq!(envelope["amount_pence"], 1_387_500_000_i64, "unchanged");
});

api_test!(fn the_history_pages_rows_download_as_the_apis_csv(app) {
    let visit = Visit::signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    let reply = visit.send("GET", "/history.csv?programme=esn&stream=&financial_year=&kind=", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let api = app.raw("GET", "/api/v1/funding/history.csv?programme=esn", Some(&app.admin()), None, &[]);
    assert_eq!(reply.text, api.text, "the same CSV as the API's");
    assert!(!beacon_tests::csv_table(&reply.text).1.is_empty());
});

api_test!(fn only_admins_may_post_account_changes(app) {
    app.user("viewer@norfolk.police.uk", "viewer");
    let visit = Visit::signed_in(app, "viewer@norfolk.police.uk", beacon_tests::app::PASSWORD);
    assert_eq!(visit.send("GET", "/users", None).status, 403);
    let csrf = visit.csrf("/");
    let made = visit.post("/users", &format!("email=mole@x.police.uk&role=admin&password=quiet+harbour+lantern+morning&csrf={csrf}"));
    assert_eq!(made.status, 403, "{}", made.text);
    let promoted = visit.post("/users/2", &format!("role=admin&csrf={csrf}"));
    assert_eq!(promoted.status, 403, "{}", promoted.text);
    let owned = visit.post("/users/2/owns", &format!("programme=esn&csrf={csrf}"));
    assert_eq!(owned.status, 403, "{}", owned.text);
    let me = app.token("viewer@norfolk.police.uk", beacon_tests::app::PASSWORD);
    let me = app.get("/api/v1/me", &me).json();
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["programmes"], serde_json::json!([]));
    let users = app.get("/api/v1/users", &app.admin()).json();
    assert!(users["items"].as_array().unwrap().iter().all(|u| u["email"] != "mole@x.police.uk"));
});

api_test!(fn a_browser_gets_a_page_for_an_unknown_path_and_a_client_a_problem(app) {
    let page = app.raw("GET", "/no-such-page", None, None, &[("accept", "text/html,application/xhtml+xml")]);
    assert_eq!(page.status, 404);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(page.text.contains("There is no page at /no-such-page"), "{}", page.text);
    assert!(!page.text.contains("header-account"), "no one is signed in");
    let visit = Visit::signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    let cookie = visit.cookie.borrow().clone();
    let framed = app.raw("GET", "/no-such-page", None, None, &[("accept", "text/html"), ("cookie", cookie.as_str())]);
    assert_eq!(framed.status, 404);
    assert!(framed.text.contains("There is no page at /no-such-page"), "{}", framed.text);
    assert!(framed.text.contains("header-account") && framed.text.contains("href=\"/funding\""), "the signed-in menu: {}", framed.text);
    app.send("GET", "/no-such-page", None, None).problem(404);
    let api = app.raw("GET", "/api/v1/nothing", None, None, &[("accept", "text/html")]);
    api.problem(404);
});

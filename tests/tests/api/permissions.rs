//! The whole role × endpoint matrix: who may call what.

use beacon_tests::api_test;
use serde_json::{Value, json};

const ROLES: [&str; 5] = ["admin", "finance", "lead", "auditor", "viewer"];

struct Case {
    method: &'static str,
    path: String,
    body: Option<Value>,
    allowed: &'static [&'static str],
}

fn case(
    method: &'static str,
    path: &str,
    body: Option<Value>,
    allowed: &'static [&'static str],
) -> Case {
    Case {
        method,
        path: path.to_string(),
        body,
        allowed,
    }
}

const ALL: &[&str] = &ROLES;
const ADMIN: &[&str] = &["admin"];
const FINANCE: &[&str] = &["admin", "finance"];
const REPORTERS: &[&str] = &["admin", "lead"];
const AUDITORS: &[&str] = &["admin", "auditor"];

api_test!(fn every_role_gets_exactly_its_permissions(app) {
    let admin = app.admin();
    let mut tokens = vec![("admin", admin.clone())];
    let mut lead_id = 0;
    for role in &ROLES[1..] {
        let (id, token) = app.user(&format!("{role}@force.police.uk"), role);
        if *role == "lead" {
            lead_id = id;
        }
        tokens.push((role, token));
    }
    // The lead owns ESN, so reporting on it is theirs to do.
    app.own("esn", lead_id);
    let (target, _) = app.user("target@force.police.uk", "viewer");

    let cases = vec![
        case("GET", "/api/v1/me", None, ALL),
        case("GET", "/api/v1/users", None, AUDITORS),
        case("POST", "/api/v1/users", Some(json!({"email": "new@force.police.uk", "role": "viewer", "password": "long enough password"})), ADMIN),
        case("GET", &format!("/api/v1/users/{target}"), None, AUDITORS),
        case("PATCH", &format!("/api/v1/users/{target}"), Some(json!({"role": "viewer"})), ADMIN),
        case("GET", "/api/v1/forces", None, ALL),
        case("GET", "/api/v1/forces/norfolk", None, ALL),
        case("GET", "/api/v1/programmes", None, ALL),
        case("GET", "/api/v1/programmes/esn", None, ALL),
        case("POST", "/api/v1/programmes", Some(json!({"code": "matrix", "name": "M", "capability_area": "aviation", "sponsor": "NPCC", "stage": "pipeline"})), ADMIN),
        case("PATCH", "/api/v1/programmes/esn", Some(json!({"stage": "delivery"})), ADMIN),
        case("PUT", &format!("/api/v1/programmes/hob/owners/{target}"), None, ADMIN),
        case("DELETE", &format!("/api/v1/programmes/hob/owners/{target}"), None, ADMIN),
        case("GET", "/api/v1/programmes/esn/status-reports", None, ALL),
        case("POST", "/api/v1/programmes/esn/status-reports", Some(json!({"rating": "green", "period_end": "2026-09-30"})), REPORTERS),
        case("GET", "/api/v1/funding-streams", None, ALL),
        case("GET", "/api/v1/funding-streams/dpc-grant", None, ALL),
        case("POST", "/api/v1/funding-streams", Some(json!({"code": "matrix-stream", "name": "M"})), FINANCE),
        case("PUT", "/api/v1/funding-streams/dpc-grant/envelopes/2026-27", Some(json!({"amount_pence": 100})), FINANCE),
        case("POST", "/api/v1/funding-streams/hmt-police-technology-2024-28/allocations", Some(json!({"programme": "eagle-x", "financial_year": "2025-26", "amount_pence": 1, "kind": "allocation", "reason": "matrix"})), FINANCE),
        case("POST", "/api/v1/programmes/esn/spend", Some(json!({"financial_year": "2025-26", "amount_pence": 1, "category": "run", "description": "matrix"})), FINANCE),
        case("GET", "/api/v1/funding/history?programme=esn", None, ALL),
        case("GET", "/api/v1/funding/summary?group_by=sponsor", None, ALL),
        case("GET", "/api/v1/portfolio?as_of=2020-03-31", None, ALL),
        case("GET", "/api/v1/programmes/esn?as_of=2018-01-01", None, ALL),
        case("GET", "/api/v1/audit?entity=programme", None, AUDITORS),
        case("GET", "/api/v1/audit?format=csv&entity=force", None, AUDITORS),
        case("GET", "/api/v1/audit/verify", None, AUDITORS),
        case("GET", "/api/v1/alerts?status=failed", None, AUDITORS),
        case("POST", "/api/v1/alerts/424242/retry", None, ADMIN),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let anonymous = app.send(case.method, &case.path, None, case.body.as_ref());
        if anonymous.status != 401 {
            failures.push(format!("anonymous {} {} -> {}", case.method, case.path, anonymous.status));
        }
        for (role, token) in &tokens {
            let reply = app.send(case.method, &case.path, Some(token), case.body.as_ref());
            let allowed = case.allowed.contains(role);
            let ok = if allowed { reply.status != 401 && reply.status != 403 && reply.status < 500 } else { reply.status == 403 };
            if !ok {
                failures.push(format!("{role} {} {} -> {} {}", case.method, case.path, reply.status, reply.text));
            }
            if !allowed {
                reply.problem(403);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
});

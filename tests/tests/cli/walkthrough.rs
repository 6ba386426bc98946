//! The README's walkthrough, in its written order, on one database: the first command,
//! then "A first session with curl" with the admin settings it gives.

use super::serve::{Served, http, serve};

const EMAIL: &str = "admin@example.police.uk";
const PASSWORD: &str = "a long admin password";

fn sign_in(served: &Served, password: &str) -> (u16, String) {
    let mut reply = http()
        .post(format!(
            "http://127.0.0.1:{}/api/v1/auth/token",
            served.port
        ))
        .send_json(serde_json::json!({"email": EMAIL, "password": password}))
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.body_mut().read_to_string().unwrap())
}

fn call(
    served: &Served,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, String, Vec<(String, String)>) {
    let url = format!("http://127.0.0.1:{}{path}", served.port);
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .unwrap();
    let mut reply = http().run(request).unwrap();
    let headers = reply
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    (
        reply.status().as_u16(),
        reply.body_mut().read_to_string().unwrap(),
        headers,
    )
}

fn codes(body: &str) -> Vec<String> {
    let list: serde_json::Value = serde_json::from_str(body).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_readme_walkthrough_works_in_its_written_order() {
    let dir = tempfile::tempdir().unwrap();
    // "Two commands": the first start makes beacon.db and a generated admin.
    let first = serve(dir.path(), &[]);
    let printed = first
        .stdout
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(
        printed,
        "Created the first admin account: admin@beacon.local"
    );
    first.stop();

    // "A first session with curl", on the same beacon.db.
    let settings = [
        ("BEACON_ADMIN_EMAIL", EMAIL),
        ("BEACON_ADMIN_PASSWORD", PASSWORD),
    ];
    let served = serve(dir.path(), &settings);
    let (status, body) = sign_in(&served, PASSWORD);
    assert_eq!(status, 200, "{body}");
    assert!(
        served
            .log_text()
            .contains("created the admin account named by BEACON_ADMIN_EMAIL"),
        "{}",
        served.log_text()
    );
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = token["access_token"].as_str().unwrap();
    let (status, body, _) = call(&served, "GET", "/api/v1/programmes?rating=red", token, None);
    assert_eq!(status, 200);
    assert!(
        codes(&body).contains(&"pnd-transformation".to_string()),
        "{body}"
    );
    let report = serde_json::json!({"rating": "amber_red", "rationale": "Cloud transition re-planned; first milestones met.", "period_end": "2026-10-31"});
    let (status, body, _) = call(
        &served,
        "POST",
        "/api/v1/programmes/pnd-transformation/status-reports",
        token,
        Some(report),
    );
    assert_eq!(status, 201, "{body}");
    let (_, body, _) = call(
        &served,
        "GET",
        "/api/v1/programmes?rating=amber_red",
        token,
        None,
    );
    assert!(
        codes(&body).contains(&"pnd-transformation".to_string()),
        "{body}"
    );
    let (status, body, _) = call(&served, "GET", "/api/v1/programmes?owner=me", token, None);
    assert_eq!(
        (status, codes(&body).len()),
        (200, 0),
        "the admin owns nothing"
    );
    let (status, body, headers) = call(&served, "GET", "/api/v1/portfolio?format=csv", token, None);
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/csv"))
    );
    assert!(body.starts_with("as_of,financial_year,code,name"), "{body}");

    // A client's mistake is one INFO line naming the problem, without the token.
    let garbled = format!("{token}x");
    let (status, _, _) = call(&served, "GET", "/api/v1/programmes", &garbled, None);
    assert_eq!(status, 401);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = served.log_text();
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert!(
        refused[0].contains(" INFO ")
            && refused[0].contains("status=401")
            && refused[0].contains("invalid-token"),
        "{}",
        refused[0]
    );
    assert!(
        refused[0].contains("method=GET path=/api/v1/programmes"),
        "{}",
        refused[0]
    );
    assert!(
        !log.contains(token) && !log.contains(PASSWORD),
        "no secret is logged"
    );
    // The only warnings are the unset keys' (the README's session sets none).
    assert!(
        log.lines()
            .filter(|l| l.contains(" WARN "))
            .all(|l| l.contains("is not set: using a random key")),
        "{log}"
    );
    served.stop();

    // Starting again with another password changes nothing, and says so in one line.
    let again = serve(
        dir.path(),
        &[
            ("BEACON_ADMIN_EMAIL", EMAIL),
            ("BEACON_ADMIN_PASSWORD", "yet another admin password"),
        ],
    );
    assert_eq!(sign_in(&again, PASSWORD).0, 200);
    assert_eq!(sign_in(&again, "yet another admin password").0, 401);
    let warned: Vec<String> = again
        .log_text()
        .lines()
        .filter(|l| {
            l.contains("BEACON_ADMIN_PASSWORD is not the password of admin@example.police.uk")
        })
        .map(str::to_string)
        .collect();
    assert_eq!(warned.len(), 1, "{}", again.log_text());
    assert!(warned[0].contains("its password is unchanged"));
    again.stop();
}

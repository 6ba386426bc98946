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

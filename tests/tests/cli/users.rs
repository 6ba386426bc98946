//! User accounts from the command line.

use super::*;

fn users_are_added_and_listed(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    let add = |email: &str, role: &str, password: Option<&str>| {
        let mut command = beacon(
            dir.path(),
            &[
                "--database-url",
                url,
                "user",
                "add",
                "--email",
                email,
                "--role",
                role,
            ],
        );
        if let Some(password) = password {
            command.env("BEACON_PASSWORD", password);
        }
        command.output().unwrap()
    };
    let created = add(
        "Lead@Norfolk.Police.UK",
        "lead",
        Some("a long enough password"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("lead@norfolk.police.uk"));

    assert_refused(
        &add(
            "lead@norfolk.police.uk",
            "admin",
            Some("a long enough password"),
        ),
        "already exists",
    );
    assert_refused(
        &add("new@norfolk.police.uk", "admin", Some("short")),
        "at least 12 characters",
    );
    assert_refused(
        &add("new@norfolk.police.uk", "admin", None),
        "BEACON_PASSWORD",
    );
    assert_refused(
        &add(
            "new@norfolk.police.uk",
            "superuser",
            Some("a long enough password"),
        ),
        "use one of: admin, finance, lead, auditor, viewer",
    );
    assert_refused(
        &add("not-an-email", "admin", Some("a long enough password")),
        "not an email address",
    );

    let list = stdout(&run(dir.path(), &["--database-url", url, "user", "list"]));
    assert!(
        list.contains("lead@norfolk.police.uk") && list.contains("lead"),
        "{list}"
    );
    assert!(!list.contains("argon2"), "hashes are never shown");
    assert_eq!(beacon_db::users::list(&mut db.conn()).unwrap().len(), 1);
    let email = beacon_core::Email::parse("lead@norfolk.police.uk").unwrap();
    let stored = beacon_db::users::credentials(&mut db.conn(), &email)
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(beacon_api::password::verify(
        "a long enough password",
        &stored.password_hash
    ));
}

both_backends!(fn users(db) {
    users_are_added_and_listed(db);
});

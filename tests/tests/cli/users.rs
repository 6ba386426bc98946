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

fn users_are_deactivated_reactivated_and_given_new_passwords(db: &TestDb) {
    let cli = Cli::on(db);
    let lead = "lead@norfolk.police.uk";
    cli.add_user(lead, "lead");
    let id = user_id(db, lead);
    let stored = || beacon_db::users::get(&mut db.conn(), id).unwrap();
    let signed_in = |version: i64| {
        beacon_api::app::users::signed_in(&mut db.conn(), id, version)
            .unwrap()
            .is_some()
    };
    let first = stored().token_version;
    assert!(signed_in(first));

    let text = cli.ok(&["user", "deactivate", "--email", lead]);
    assert!(
        text.contains("lead@norfolk.police.uk is deactivated"),
        "{text}"
    );
    assert!(!stored().active);
    assert!(!signed_in(first), "the earlier token ends");
    let trail = beacon_tests::inspect::audit_for(&mut db.conn(), "user", &id.to_string());
    assert_eq!(trail.last().unwrap().actor, "beacon user deactivate");
    let again = cli.ok(&["user", "deactivate", "--email", lead]);
    assert!(again.contains("already deactivated"), "{again}");
    let list = cli.ok(&["user", "list"]);
    let line = list.lines().find(|l| l.contains(lead)).unwrap();
    assert!(line.contains("no"), "{line}");

    let text = cli.ok(&["user", "activate", "--email", lead]);
    assert!(text.contains("active again"), "{text}");
    assert!(stored().active);
    let second = stored().token_version;
    assert!(signed_in(second));

    let reset = ["user", "reset-password", "--email", lead];
    assert_refused(
        &cli.run(&reset),
        "set BEACON_PASSWORD to the user's new password",
    );
    assert_refused(
        &cli.with_password(&reset, "short"),
        "at least 12 characters",
    );
    let output = cli.with_password(&reset, "another long password");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("New password set for lead@norfolk.police.uk"));
    let email = beacon_core::Email::parse(lead).unwrap();
    let hash = beacon_db::users::credentials(&mut db.conn(), &email)
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(beacon_api::password::verify("another long password", &hash));
    assert!(!signed_in(second), "a new password ends the earlier tokens");
    let trail = beacon_tests::inspect::audit_for(&mut db.conn(), "user", &id.to_string());
    assert_eq!(trail.last().unwrap().actor, "beacon user reset-password");
    assert!(
        !trail
            .last()
            .unwrap()
            .after
            .as_deref()
            .unwrap()
            .contains("argon2")
    );

    for command in ["deactivate", "activate", "reset-password", "lift-throttle"] {
        let output = cli.with_password(
            &["user", command, "--email", "nobody@norfolk.police.uk"],
            PASSWORD,
        );
        assert_refused(&output, "no user has the email nobody@norfolk.police.uk");
    }
}

both_backends!(fn users_change(db) {
    users_are_deactivated_reactivated_and_given_new_passwords(db);
});

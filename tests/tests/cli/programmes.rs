//! A programme's owners from the command line, and `beacon programme` showing them.

use super::*;

fn owners_are_added_shown_and_removed(db: &TestDb) {
    let cli = Cli::seeded(db);
    let (lead, viewer) = ("lead@norfolk.police.uk", "viewer@norfolk.police.uk");
    cli.add_user(lead, "lead");
    cli.add_user(viewer, "viewer");
    let shown = cli.ok(&["programme", "esn"]);
    assert!(
        shown.contains("Owners: none yet; add one with `beacon owner add --programme esn"),
        "{shown}"
    );

    let add = |email: &str| cli.run(&["owner", "add", "--programme", "esn", "--email", email]);
    let added = stdout(&add(lead));
    assert!(
        added.contains("lead@norfolk.police.uk now owns esn"),
        "{added}"
    );
    let again = stdout(&add(lead));
    assert!(
        again.contains("already owns esn: nothing changed"),
        "{again}"
    );
    let added = stdout(&add(viewer));
    assert!(
        added.contains("will be emailed its alerts but may not report"),
        "{added}"
    );
    let shown = cli.ok(&["programme", "esn"]);
    assert!(
        shown.contains("Owners: lead@norfolk.police.uk (lead), viewer@norfolk.police.uk (viewer)"),
        "{shown}"
    );
    let lead_id = user_id(db, lead);
    let trail = beacon_tests::inspect::audit_for(
        &mut db.conn(),
        "programme_owner",
        &format!("esn/{lead_id}"),
    );
    assert_eq!(trail.len(), 1, "adding an owner twice records it once");
    assert_eq!(trail[0].actor, "beacon owner add");

    let remove =
        |email: &str| cli.run(&["owner", "remove", "--programme", "esn", "--email", email]);
    let removed = stdout(&remove(viewer));
    assert!(
        removed.contains("viewer@norfolk.police.uk no longer owns esn"),
        "{removed}"
    );
    assert_refused(&remove(viewer), "viewer@norfolk.police.uk does not own esn");
    let shown = cli.ok(&["programme", "esn"]);
    assert!(
        shown.contains("Owners: lead@norfolk.police.uk (lead)\n"),
        "{shown}"
    );
    let viewer_id = user_id(db, viewer);
    let trail = beacon_tests::inspect::audit_for(
        &mut db.conn(),
        "programme_owner",
        &format!("esn/{viewer_id}"),
    );
    assert_eq!(trail.last().unwrap().actor, "beacon owner remove");

    // A deactivated owner is shown as such: they hear of nothing.
    cli.ok(&["user", "deactivate", "--email", lead]);
    let shown = cli.ok(&["programme", "esn"]);
    assert!(
        shown.contains("Owners: lead@norfolk.police.uk (lead, deactivated)"),
        "{shown}"
    );

    for command in ["add", "remove"] {
        let unknown = ["owner", command, "--programme", "no-such", "--email", lead];
        assert_refused(
            &cli.run(&unknown),
            "no programme has the code 'no-such'; `beacon portfolio` lists every code",
        );
        let nobody = [
            "owner",
            command,
            "--programme",
            "esn",
            "--email",
            "nobody@x.police.uk",
        ];
        assert_refused(
            &cli.run(&nobody),
            "no user has the email nobody@x.police.uk",
        );
    }
}

both_backends!(fn owners(db) {
    owners_are_added_shown_and_removed(db);
});

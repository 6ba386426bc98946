//! Funding streams and envelopes from the command line.

use super::*;

#[test]
fn an_envelope_set_from_the_command_line_is_stored_and_audited() {
    let db = TestDb::postgres();
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_text.as_str();
    assert!(
        run(dir.path(), &["--database-url", url, "seed"])
            .status
            .success()
    );
    let output = run(
        dir.path(),
        &[
            "--database-url",
            url,
            "envelope",
            "set",
            "--stream",
            "hmt-police-technology-2024-28",
            "--year",
            "2025-26",
            "--amount-pence",
            "0",
            "--basis",
            "NAO: stream cut from 2025-26",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("2025-26: £0.00"),
        "{}",
        stdout(&output)
    );
    let mut conn = db.conn();
    let trail = beacon_tests::inspect::audit_for(
        &mut conn,
        "envelope",
        "hmt-police-technology-2024-28/2025-26",
    );
    assert_eq!(trail.last().unwrap().actor, "beacon envelope set");
    assert!(
        trail
            .last()
            .unwrap()
            .after
            .as_deref()
            .unwrap()
            .contains("NAO: stream cut")
    );
}

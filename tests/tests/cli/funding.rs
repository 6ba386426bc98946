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

fn streams_are_listed_with_their_envelopes(db: &TestDb) {
    let cli = Cli::seeded(db);
    let text = cli.ok(&["stream", "list"]);
    assert!(
        text.contains("HM Treasury police technology funding (hmt-police-technology-2024-28)"),
        "{text}"
    );
    let facial = text
        .split("\n\n")
        .find(|s| s.contains("(facial-recognition-funding)"))
        .unwrap();
    let year = facial.lines().find(|l| l.contains("2024-25")).unwrap();
    for figure in ["£13,875,000.00", "£4,000,000.00", "£9,875,000.00"] {
        assert!(
            year.contains(figure),
            "envelope, allocated, headroom: {year}"
        );
    }
    cli.ok(&[
        "envelope",
        "set",
        "--stream",
        "hmt-police-technology-2024-28",
        "--year",
        "2025-26",
        "--amount-pence",
        "5950000000",
    ]);
    let text = cli.ok(&["stream", "list"]);
    let hmt = text
        .split("\n\n")
        .find(|s| s.contains("(hmt-police-technology-2024-28)"))
        .unwrap();
    let year = hmt.lines().find(|l| l.contains("2025-26")).unwrap();
    assert!(year.contains("£59,500,000.00"), "{year}");
}

both_backends!(fn stream_list(db) {
    streams_are_listed_with_their_envelopes(db);
});

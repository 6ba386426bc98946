//! `beacon export`: the API's CSV downloads as files.

use super::*;

use beacon_api::app::history::{self, HistoryQuery};

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    beacon_tests::csv_table(&std::fs::read_to_string(path).unwrap())
}

fn every_history_entry_is_exported_once(db: &TestDb) {
    let cli = Cli::seeded(db);
    let said = cli.ok(&["export", "history"]);
    let file = cli.dir.path().join("beacon-funding-history.csv");
    let (header, rows) = read_csv(&file);
    let mut conn = db.conn();
    let filter = history::filter(&mut conn, &HistoryQuery::default()).unwrap();
    let stored = history::page(&mut conn, &filter, None, i64::MAX).unwrap();
    assert_eq!(rows.len(), stored.len());
    assert_eq!(
        said.trim(),
        format!(
            "Wrote {} funding history entries to beacon-funding-history.csv",
            stored.len()
        )
    );
    assert_eq!(header[..4], ["id", "recorded_at", "kind", "stream"]);
    for (row, entry) in rows.iter().zip(&stored) {
        assert_eq!(row[0], entry.citation());
        assert_eq!(row[2], entry.kind.as_str());
        assert_eq!(row[6], entry.amount.get().to_string());
    }
    assert!(
        !cli.dir
            .path()
            .join("beacon-funding-history.csv.part")
            .exists()
    );
    // A filter narrows it; standard output carries the CSV alone.
    let esn = cli.ok(&["export", "history", "--programme", "esn", "--output", "-"]);
    let lines: Vec<&str> = esn.lines().collect();
    assert_eq!(lines[0], header.join(","));
    assert!(
        lines.len() > 1 && lines[1..].iter().all(|l| l.contains(",esn,")),
        "{esn}"
    );
    let refused = cli.run(&["export", "history", "--programme", "nope"]);
    assert_refused(&refused, "--programme: no programme has the code 'nope'");
}

both_backends!(fn history_export(db) {
    every_history_entry_is_exported_once(db);
});

fn portfolio_and_summary_exports_match_the_app(db: &TestDb) {
    let cli = Cli::seeded(db);
    let out = cli.dir.path().join("p.csv");
    let said = cli.ok(&[
        "export",
        "portfolio",
        "--as-of",
        "2025-03-31",
        "--year",
        "2024-25",
        "--output",
        out.to_str().unwrap(),
    ]);
    let (header, rows) = read_csv(&out);
    let as_of =
        beacon_api::app::AsOf::past(chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()).unwrap();
    let year = "2024-25".parse().unwrap();
    let portfolio =
        beacon_api::app::portfolio::portfolio(&mut db.conn(), as_of, Some(year)).unwrap();
    assert_eq!(rows.len(), portfolio.lines.len());
    assert!(
        said.contains(&format!(
            "Wrote {} programmes (2024-25, as of 2025-03-31)",
            rows.len()
        )),
        "{said}"
    );
    assert_eq!(header[..4], ["as_of", "financial_year", "code", "name"]);
    for (row, line) in rows.iter().zip(&portfolio.lines) {
        assert_eq!(row[2], line.code.as_str());
        assert_eq!(row[3], line.name);
    }
    cli.ok(&[
        "export",
        "summary",
        "--group-by",
        "stream",
        "--output",
        "s.csv",
    ]);
    let (header, rows) = read_csv(&cli.dir.path().join("s.csv"));
    assert_eq!(header[..4], ["as_of", "financial_year", "group_by", "key"]);
    assert_eq!(rows.last().unwrap()[3], "total");
    assert!(rows.iter().all(|r| r[2] == "stream"));
    cli.ok(&[
        "export",
        "summary",
        "--group-by",
        "stream,programme",
        "--output",
        "sp.csv",
    ]);
    let (header, rows) = read_csv(&cli.dir.path().join("sp.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let groups = &rows[..rows.len() - 1];
    assert!(!groups.is_empty());
    for row in groups {
        let (stream, programme) = (&row[column("stream")], &row[column("programme")]);
        assert!(!stream.is_empty() && !programme.is_empty(), "{row:?}");
        assert_eq!(row[3], format!("{stream} / {programme}"));
    }
    let refused = cli.run(&["export", "summary", "--group-by", "colour"]);
    assert_refused(
        &refused,
        "use one or more of financial_year, stream, programme, sponsor",
    );
}

both_backends!(fn table_exports(db) {
    portfolio_and_summary_exports_match_the_app(db);
});

//! `beacon portfolio`: names beside codes, and a year without money says where to look.

use super::*;

fn a_year_without_money_names_the_latest_year_with_money(db: &TestDb) {
    let empty = Cli::on(db).ok(&["portfolio", "--year", "2025-26"]);
    assert!(
        empty.contains("No money recorded for 2025-26, nor for any other year"),
        "{empty}"
    );

    let cli = Cli::seeded(db);
    let text = cli.ok(&["portfolio", "--year", "2024-25"]);
    assert!(!text.contains("No money recorded"), "{text}");
    let pnd = text
        .lines()
        .find(|l| l.contains("pnd-transformation"))
        .unwrap_or_default();
    assert!(
        pnd.contains("Police National"),
        "the name beside the code:\n{text}"
    );

    let later = cli.ok(&["portfolio", "--year", "2027-28"]);
    assert!(
        later.contains(
            "No money recorded for 2027-28; the latest year with money is 2024-25: beacon portfolio --year 2024-25"
        ),
        "{later}"
    );
}

both_backends!(fn year_without_money(db) {
    a_year_without_money_names_the_latest_year_with_money(db);
});

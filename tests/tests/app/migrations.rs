//! Both backends carry the same migrations under the same version names.

use std::path::Path;

fn versions(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let postgres = versions("postgres");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, versions("sqlite"));
}

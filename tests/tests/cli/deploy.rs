//! What several replicas need: they migrate one database together without tripping
//! over each other, and the compose file gives each the settings they must share.

use std::path::Path;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use super::*;

#[test]
fn replicas_starting_together_migrate_one_database_once() {
    let empty = EmptyPostgres::new();
    let dir = tempfile::tempdir().unwrap();
    let starting: Vec<_> = (0..4)
        .map(|_| {
            beacon(dir.path(), &["--database-url", &empty.url, "migrate"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in starting {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stdout(&output).contains("is up to date"),
            "{}",
            stdout(&output)
        );
    }
    let verified = run(
        dir.path(),
        &["--database-url", &empty.url, "audit", "verify"],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
}

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");

fn file(name: &str) -> String {
    std::fs::read_to_string(Path::new(DEPLOY).join(name)).unwrap()
}

/// What every replica and worker must be given alike.
const SHARED: [&str; 5] = [
    "DATABASE_URL",
    "BEACON_JWT_SECRET",
    "BEACON_SESSION_KEY",
    "BEACON_METRICS_TOKEN",
    "BEACON_TRUSTED_PROXIES",
];

#[test]
fn the_compose_file_gives_every_replica_the_settings_they_share() {
    let compose = &YamlLoader::load_from_str(&file("compose.yaml")).unwrap()[0];
    let services = &compose["services"];
    let replicas = ["beacon-1", "beacon-2", "beacon-3"];
    let environment = |service: &str| services[service]["environment"].clone();
    let first = environment("beacon-1");
    for service in replicas.iter().chain(&["worker"]) {
        let env = environment(service);
        for name in SHARED {
            let value = &env[name];
            assert!(
                value.as_str().is_some_and(|v| !v.is_empty()),
                "{service} has no {name}"
            );
            assert_eq!(value, &first[name], "{service}'s {name} is not the others'");
        }
        assert_eq!(env["BEACON_ENV"].as_str(), Some("production"), "{service}");
    }
    assert_eq!(services["worker"]["command"][0].as_str(), Some("worker"));
    // Caddy is the trusted proxy at its fixed address, and sends to every replica.
    let caddy = services["caddy"]["networks"]["beacon"]["ipv4_address"].as_str();
    assert_eq!(caddy, first["BEACON_TRUSTED_PROXIES"].as_str());
    let caddyfile = file("Caddyfile");
    let prometheus = &YamlLoader::load_from_str(&file("prometheus.yml")).unwrap()[0];
    let targets: Vec<&str> = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    for replica in replicas {
        assert!(
            caddyfile.contains(&format!("{replica}:8080")),
            "Caddy leaves out {replica}"
        );
        assert!(
            targets.contains(&format!("{replica}:8080").as_str()),
            "Prometheus leaves out {replica}"
        );
    }
    assert_eq!(
        prometheus["scrape_configs"][0]["metrics_path"].as_str(),
        Some("/metrics")
    );
    assert_eq!(
        prometheus["scrape_configs"][0]["authorization"]["type"].as_str(),
        Some("Bearer")
    );
}

/// Docker Compose's own check, where it is installed (`docker compose` or the older
/// `docker-compose`); these machines cannot run containers, but can check the file.
#[test]
fn docker_compose_accepts_the_file_where_it_is_installed() {
    let settings = [
        ("BEACON_DB_PASSWORD", "x"),
        ("BEACON_JWT_SECRET", "y"),
        ("BEACON_SESSION_KEY", "z"),
        ("BEACON_METRICS_TOKEN", "t"),
    ];
    let compose = Path::new(DEPLOY).join("compose.yaml");
    let compose = compose.to_str().unwrap();
    let tries: [&[&str]; 2] = [&["docker", "compose"], &["docker-compose"]];
    for command in tries {
        let Ok(output) = Command::new(command[0])
            .args(&command[1..])
            .args(["-f", compose, "config", "--quiet"])
            .envs(settings)
            .output()
        else {
            continue;
        };
        if output.status.success() {
            return;
        }
        let said = String::from_utf8_lossy(&output.stderr);
        // `docker` without its compose plugin: try the other.
        if said.contains("unknown") || said.contains("is not a docker command") {
            continue;
        }
        panic!("{} refuses compose.yaml: {said}", command.join(" "));
    }
    eprintln!("Docker Compose is not installed here: compose.yaml checked by reading only");
}

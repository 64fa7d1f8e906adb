//! Connection failures and environment checks against a real PostgreSQL: a
//! clear message and next step, exit 4, within 10 s, never a password.

mod db_support;

use db_support::*;
use std::time::{Duration, Instant};

const SECRET: &str = "Sup3rSecretPw";

/// Runs install-database-objects into a bare app folder; on failure, checks
/// that nothing was written there.
fn install_with(url: &str) -> (Output, Duration) {
    let app = app_dir();
    let started = Instant::now();
    let out = run(tasker_app()
        .arg("install-database-objects")
        .arg(app.path())
        .arg("--database-url")
        .arg(url));
    let took = started.elapsed();
    if out.code != 0 {
        assert_eq!(
            std::fs::read_dir(app.path().join("db")).unwrap().count(),
            0,
            "a failed install wrote files"
        );
        assert_eq!(
            std::fs::read_dir(app.path()).unwrap().count(),
            2,
            "Cargo.toml and db/ only"
        );
    }
    (out, took)
}

#[test]
fn an_unreachable_host_fails_fast_with_a_next_step() {
    let (out, took) = install_with(&format!("postgresql://postgres:{SECRET}@127.0.0.1:1/app"));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(
        out.stderr
            .contains("cannot reach the database at 127.0.0.1:1/app as postgres"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("help:") && out.stderr.contains("provision-postgres.sh"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
}

#[test]
fn a_server_that_never_answers_fails_within_ten_seconds() {
    // Accepts TCP connections and says nothing: only an overall deadline helps.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let (out, took) = install_with(&format!(
        "postgresql://postgres:{SECRET}@127.0.0.1:{port}/app"
    ));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(took < Duration::from_secs(12), "{took:?}");
    assert!(
        out.stderr.contains("no answer within 10 s"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(SECRET));
}

#[test]
fn a_wrong_password_is_named_without_printing_it() {
    let url = with_login(&with_db(server_url(), "postgres"), "postgres", SECRET);
    let (out, _) = install_with(&url);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("refused the login"), "{}", out.stderr);
    assert!(
        out.stderr.contains("password authentication failed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(SECRET) && !out.stdout.contains(SECRET),
        "{}",
        out.stderr
    );

    let v = run(tasker_app().args([
        "validate-environment",
        "--format",
        "json",
        "--database-url",
        &url,
    ]));
    assert_eq!(v.code, 4);
    assert!(
        !v.stdout.contains(SECRET) && !v.stderr.contains(SECRET),
        "{}",
        v.stdout
    );
    let doc: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    let db = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "database")
        .unwrap();
    assert_eq!(db["status"], "fail");
}

/// A login role that is not a superuser, dropped afterwards.
struct Role(String);
impl Role {
    fn new() -> Self {
        let name = format!("tapp_plain_{}", std::process::id());
        let mut admin = admin();
        let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {name}"));
        admin
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN PASSWORD '{SECRET}' NOSUPERUSER"
            ))
            .unwrap();
        Role(name)
    }
}
impl Drop for Role {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP OWNED BY {0}; DROP ROLE IF EXISTS {0}",
            self.0
        ));
    }
}

#[test]
fn a_role_without_privileges_gets_a_clear_hint_and_nothing_changes() {
    let role = Role::new();
    let db = TestDb::new("noprivs");
    admin()
        .batch_execute(&format!(
            "GRANT CREATE ON DATABASE {} TO {}",
            db.name, role.0
        ))
        .unwrap();
    let url = with_login(&db.url, &role.0, SECRET);
    let (out, _) = install_with(&url);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("superuser"), "{}", out.stderr);
    assert!(out.stderr.contains("ALTER ROLE"), "{}", out.stderr);
    assert!(!out.stderr.contains(SECRET));
    assert!(db.scalar_bool("SELECT to_regnamespace('tasker_app') IS NULL AND to_regclass('public._sqlx_migrations') IS NULL"));

    let v = run(tasker_app().args([
        "validate-environment",
        "--format",
        "json",
        "--database-url",
        &url,
    ]));
    assert_eq!(v.code, 4, "{}", v.stdout);
    let doc: serde_json::Value = serde_json::from_str(&v.stdout).unwrap();
    let privileges = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "privileges")
        .unwrap();
    assert_eq!(privileges["status"], "fail");
    assert!(privileges["hint"].as_str().unwrap().contains("superuser"));
}

#[test]
fn validate_environment_reports_every_check_in_the_contract_shape() {
    let db = TestDb::new("validate");
    let out = run(tasker_app().args([
        "validate-environment",
        "--format",
        "json",
        "--database-url",
        &db.url,
    ]));
    let doc: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let checks = doc["checks"].as_array().unwrap();
    for id in [
        "rustc",
        "cargo",
        "protoc",
        "database",
        "postgres_version",
        "pgmq",
        "uuidv7",
        "privileges",
        "port_8080",
        "port_8081",
        "port_3001",
        "docker",
        "git",
    ] {
        let c = checks
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}: {doc}"));
        for field in ["status", "found", "required", "hint"] {
            assert!(c[field].is_string(), "{id}.{field}: {c}");
        }
    }
    for id in ["database", "pgmq", "uuidv7", "privileges"] {
        let c = checks.iter().find(|c| c["id"] == id).unwrap();
        assert_eq!(c["status"], "pass", "{c}");
    }
    let failed: Vec<_> = checks.iter().filter(|c| c["status"] == "fail").collect();
    assert_eq!(doc["ok"], failed.is_empty());
    assert_eq!(
        out.code,
        if failed.is_empty() { 0 } else { 4 },
        "{failed:?}"
    );
    assert!(!out.stdout.contains(":postgres@"), "the URL is redacted");

    let text = run(tasker_app().args(["validate-environment", "--database-url", &db.url]));
    assert!(
        text.stdout.contains("✓ pass") && text.stdout.contains("postgres_version"),
        "{}",
        text.stdout
    );
}

#[test]
fn validate_environment_without_a_database_warns_but_does_not_fail_on_it() {
    let out = run(tasker_app().args(["validate-environment", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let db = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "database")
        .unwrap();
    assert_eq!(db["status"], "warn");
    assert!(db["hint"].as_str().unwrap().contains("macOS"));
}

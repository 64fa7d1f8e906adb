//! The database: creation race (#10), status lines and privileges (#12).

use crate::db_support::{self, TestDb, run, tasker_app};
use crate::json;

// ------------------------------------------------------------------ #10

/// Two runs creating the same new database at once both succeed: the loser
/// waits, finds the database and everything applied.
#[test]
fn issue11_two_runs_creating_one_database_both_succeed() {
    let db = TestDb::unborn("race");
    let apps = [db_support::app_dir(), db_support::app_dir()];
    let children: Vec<std::process::Child> = apps
        .iter()
        .map(|a| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("tasker-app"))
                .env_remove("DATABASE_URL")
                .env("NO_COLOR", "1")
                .args(["install-database-objects", "--database-url", &db.url])
                .arg(a.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<std::process::Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outs {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let created = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("create  database"))
        .count();
    assert_eq!(created, 1, "exactly one run creates the database");
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations") >= 8);
}

// ------------------------------------------------------------------ #12

/// "migrate ..." lines are printed only for changes that were committed.
#[test]
fn issue11_no_migrate_lines_for_a_rolled_back_apply() {
    let db = TestDb::new("rolledback");
    let app = db_support::app_dir();
    for (rel, bytes) in tasker_app::db::sources::embedded_files().unwrap() {
        let target = app.path().join("db").join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    db_support::copy_dir(
        &db_support::repo().join("tests/fixtures/db_broken"),
        &app.path().join("db"),
    );
    let out = run(tasker_app()
        .arg("install-database-objects")
        .arg(app.path())
        .args(["--database-url", &db.url, "--format", "json"]));
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("nothing was applied"), "{}", out.stderr);
    // #8: one JSON document, with the files it concerned.
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    assert!(doc["files"].is_array(), "{doc}");
    for verb in ["migrate", "create", "update"] {
        assert!(
            !out.stderr.lines().any(|l| l.trim_start().starts_with(verb)),
            "a `{verb}` line for a rolled-back change:\n{}",
            out.stderr
        );
    }
}

/// --check as a role without the privileges: exit 4, naming what was refused
/// and how to grant it (was: a bare "permission denied", exit 1).
#[test]
fn issue11_check_without_privileges_says_which_and_exits_4() {
    let db = TestDb::new("nopriv");
    let app = db_support::app_dir();
    let out = run(tasker_app()
        .arg("install-database-objects")
        .arg(app.path())
        .args(["--database-url", &db.url]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let role = format!("nopriv_{}", std::process::id());
    let mut admin = db_support::admin();
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'Np-pw-123'"
        ))
        .unwrap();
    let url = db_support::with_login(&db.url, &role, "Np-pw-123");
    let out = run(tasker_app().args([
        "install-database-objects",
        "--check",
        "--format",
        "json",
        "--database-url",
        &url,
    ]));
    drop(db);
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("lacks a privilege"), "{}", out.stderr);
    assert!(
        out.stderr.contains("permission denied for schema"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("GRANT USAGE ON SCHEMA tasker_app"),
        "{}",
        out.stderr
    );
    assert_eq!(json(&out)["error"]["code"], 4);
}

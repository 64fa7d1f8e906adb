//! One database-object protocol (crates/tasker-app-db), two executors: the
//! CLI (`tasker-app install-database-objects`, sync `postgres`) and a
//! compiled generated app's `migrate` (sqlx). On the same fixtures
//! (tests/fixtures/db_protocol: a quoted mixed-case view, an unqualified
//! view, a view on a later view; and a file that creates no view) they
//! - accept the same files into the same schema, recording the same rows;
//! - refuse the same file with the same words, applying nothing;
//! - after either one applied, the other's `--check` finds no drift and a
//!   second apply by the other does nothing.
//!
//! Builds one small app (one workflow) in the shared target folder of
//! tests/e2e_app.rs (app_support), so CI compiles the engine once. Needs
//! PostgreSQL with pgmq, like every database test; never skipped.

mod app_support;
mod db_support;

use app_support::{cargo, target_dir};
use db_support::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const APP: &str = "db-proto-app";

/// The fixture views, as PostgreSQL stores their names (schema, name).
const ACCEPTED: [(&str, &str); 4] = [
    ("app", "Mixed"),
    ("app", "a_on_later_view"),
    ("app", "unqualified_count"),
    ("app", "z_later_view"),
];

/// The generated app (template folder, kept for the whole run) and its binary.
fn built_app() -> &'static (tempfile::TempDir, PathBuf) {
    static APP_BUILD: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    APP_BUILD.get_or_init(|| {
        let work = tempfile::tempdir().unwrap();
        let out = run(tasker_app()
            .args(["build", APP, "-t", "inventory", "--skip-db", "--yes", "-o"])
            .arg(work.path()));
        assert_eq!(out.code, 0, "{}", out.stderr);
        // --locked: the vendored tasker-app-db is in the app's Cargo.lock.
        cargo(&work.path().join(APP), &["build", "--locked"], "");
        let bin = target_dir().join("debug").join(APP);
        (work, bin)
    })
}

/// A private copy of the app whose db/ also holds the fixtures of `set`.
fn app_with(set: &str) -> (tempfile::TempDir, PathBuf) {
    let (work, _) = built_app();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join(APP);
    copy_dir(&work.path().join(APP), &app);
    copy_dir(
        &repo().join("tests/fixtures/db_protocol").join(set),
        &app.join("db"),
    );
    (dir, app)
}

fn cli(app: &Path, db: &TestDb, check: bool) -> Output {
    let mut cmd = tasker_app();
    cmd.arg("install-database-objects").arg(app);
    if check {
        cmd.args(["--check", "--format", "json"]);
    }
    run(cmd.args(["--database-url", &db.url]))
}

fn app_migrate(app: &Path, db: &TestDb, check: bool) -> Output {
    let mut args = vec!["migrate"];
    if check {
        args.push("--check");
    }
    let out = std::process::Command::new(&built_app().1)
        .args(&args)
        .current_dir(app)
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the app");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Where the fixture views are (any schema, exact and folded names).
fn placement(db: &TestDb) -> Vec<(String, String)> {
    db.client()
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE lower(c.relname) IN ('mixed', 'a_on_later_view', 'unqualified_count', 'z_later_view')
              ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Everything the tracking table recorded (installed_at aside).
fn tracked(db: &TestDb) -> Vec<(String, String, String, Option<String>, String)> {
    db.client()
        .query(
            "SELECT name, kind, sha256, fingerprint, tool_version FROM tasker_app.database_objects ORDER BY name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

/// The CLI's `--check`: exit 0, every object ok, the fixtures among them.
fn assert_cli_check_clean(app: &Path, db: &TestDb) {
    let out = cli(app, db, true);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let objects = doc["objects"].as_array().unwrap();
    for (schema, name) in ACCEPTED {
        let key = format!("{schema}.{name}");
        assert!(
            objects
                .iter()
                .any(|o| o["name"] == key && o["status"] == "ok"),
            "{key} not checked ok: {doc}"
        );
    }
}

/// The app's `migrate --check`: exit 0, the fixtures listed ok.
fn assert_app_check_clean(app: &Path, db: &TestDb) {
    let out = app_migrate(app, db, true);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for (schema, name) in ACCEPTED {
        assert!(
            out.stdout.contains(&format!("ok  view {schema}.{name}\n")),
            "{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains(", 0 differ"), "{}", out.stdout);
}

#[test]
fn either_side_applies_the_fixtures_the_same_way_and_the_other_finds_no_drift() {
    let (_keep, app) = app_with("accepted");

    // The CLI first; then the app's check and migrate see nothing to do.
    let by_cli = TestDb::new("proto_cli");
    let out = cli(&app, &by_cli, false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_app_check_clean(&app, &by_cli);
    let again = app_migrate(&app, &by_cli, false);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing new to apply"),
        "{}",
        again.stderr
    );
    assert_cli_check_clean(&app, &by_cli);

    // The app first; then the CLI's check and install see nothing to do.
    let by_app = TestDb::new("proto_app");
    let out = app_migrate(&app, &by_app, false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_cli_check_clean(&app, &by_app);
    let again = cli(&app, &by_app, false);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to apply"),
        "{}",
        again.stderr
    );
    assert_app_check_clean(&app, &by_app);

    // Same schema, same names (case kept), nothing in public; same records.
    let expected: Vec<(String, String)> = ACCEPTED
        .iter()
        .map(|(s, n)| (s.to_string(), n.to_string()))
        .collect();
    assert_eq!(placement(&by_cli), expected);
    assert_eq!(placement(&by_app), expected);
    assert_eq!(
        by_app.scalar_i64("SELECT n::bigint FROM app.a_on_later_view"),
        42
    );
    let (cli_rows, app_rows) = (tracked(&by_cli), tracked(&by_app));
    assert!(cli_rows.len() > ACCEPTED.len(), "{cli_rows:?}");
    assert_eq!(cli_rows, app_rows);
}

#[test]
fn both_sides_refuse_the_same_file_for_the_same_reason_and_apply_nothing() {
    let (_keep, app) = app_with("refused");
    let file = "views/zz_not_a_view.sql";
    let bytes = std::fs::read(app.join("db").join(file)).unwrap();
    let reason = tasker_app_db::Sources::from_files([(file, bytes.as_slice())])
        .unwrap_err()
        .to_string();
    assert!(
        reason.starts_with("db/views/zz_not_a_view.sql: "),
        "{reason}"
    );

    let db = TestDb::new("proto_refused");
    let outs = [
        ("tasker-app install-database-objects", cli(&app, &db, false)),
        (
            "tasker-app install-database-objects --check",
            cli(&app, &db, true),
        ),
        ("APP migrate", app_migrate(&app, &db, false)),
        ("APP migrate --check", app_migrate(&app, &db, true)),
    ];
    for (what, out) in &outs {
        assert_eq!(out.code, 1, "{what}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(&reason), "{what}: {}", out.stderr);
    }
    assert!(db.scalar_bool(
        "SELECT to_regnamespace('tasker_app') IS NULL AND to_regclass('public._sqlx_migrations') IS NULL"
    ));
}

#[test]
fn the_cli_check_covers_a_view_the_user_added_to_db() {
    // No app build needed: the CLI alone, on an app folder it fills.
    let db = TestDb::new("proto_user_view");
    let app = app_dir();
    let install = |db: &TestDb| {
        run(tasker_app()
            .arg("install-database-objects")
            .arg(app.path())
            .args(["--database-url", &db.url]))
    };
    assert_eq!(install(&db).code, 0);
    std::fs::write(
        app.path().join("db/views/zz_mine.sql"),
        "CREATE OR REPLACE VIEW app.zz_mine AS SELECT 1 AS one;\n",
    )
    .unwrap();
    let out = cli(app.path(), &db, true);
    assert_eq!(out.code, 5, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("view app.zz_mine (missing"),
        "{}",
        out.stderr
    );
    assert_eq!(install(&db).code, 0);
    assert_eq!(cli(app.path(), &db, true).code, 0);
    db.client()
        .batch_execute("CREATE OR REPLACE VIEW app.zz_mine AS SELECT 2 AS one")
        .unwrap();
    let out = cli(app.path(), &db, true);
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("view app.zz_mine (drifted: changed in the database"),
        "{}",
        out.stderr
    );
}

/// Issue 17 (6): two `APP migrate` at once on a fresh database failed every
/// time (a unique violation creating the tracking schema), and `APP migrate`
/// beside `tasker-app install-database-objects` failed one of them. Every
/// migration path takes the one lock of tasker-app-db before anything: all
/// of them succeed, one after the other, and a run that waits says so.
#[test]
fn app_migrations_and_the_cli_at_once_take_turns_on_one_lock() {
    let (_keep, app) = app_with("accepted");
    for round in 0..2 {
        let db = TestDb::new("proto_race");
        let spawn_app = || {
            std::process::Command::new(&built_app().1)
                .arg("migrate")
                .current_dir(&app)
                .env("DATABASE_URL", &db.url)
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run the app")
        };
        let spawn_cli = || {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("tasker-app"))
                .arg("install-database-objects")
                .arg(&app)
                .args(["--database-url", &db.url])
                .env_remove("DATABASE_URL")
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run tasker-app")
        };
        // Round 0: two apps; round 1: an app beside the CLI.
        let children = if round == 0 {
            vec![("APP migrate", spawn_app()), ("APP migrate", spawn_app())]
        } else {
            vec![("APP migrate", spawn_app()), ("tasker-app", spawn_cli())]
        };
        let mut waited = false;
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}, {what}:\n{stderr}"
            );
            waited |= stderr.contains("waiting for another migration");
        }
        assert!(waited, "round {round}: neither run said it waited");
        assert_cli_check_clean(&app, &db);
    }
}

/// Issue 17 (11): the app read `sslrootcert` and `.env` from wherever they
/// pointed: a device or a FIFO is refused by name before anything is read.
#[cfg(unix)]
#[test]
fn the_app_refuses_special_files_for_its_certificate_and_env() {
    let (_keep, app) = app_with("accepted");
    let db = TestDb::new("proto_special");
    let out = std::process::Command::new(&built_app().1)
        .arg("migrate")
        .current_dir(&app)
        .env(
            "DATABASE_URL",
            format!("{}?sslmode=verify-full&sslrootcert=/dev/zero", db.url),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/dev/zero is a character device"),
        "{stderr}"
    );

    assert!(
        std::process::Command::new("mkfifo")
            .arg(app.join(".env"))
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let out = std::process::Command::new(&built_app().1)
        .arg("migrate")
        .current_dir(&app)
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(".env is a named pipe"), "{stderr}");
}

//! Regression tests for issue 11 (adversarial testing): each test names the
//! defect it pins down. Real binaries, real folders, a real PostgreSQL.

mod db_support;

use db_support::{Output, TestDb, run, tasker_app};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A generated app (files only), for commands that need one.
fn app(parent: &Path, name: &str) -> PathBuf {
    let out = run(tasker_app()
        .args(["build", name, "-t", "ecommerce", "--skip-db", "--yes", "-o"])
        .arg(parent));
    assert_eq!(out.code, 0, "{}", out.stderr);
    parent.join(name)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        )
    })
}

// ------------------------------------------------------------------ #2

/// Every command, in text and JSON, with each form PostgreSQL accepts and the
/// password written in awkward ways: the password never appears.
#[test]
fn issue11_passwords_never_appear_in_any_output() {
    let port = closed_port();
    let parent = TempDir::new().unwrap();
    let app_dir = app(parent.path(), "shop");
    let secret = "Zq9S3cr3tPw";
    let urls = [
        format!("postgresql://app:{secret}@127.0.0.1:{port}/shop"),
        format!("postgres://app:{secret}@127.0.0.1:{port}/shop"),
        format!("postgresql://app:p@{secret}@127.0.0.1:{port}/shop"),
        format!("postgresql://app:{secret}%40x@127.0.0.1:{port}/shop"),
        format!("postgresql://127.0.0.1:{port}/shop?user=app&password={secret}"),
        format!("host=127.0.0.1 port={port} user=app password = {secret} dbname=shop"),
        format!("host=127.0.0.1 port={port} password = {secret} bogus"),
        format!(r"host=127.0.0.1 port={port} password='it\'s {secret}' dbname=shop"),
    ];
    let mut json_outputs = Vec::new();
    for url in &urls {
        for format in ["text", "json"] {
            let runs: Vec<Output> = vec![
                run(tasker_app()
                    .args([
                        "build",
                        "shop2",
                        "--yes",
                        "--format",
                        format,
                        "--database-url",
                        url,
                        "-o",
                    ])
                    .arg(parent.path())),
                run(tasker_app()
                    .env("DATABASE_URL", url)
                    .args(["install-database-objects", "--format", format])
                    .arg(&app_dir)),
                run(tasker_app()
                    .args([
                        "install-database-objects",
                        "--check",
                        "--format",
                        format,
                        "--database-url",
                        url,
                    ])
                    .arg(&app_dir)),
                run(tasker_app().args([
                    "validate-environment",
                    "--format",
                    format,
                    "--database-url",
                    url,
                ])),
            ];
            for out in runs {
                assert_ne!(out.code, 0, "{url}: {}", out.stderr);
                assert!(
                    !out.stdout.contains(secret) && !out.stderr.contains(secret),
                    "{url} ({format}) leaked the password:\n{}\n{}",
                    out.stdout,
                    out.stderr
                );
                if format == "json" {
                    json_outputs.push(out);
                }
            }
        }
    }
    // Checked after every leak check, so the two defects are told apart.
    for out in &json_outputs {
        json(out);
    }
}

// ------------------------------------------------------------------ #12

/// A URL of another scheme is a usage error before anything is written.
#[test]
fn issue11_a_non_postgresql_url_is_a_usage_error_before_anything_is_written() {
    let parent = TempDir::new().unwrap();
    for url in [
        "mysql://root:pw@127.0.0.1/shop",
        "http://127.0.0.1:5432/shop",
    ] {
        let out = run(tasker_app()
            .args(["build", "shop", "--yes", "--database-url", url, "-o"])
            .arg(parent.path()));
        assert_eq!(out.code, 2, "{url}: {}", out.stderr);
        assert!(
            out.stderr.contains("not a PostgreSQL URL"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("help: write it as postgresql://"),
            "{}",
            out.stderr
        );
        assert!(
            !parent.path().join("shop").exists(),
            "{url}: files were written"
        );
    }
    let app_dir = app(parent.path(), "shop");
    let before = std::fs::read_dir(app_dir.join("db")).unwrap().count();
    let out = run(tasker_app()
        .args([
            "install-database-objects",
            "--database-url",
            "mysql://x@h/db",
        ])
        .arg(&app_dir));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        std::fs::read_dir(app_dir.join("db")).unwrap().count(),
        before
    );
}

/// A server that wants a password the URL does not give: say so, not "start PostgreSQL".
#[test]
fn issue11_a_missing_password_is_named_as_such() {
    let db = TestDb::new("nopw");
    let role = format!("nopw_{}", std::process::id());
    let mut admin = db_support::admin();
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'pw-for-test'"
        ))
        .unwrap();
    let url = db_support::with_login(&db.url, &role, "");
    let url = url.replacen(&format!("{role}:@"), &format!("{role}@"), 1);
    let out = run(tasker_app().args(["validate-environment", "--database-url", &url]));
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    // (The test server asks for passwords: scripts/provision-postgres.sh sets md5/scram.)
    assert!(
        out.stdout
            .contains("asks for a password, and the URL gives none"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("start PostgreSQL"), "{}", out.stdout);
}

// ------------------------------------------------------------------ #6

/// Tools on PATH that never answer: validate-environment still ends and says so.
#[cfg(unix)]
#[test]
fn issue11_a_tool_that_never_answers_does_not_hang_validate_environment() {
    use std::os::unix::fs::PermissionsExt;
    let bin = TempDir::new().unwrap();
    for tool in ["rustc", "cargo", "protoc", "docker", "git"] {
        let path = bin.path().join(tool);
        std::fs::write(&path, "#!/bin/sh\nexec sleep 100000\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let out = run(tasker_app()
        .env("PATH", path)
        // A bound for the test harness only: without the fix this never ends.
        .timeout(std::time::Duration::from_secs(600))
        .args(["validate-environment", "--format", "json"]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    let doc = json(&out);
    let rustc = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "rustc")
        .unwrap();
    assert_eq!(rustc["status"], "fail");
    assert!(
        rustc["found"]
            .as_str()
            .unwrap()
            .contains("gave no result within"),
        "{rustc}"
    );
}

// ------------------------------------------------------------------ #8

/// One JSON document on stdout on every failure path.
#[test]
fn issue11_json_failures_print_one_document() {
    let parent = TempDir::new().unwrap();
    let app_dir = app(parent.path(), "shop");
    // exit 3: a conflict (the user edited a generated file)
    std::fs::write(app_dir.join("src/main.rs"), "// mine\n").unwrap();
    let out = run(tasker_app()
        .args([
            "build",
            "shop",
            "--skip-db",
            "--yes",
            "--format",
            "json",
            "-o",
        ])
        .arg(parent.path()));
    assert_eq!(out.code, 3, "{}", out.stderr);
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["code"], 3);
    assert!(
        doc["error"]["help"]
            .as_str()
            .unwrap()
            .contains("--on-conflict")
    );
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["action"] == "conflict")
    );

    // exit 4: the database is unreachable (files written, database not prepared)
    let url = format!("postgresql://u:pw@127.0.0.1:{}/shop", closed_port());
    let out = run(tasker_app()
        .args([
            "build",
            "other",
            "--yes",
            "--format",
            "json",
            "--database-url",
            &url,
            "-o",
        ])
        .arg(parent.path()));
    assert_eq!(out.code, 4, "{}", out.stderr);
    let doc = json(&out);
    assert_eq!(
        (doc["ok"].clone(), doc["error"]["code"].clone()),
        (false.into(), 4.into())
    );
    assert!(doc["app_dir"].is_string());

    // exit 4 from --check
    let out = run(tasker_app()
        .args([
            "install-database-objects",
            "--check",
            "--format",
            "json",
            "--database-url",
            &url,
        ])
        .arg(&app_dir));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_eq!(json(&out)["error"]["code"], 4);

    // exit 2, found by clap and by tasker-app
    for args in [
        &["build", "x", "--format", "json", "--on-conflict", "bogus"][..],
        &["build", "1x", "--format", "json"][..],
    ] {
        let out = run(tasker_app().args(args).current_dir(parent.path()));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_eq!(json(&out)["error"]["code"], 2, "{args:?}");
    }
}

// ------------------------------------------------------------------ #3

/// A tree of a folder: relative path -> bytes.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

/// A quote in --api-base-url cannot inject code into src/defaults.rs.
#[test]
fn issue11_an_api_url_with_quotes_cannot_inject_code() {
    let parent = TempDir::new().unwrap();
    // A quote alone is percent-encoded by the URL parser and harmless...
    let out = run(tasker_app()
        .args([
            "build",
            "shop",
            "--skip-db",
            "--yes",
            "--api-base-url",
            r#"http://x.com/a"b"#,
            "-o",
        ])
        .arg(parent.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let defaults = std::fs::read_to_string(parent.path().join("shop/src/defaults.rs")).unwrap();
    assert!(defaults.contains(r#""http://x.com/a%22b""#), "{defaults}");
    // ...and code around it is refused (exit 2, nothing written).
    let hostile = r#"http://x.com/"; pub fn pwned() {} const X: &str = ""#;
    let out = run(tasker_app()
        .args([
            "build",
            "shop",
            "--skip-db",
            "--yes",
            "--api-base-url",
            hostile,
            "-o",
        ])
        .arg(parent.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let defaults = std::fs::read_to_string(parent.path().join("shop/src/defaults.rs")).unwrap();
    let line = defaults
        .lines()
        .find(|l| l.starts_with("pub const API_BASE_URL"))
        .unwrap();
    assert_eq!(line.matches('"').count(), 2, "{line}");
    assert!(!defaults.contains("pub fn pwned"), "{defaults}");
    let readme = std::fs::read_to_string(parent.path().join("shop/README.md")).unwrap();
    assert!(!readme.contains("pub fn pwned()"), "{readme}");

    for bad in [
        "http://x\".com",
        "ftp://x.com",
        "https://u:pw@x.com",
        "not a url",
    ] {
        let out = run(tasker_app()
            .args([
                "build",
                "other",
                "--skip-db",
                "--yes",
                "--api-base-url",
                bad,
                "-o",
            ])
            .arg(parent.path()));
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(!parent.path().join("other").exists());
    }
}

/// An api_base_url edited into the manifest is checked like the flag, before
/// anything is written.
#[test]
fn issue11_an_edited_manifest_url_is_refused_before_writing() {
    let parent = TempDir::new().unwrap();
    let app_dir = app(parent.path(), "shop");
    let manifest = app_dir.join(".tasker-app/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let edited = text.replace(
        "api_base_url = \"http://127.0.0.1:3001\"",
        r#"api_base_url = 'http://x"; } fn pwned() { "'"#,
    );
    assert_ne!(text, edited);
    std::fs::write(&manifest, &edited).unwrap();
    std::fs::remove_file(app_dir.join("src/defaults.rs")).unwrap();
    let before = snapshot(&app_dir);
    let out = run(tasker_app()
        .args(["build", "shop", "--skip-db", "--yes", "-o"])
        .arg(parent.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("manifest.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("help:"), "{}", out.stderr);
    assert_eq!(snapshot(&app_dir), before, "something was written");
}

// ------------------------------------------------------------------ #11

/// Compose project names must be lower case.
#[test]
fn issue11_the_compose_project_name_is_lower_case() {
    let parent = TempDir::new().unwrap();
    let app_dir = app(parent.path(), "Shop");
    let compose = std::fs::read_to_string(app_dir.join("docker-compose.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&compose).unwrap();
    assert_eq!(doc["name"].as_str(), Some("shop"), "{compose}");
}

// ------------------------------------------------------------------ #5

/// A name the app's own Cargo.lock already uses is refused, with the reason.
#[test]
fn issue11_dependency_names_are_refused() {
    let parent = TempDir::new().unwrap();
    for name in ["tokio", "serde", "tasker-worker", "Tokio"] {
        let out = run(tasker_app()
            .args(["build", name, "--skip-db", "--yes", "-o"])
            .arg(parent.path()));
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains("depends on the crate"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("-app"), "{}", out.stderr);
    }
    assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
}

// ------------------------------------------------------------------ #4

/// A path that is not UTF-8: exit 2 with the reason (never a panic), one JSON
/// document, nothing written.
#[cfg(unix)]
#[test]
fn issue11_non_utf8_paths_are_refused_up_front() {
    use std::os::unix::ffi::OsStrExt;
    let parent = TempDir::new().unwrap();
    let odd = parent.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&odd).unwrap();
    for format in ["text", "json"] {
        let out = run(tasker_app()
            .args([
                "build",
                "shop",
                "--skip-db",
                "--yes",
                "--format",
                format,
                "-o",
            ])
            .arg(&odd));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("not valid UTF-8"), "{}", out.stderr);
        assert_eq!(
            std::fs::read_dir(&odd).unwrap().count(),
            0,
            "something was written"
        );
        let out = run(tasker_app()
            .args(["install-database-objects", "--format", format, "--dry-run"])
            .arg(&odd));
        assert_eq!(out.code, 2, "{}", out.stderr);
        if format == "json" {
            assert_eq!(json(&out)["error"]["code"], 2);
        }
    }
}

// ------------------------------------------------------------------ #7

/// build never writes into a folder that is not empty and not an app, also
/// through a symlink.
#[cfg(unix)]
#[test]
fn issue11_build_refuses_a_foreign_folder() {
    let parent = TempDir::new().unwrap();
    let foreign = parent.path().join("shop");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine\n").unwrap();
    let elsewhere = TempDir::new().unwrap();
    std::fs::write(elsewhere.path().join("thesis.tex"), "mine\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), parent.path().join("linked")).unwrap();
    let before = (snapshot(parent.path()), snapshot(elsewhere.path()));
    for name in ["shop", "linked"] {
        for extra in [&[][..], &["--on-conflict", "overwrite"][..]] {
            let out = run(tasker_app()
                .args(["build", name, "--skip-db", "--yes", "-o"])
                .arg(parent.path())
                .args(extra));
            assert_eq!(out.code, 3, "{name}: {}", out.stderr);
            assert!(
                out.stderr.contains("not a tasker-app app"),
                "{}",
                out.stderr
            );
            assert!(
                out.stderr.contains("help: choose another APP_NAME"),
                "{}",
                out.stderr
            );
        }
    }
    assert_eq!(
        (snapshot(parent.path()), snapshot(elsewhere.path())),
        before
    );
    // An empty folder is fine.
    std::fs::create_dir(parent.path().join("empty")).unwrap();
    app(parent.path(), "empty");
}

/// install-database-objects writes only into an existing app folder.
#[test]
fn issue11_install_database_objects_refuses_folders_that_are_not_apps() {
    let parent = TempDir::new().unwrap();
    let missing = parent.path().join("nope");
    let url = "postgresql://u:pw@127.0.0.1:1/x";
    for args in [&["--dry-run"][..], &["--database-url", url][..]] {
        let out = run(tasker_app()
            .arg("install-database-objects")
            .arg(&missing)
            .args(args));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
        assert!(!missing.exists(), "the folder was created");
        // No path: the current folder, which is not an app.
        std::fs::write(parent.path().join("notes.txt"), "mine\n").unwrap();
        let out = run(tasker_app()
            .arg("install-database-objects")
            .args(args)
            .current_dir(parent.path()));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("is not a tasker-app app"),
            "{}",
            out.stderr
        );
        assert!(!parent.path().join("db").exists(), "./db was written");
    }
    // A generated app is accepted.
    let app_dir = app(parent.path(), "shop");
    let out = run(tasker_app()
        .args(["install-database-objects", "--dry-run"])
        .current_dir(&app_dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// ------------------------------------------------------------------ #9

/// Staging folders of runs that were killed are removed by the next build;
/// folders that are not ours, or belong to a live run, stay.
#[test]
fn issue11_stale_staging_folders_are_cleaned_safely() {
    use tasker_app::apply::staging::{MARKER, PREFIX};
    let parent = TempDir::new().unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = parent.path().join(format!("{PREFIX}{dead}-x1"));
    std::fs::create_dir_all(stale.join("app/src")).unwrap();
    std::fs::write(stale.join(MARKER), format!("{dead}\n")).unwrap();
    std::fs::write(stale.join("app/src/main.rs"), "half").unwrap();
    let live = parent
        .path()
        .join(format!("{PREFIX}{}-x2", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join(MARKER), format!("{}\n", std::process::id())).unwrap();
    let foreign = parent.path().join(format!("{PREFIX}notes"));
    std::fs::create_dir(&foreign).unwrap();

    let out = run(tasker_app()
        .args(["build", "shop", "--skip-db", "--yes", "-o"])
        .arg(parent.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!stale.exists(), "the stale staging folder is still there");
    assert!(
        out.stderr.contains("left by an interrupted run"),
        "{}",
        out.stderr
    );
    assert!(live.is_dir() && foreign.is_dir());
    let left: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(PREFIX))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

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

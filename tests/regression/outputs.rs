//! What users read: passwords never shown (#2), one JSON document on every
//! failure (#8), URLs and messages that name the real problem (#12).

use crate::db_support::{self, Output, TestDb, run, tasker_app};
use crate::{app, closed_port, json};
use tempfile::TempDir;

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
            out.stderr
                .contains("a PostgreSQL URL starts with postgresql://"),
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

//! What is written, and where: escaped template values (#3, #11), names (#5),
//! paths (#4), foreign folders (#7), stale staging folders (#9).

use crate::db_support::{run, tasker_app};
use crate::{app, json, snapshot};
use tempfile::TempDir;

// ------------------------------------------------------------------ #3

/// A quote in --api-base-url cannot inject code into src/main.rs.
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
    let defaults = std::fs::read_to_string(parent.path().join("shop/src/main.rs")).unwrap();
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
    let defaults = std::fs::read_to_string(parent.path().join("shop/src/main.rs")).unwrap();
    let line = defaults
        .lines()
        .find(|l| l.contains(".api_base_url("))
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
    std::fs::remove_file(app_dir.join("src/main.rs")).unwrap();
    let before = snapshot(&app_dir);
    let out = run(tasker_app()
        .args(["build", "shop", "--skip-db", "--yes", "-o"])
        .arg(parent.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("manifest.toml"), "{}", out.stderr);
    assert!(out.stderr.contains("help:"), "{}", out.stderr);
    assert_eq!(snapshot(&app_dir), before, "something was written");

    // The recorded templates too.
    std::fs::write(&manifest, text.replace("\"ecommerce\"", "\"bogus\"")).unwrap();
    let out = run(tasker_app()
        .args(["build", "shop", "--skip-db", "--yes", "-o"])
        .arg(parent.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bogus") && out.stderr.contains("manifest.toml"),
        "{}",
        out.stderr
    );
    assert!(
        !app_dir.join("src/main.rs").exists(),
        "something was written"
    );
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

//! The guided build in a real pseudo-terminal (tmux): what a person sees and
//! types. Each test runs `tasker-app build` in its own tmux server, types with
//! send-keys and reads the screen with capture-pane.

mod db_support;
mod tty_support;

use db_support::*;
use std::path::Path;
use tty_support::Tty;

/// Every file under `root`, relative path -> bytes.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn enter_through_every_default_gives_the_app_a_flagless_build_gives() {
    let here = tempfile::tempdir().unwrap();
    let tty = Tty::tasker_app(here.path(), "build", &[]);
    tty.wait_for("App name");
    tty.keys(&["Enter"]);
    tty.wait_for("Workflows");
    tty.keys(&["Enter"]);
    tty.wait_for("Database URL");
    tty.keys(&["Enter"]);
    tty.wait_for("External API base URL");
    tty.keys(&["Enter"]);
    tty.wait_for("observability");
    tty.keys(&["Enter"]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    let screen = tty.screen();
    assert!(screen.contains("Next steps"), "{screen}");

    let reference = tempfile::tempdir().unwrap();
    let out = run(tasker_app()
        .args(["build", "--yes", "--skip-db", "-o"])
        .arg(reference.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let asked = tree(&here.path().join("my-tasker-app"));
    let flagless = tree(&reference.path().join("my-tasker-app"));
    assert!(asked.len() > 50, "{} files", asked.len());
    assert_eq!(
        asked.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        flagless.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((path, a), (_, b)) in asked.iter().zip(&flagless) {
        assert!(a == b, "{path} differs from a flag-less build");
    }
}

#[test]
fn answers_are_checked_and_asked_again_with_the_reason() {
    const SECRET: &str = "Wiz4rdSecretPw";
    let here = tempfile::tempdir().unwrap();
    // Someone else's folder, not empty: refused at the name, not after every question.
    std::fs::create_dir(here.path().join("notes")).unwrap();
    std::fs::write(here.path().join("notes/todo.txt"), "mine").unwrap();
    let tty = Tty::tasker_app(here.path(), "build", &[]);
    tty.wait_for("App name");
    tty.line("9lives");
    let screen = tty.wait_for("cannot start with a digit");
    assert!(screen.contains("9lives"), "{screen}");
    // The prompt still holds what was typed: clear it, then a taken folder.
    tty.keys(&["C-u"]);
    tty.line("notes");
    tty.wait_for("is not a tasker-app app");
    tty.keys(&["C-u"]);
    tty.line("shop");
    tty.wait_for("Workflows");
    // Deselect everything (Space on each of the three), which is refused.
    for _ in 0..3 {
        tty.keys(&["Space", "Down"]);
    }
    tty.keys(&["Enter"]);
    tty.wait_for("pick at least one workflow");
    tty.keys(&["Space", "Enter"]);
    tty.wait_for("Database URL");
    tty.line(&format!("postgresql://postgres:{SECRET}@127.0.0.1:1/shop"));
    tty.wait_for("not usable: cannot reach the database at 127.0.0.1:1/shop");
    tty.wait_for("enter another URL");
    tty.line("none");
    tty.wait_for("External API base URL");
    tty.line("not a url");
    tty.wait_for("`not a url` is not usable");
    tty.keys(&["C-u"]);
    tty.line("https://dummyjson.com");
    tty.wait_for("observability");
    tty.line("y");
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    let screen = tty.screen();
    assert!(
        !screen.contains(SECRET),
        "the password is on screen:\n{screen}"
    );
    assert!(
        screen.contains("postgres:****@127.0.0.1:1/shop"),
        "{screen}"
    );

    assert_eq!(
        std::fs::read_to_string(here.path().join("notes/todo.txt")).unwrap(),
        "mine",
        "the foreign folder is untouched"
    );
    let manifest = std::fs::read_to_string(here.path().join("shop/.tasker-app/manifest.toml"))
        .expect("the app was written");
    assert!(!manifest.contains(SECRET));
    assert!(manifest.contains("https://dummyjson.com"), "{manifest}");
    assert!(manifest.contains("observability = true"), "{manifest}");
    // Asked again with all three selected; Space took the first one out.
    let doc: toml::Table = manifest.parse().expect("the manifest is TOML");
    assert_eq!(
        doc["templates"],
        toml::Value::Array(vec!["ecommerce".into(), "inventory".into()]),
        "{manifest}"
    );
}

#[test]
fn a_database_that_passes_the_preflight_is_prepared() {
    let db = TestDb::unborn("wizard");
    let here = tempfile::tempdir().unwrap();
    let tty = Tty::tasker_app(
        here.path(),
        "build shop -t ecommerce",
        &[("DATABASE_URL", db.url.as_str())],
    );
    // A name was given: build never asks, and DATABASE_URL is used.
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations WHERE success") >= 8);

    let db2 = TestDb::unborn("wizard2");
    let tty = Tty::tasker_app(
        here.path(),
        "build -t inventory",
        &[("DATABASE_URL", db2.url.as_str())],
    );
    tty.wait_for("App name");
    tty.line("stock");
    let screen = tty.wait_for("Database URL");
    assert!(screen.contains("(from DATABASE_URL)"), "{screen}");
    assert!(!screen.contains(":postgres@"), "password shown:\n{screen}");
    tty.keys(&["Enter"]);
    tty.wait_for("External API base URL");
    tty.keys(&["Enter"]);
    tty.wait_for("observability");
    tty.keys(&["Enter"]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(here.path().join("stock/workflows/inventory").is_dir());
    assert!(db2.scalar_i64("SELECT count(*) FROM tasker_app.database_objects") > 0);
}

#[test]
fn ctrl_c_during_the_questions_writes_nothing() {
    let here = tempfile::tempdir().unwrap();
    let tty = Tty::tasker_app(here.path(), "build", &[]);
    tty.wait_for("App name");
    tty.line("shop");
    tty.wait_for("Workflows");
    tty.keys(&["C-c"]);
    let code = tty.exit_code();
    assert_ne!(code, 0, "{}", tty.screen());
    assert_eq!(
        std::fs::read_dir(here.path()).unwrap().count(),
        0,
        "something was written"
    );
}

#[test]
fn yes_or_a_stdin_that_is_not_a_terminal_never_asks() {
    let here = tempfile::tempdir().unwrap();
    let tty = Tty::tasker_app(here.path(), "build --yes --skip-db -t ecommerce", &[]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(here.path().join("my-tasker-app/Cargo.toml").is_file());

    let piped = tempfile::tempdir().unwrap();
    let tty = Tty::tasker_app(
        piped.path(),
        "build --skip-db -t ecommerce < /dev/null",
        &[],
    );
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(piped.path().join("my-tasker-app/Cargo.toml").is_file());
}

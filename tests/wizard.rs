//! The guided build in a real pseudo-terminal (tmux): what a person sees and
//! types. Each test runs `tasker-app build` in its own tmux server, types with
//! send-keys and reads the screen with capture-pane.

mod db_support;

use db_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server (own socket) running one command in a 100x50 window.
struct Tty {
    socket: String,
    exit_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tty {
    /// Runs `tasker-app ARGS` in `cwd` with `env` (DATABASE_URL and NO_COLOR
    /// cleared unless given), keeping the window after it exits.
    fn start(cwd: &Path, args: &str, env: &[(&str, &str)]) -> Tty {
        let dir = tempfile::tempdir().expect("temp dir");
        let exit_file = dir.path().join("exit");
        let socket = format!(
            "tasker-app-test-{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        );
        let bin = assert_cmd::cargo::cargo_bin("tasker-app");
        let mut exports = String::from("unset DATABASE_URL NO_COLOR; ");
        for (k, v) in env {
            exports.push_str(&format!("export {k}='{v}'; "));
        }
        let script = format!(
            "{exports}cd '{}' && '{}' {args}; echo $? > '{}'; sleep 600",
            cwd.display(),
            bin.display(),
            exit_file.display()
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "100", "-y", "50", "sh", "-c", &script])
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        Tty {
            socket,
            exit_file,
            _dir: dir,
        }
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Types text literally (no key names), then Enter.
    fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// The whole screen and scroll-back, as text.
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-200",
                "-t",
                "0",
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (up to a minute: a bound, not a timing assertion) for `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit code, once the command has ended.
    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file) {
                if let Ok(code) = text.trim().parse() {
                    return code;
                }
            }
            assert!(
                Instant::now() < deadline,
                "tasker-app did not end; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

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
    let tty = Tty::start(here.path(), "build", &[]);
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
    let tty = Tty::start(here.path(), "build", &[]);
    tty.wait_for("App name");
    tty.line("9lives");
    let screen = tty.wait_for("cannot start with a digit");
    assert!(screen.contains("9lives"), "{screen}");
    // The prompt still holds what was typed: clear it, then a valid name.
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
    tty.wait_for("is not an http(s) URL");
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
    let tty = Tty::start(
        here.path(),
        "build shop -t ecommerce",
        &[("DATABASE_URL", db.url.as_str())],
    );
    // A name was given: build never asks, and DATABASE_URL is used.
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations WHERE success") >= 8);

    let db2 = TestDb::unborn("wizard2");
    let tty = Tty::start(
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
    let tty = Tty::start(here.path(), "build", &[]);
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
    let tty = Tty::start(here.path(), "build --yes --skip-db -t ecommerce", &[]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(here.path().join("my-tasker-app/Cargo.toml").is_file());

    let piped = tempfile::tempdir().unwrap();
    let tty = Tty::start(
        piped.path(),
        "build --skip-db -t ecommerce < /dev/null",
        &[],
    );
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(!tty.screen().contains("App name"));
    assert!(piped.path().join("my-tasker-app/Cargo.toml").is_file());
}

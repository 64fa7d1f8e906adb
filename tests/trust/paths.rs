//! Issue 17: paths read from a manifest are input. A cloned repository is
//! enough to put any text in `.tasker-app/manifest.toml`; no entry of it may
//! take a read, a write or a removal out of the app, into `.git`, or remove a
//! file that is not exactly what was recorded. And every writer holds the
//! app's lock.

use super::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

const MANIFEST: &str = ".tasker-app/manifest.toml";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Adds `"path" = "hash"` to the manifest's `[files]` table.
fn record(app: &Path, path: &str, hash: &str) {
    let manifest = app.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replacen("[files]\n", &format!("[files]\n{path:?} = {hash:?}\n"), 1);
    std::fs::write(&manifest, text).unwrap();
}

fn update(app: &Path) -> Output {
    run(tasker_app()
        .arg("update")
        .arg(app)
        .args(["--skip-db", "--yes"]))
}

fn rebuild(parent: &Path, name: &str) -> Output {
    run(tasker_app()
        .args(["build", name, "-t", "ecommerce", "--skip-db", "--yes", "-o"])
        .arg(parent))
}

#[test]
fn manifest_entries_outside_the_app_are_refused_and_nothing_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    // A victim beside the app, at the root of the temp folder, and in .git.
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let hash = sha256(b"precious");
    let entries: Vec<(String, String)> = vec![
        ("../victim.txt".into(), hash.clone()),
        (
            "vendor/tasker-app-db/../../../victim.txt".into(),
            "0000".into(),
        ),
        ("src/../../victim.txt".into(), hash.clone()),
        (victim.display().to_string(), hash.clone()),
        (".git/HEAD".into(), sha256(b"ref: refs/heads/main\n")),
        ("src/.GIT/config".into(), hash.clone()),
        ("lpt7.txt".into(), hash.clone()),
        ("a\u{1b}]0;pwned\u{7}".into(), hash.clone()),
    ];
    for (i, (entry, hash)) in entries.iter().enumerate() {
        let name = format!("app{i}");
        let app = app(tmp.path(), &name);
        std::fs::create_dir_all(app.join(".git")).unwrap();
        std::fs::write(app.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        record(&app, entry, hash);
        let before = snapshot(tmp.path());
        for (label, out) in [
            ("update", update(&app)),
            ("build", rebuild(tmp.path(), &name)),
        ] {
            assert_code(&out, 1);
            assert!(
                out.stderr.contains("manifest is not valid"),
                "{label} {entry:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains("manifest.toml"),
                "{label}: names the file: {}",
                out.stderr
            );
            assert!(
                !out.stderr.contains('\u{1b}'),
                "{label}: control characters are escaped"
            );
            assert_eq!(
                snapshot(tmp.path()),
                before,
                "{label} {entry:?}: nothing changed"
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}

#[test]
fn a_dropped_vendored_file_is_removed_only_when_it_is_what_was_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    // Two files the vendored crate no longer has: one as recorded, one whose
    // bytes are not (an edit, or a manifest that lies about it).
    let same = app.join("vendor/tasker-app-db/src/dropped.rs");
    let edited = app.join("vendor/tasker-app-db/src/edited.rs");
    for label in ["update", "build"] {
        std::fs::write(&same, "old\n").unwrap();
        std::fs::write(&edited, "mine\n").unwrap();
        record(
            &app,
            "vendor/tasker-app-db/src/dropped.rs",
            &sha256(b"old\n"),
        );
        if label == "update" {
            record(
                &app,
                "vendor/tasker-app-db/src/edited.rs",
                &sha256(b"old\n"),
            );
        }
        let out = match label {
            "update" => update(&app),
            _ => rebuild(tmp.path(), "shop"),
        };
        assert_code(&out, 0);
        assert!(
            !same.exists(),
            "{label}: the unchanged one goes: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&edited).unwrap(),
            "mine\n",
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("edited.rs"),
            "{label}: named: {}",
            out.stderr
        );
    }
}

#[test]
fn removing_a_file_never_climbs_out_of_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    // A workflow file the app no longer generates, in a folder of its own:
    // removing it empties folders up to the app, and not one more.
    std::fs::create_dir_all(app.join("extra/deep")).unwrap();
    std::fs::write(app.join("extra/deep/old.rs"), "old\n").unwrap();
    record(&app, "extra/deep/old.rs", &sha256(b"old\n"));
    std::fs::create_dir_all(tmp.path().join("empty-sibling")).unwrap();
    let out = update(&app);
    assert_code(&out, 0);
    assert!(!app.join("extra").exists(), "{}", out.stderr);
    assert!(app.is_dir());
    assert!(tmp.path().join("empty-sibling").is_dir());
}

#[test]
fn a_folder_where_a_generated_file_goes_stops_the_run_before_any_write() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    // A file that would be re-created, and a generated file turned into a folder.
    std::fs::remove_file(app.join("README.md")).unwrap();
    std::fs::remove_file(app.join("src/main.rs")).unwrap();
    std::fs::create_dir_all(app.join("src/main.rs/inner")).unwrap();
    let before = snapshot(&app);
    let out = rebuild(tmp.path(), "shop");
    assert_code(&out, 1);
    assert!(out.stderr.contains("main.rs is a folder"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(
        snapshot(&app),
        before,
        "README.md was not re-created, nothing else moved"
    );
    assert!(!app.join("README.md").exists());

    // A file where a folder of the app must be: the same, before any write.
    std::fs::remove_dir_all(app.join("src/main.rs")).unwrap();
    std::fs::remove_dir_all(app.join("src/handlers")).unwrap();
    std::fs::write(app.join("src/handlers"), "not a folder").unwrap();
    let before = snapshot(&app);
    let out = rebuild(tmp.path(), "shop");
    assert_code(&out, 1);
    assert!(
        out.stderr
            .contains("handlers is a file where a folder is needed"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&app), before);
}

#[test]
fn an_update_waits_for_the_app_lock_and_then_sees_the_app_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    // Another writer holds the app (as a concurrent build/update would).
    let held = std::fs::File::open(&app).unwrap();
    held.lock().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tasker-app"))
        .arg("update")
        .arg(&app)
        .args(["--skip-db", "--yes", "--add", "inventory"])
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !lines.iter().any(|l: &String| l.contains("Waiting")) {
        assert!(Instant::now() < deadline, "no waiting message: {lines:?}");
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "it waits: {lines:?}");
    assert!(
        !app.join("workflows/inventory").exists(),
        "nothing written while waiting"
    );
    // Meanwhile the holder changed the app: the waiting run must see that.
    std::fs::write(app.join("NOTES.md"), "mine").unwrap();
    drop(held);
    let status = child.wait().unwrap();
    lines.extend(rx.try_iter());
    assert!(status.success(), "{lines:?}");
    assert!(app.join("workflows/inventory").is_dir());
    let manifest = std::fs::read_to_string(app.join(MANIFEST)).unwrap();
    assert!(manifest.contains("\"inventory\""), "{manifest}");
    assert_eq!(
        std::fs::read_to_string(app.join("NOTES.md")).unwrap(),
        "mine"
    );
}

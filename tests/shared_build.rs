//! Apps share one build folder for their compiled dependencies (the app's
//! `.cargo/config.toml`: `build.build-dir` in the Cargo home), so the engine
//! compiles once per machine. In that folder every app's copy of the vendored
//! crates, and every app of the same name, is the same compiled unit: cargo
//! hashes a path crate by its name, version and path inside the app, all
//! alike. Left to file times, cargo would hand an app whose sources are older
//! than another app's last build that other app's binary. The app's config
//! sets TASKER_APP_DIR, which the vendored crates read at compile time, so a
//! change of app rebuilds them and the app from its own sources.
//!
//! Here: two apps named `shop` with different steps, each with its own
//! target/ as a user has it, one build folder between them (the tests' shared
//! target folder, where the engine is compiled already). The second app's
//! files are years older than the first app's build. Each app's `check` must
//! see its own steps. Without TASKER_APP_DIR in the config the second app
//! runs the first app's code and its `check` fails: no handler for the
//! inventory steps.

mod app_support;

use app_support::{clean_cargo, generate_offline, show, target_dir};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// `cargo build` with the app's own target/ and the shared build folder.
fn build(app: &Path) {
    let status = clean_cargo(app)
        .args(["build", "--locked"])
        .env("CARGO_BUILD_BUILD_DIR", target_dir())
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build failed in {}", app.display());
}

/// Every file of the app dated 2001: older than anything built today.
fn make_old(dir: &Path) {
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let file = std::fs::File::options()
                .append(true)
                .open(entry.path())
                .unwrap();
            file.set_modified(then).unwrap();
        }
    }
}

/// `APP check` with the app's own binary, from its folder.
fn check(app: &Path) -> String {
    let out = Command::new(app.join("target/debug/shop"))
        .arg("check")
        .current_dir(app)
        .env_remove("DATABASE_URL")
        .env_remove("TASKER_TEMPLATE_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`shop check` in {} failed: it does not run its own code\n{}",
        app.display(),
        show(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn two_apps_of_the_same_name_sharing_the_build_folder_each_run_their_own_code() {
    let work = tempfile::TempDir::new().unwrap();
    let (first, second) = (work.path().join("a"), work.path().join("b"));
    generate_offline("shop", "ecommerce", &first);
    generate_offline("shop", "ecommerce,inventory", &second);
    let (first, second) = (first.join("shop"), second.join("shop"));
    make_old(&second);

    build(&first);
    build(&second);

    let a = check(&first);
    assert!(a.contains("ok: 1 workflow(s)"), "first app: {a}");
    let b = check(&second);
    assert!(b.contains("ok: 2 workflow(s)"), "second app: {b}");
    // And back: the first app again, after the second's build.
    build(&first);
    let a = check(&first);
    assert!(a.contains("ok: 1 workflow(s)"), "first app, rebuilt: {a}");
}

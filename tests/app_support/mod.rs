//! Building a generated app in the test suite: one shared target folder
//! (TASKER_APP_E2E_TARGET_DIR, default target/apps) for every test that
//! compiles an app, so the engine (about 600 crates) is compiled once.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn target_dir() -> PathBuf {
    std::env::var_os("TASKER_APP_E2E_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/apps"))
}

/// `cargo <args>` in the app, output shown live (CI logs), must succeed.
pub fn cargo(app: &Path, args: &[&str], database_url: &str) {
    // A clean environment: `cargo test` exports CARGO_*, LD_LIBRARY_PATH and
    // more, which some build scripts watch; inheriting them would rebuild the
    // engine's dependencies in the shared target folder on every switch
    // between this test and a shell (scripts/bench-app.sh does the same).
    let mut cmd = Command::new("cargo");
    cmd.env_clear();
    for keep in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "TMPDIR",
    ] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    let status = cmd
        .args(args)
        .current_dir(app)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("DATABASE_URL", database_url)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "`cargo {}` failed in the generated app",
        args.join(" ")
    );
}

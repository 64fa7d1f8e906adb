//! Regression tests for issue 17 (trust boundaries): a manifest, a catalog,
//! `db/` files and an app folder may come from someone else's repository.
//! Each test names the class of defect it pins down and fails on the code
//! before the fix. Real binaries, real folders, a real PostgreSQL where a
//! database is involved. One test binary; one module per kind of input.

#[path = "../db_support/mod.rs"]
mod db_support;

mod app;
mod catalog;
mod db;
mod paths;
mod terminal;

use db_support::{Output, run, tasker_app};
use std::path::{Path, PathBuf};

/// A generated app (files only), for commands that need one.
pub fn app(parent: &Path, name: &str) -> PathBuf {
    let out = run(tasker_app()
        .args(["build", name, "-t", "ecommerce", "--skip-db", "--yes", "-o"])
        .arg(parent));
    assert_eq!(out.code, 0, "{}", out.stderr);
    parent.join(name)
}

/// A tree of a folder: relative path -> bytes (links recorded, not followed).
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let bytes = if e.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (e.path().to_path_buf(), bytes)
        })
        .collect();
    out.sort();
    out
}

pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.code, code,
        "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
}

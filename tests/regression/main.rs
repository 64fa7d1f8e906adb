//! Regression tests for issue 11 (adversarial testing): each test names the
//! defect it pins down. Real binaries, real folders, a real PostgreSQL. One
//! test binary; one module per kind of defect.

#[path = "../db_support/mod.rs"]
mod db_support;

mod database;
mod files;
mod outputs;
mod tools;

use db_support::{Output, run, tasker_app};
use std::path::{Path, PathBuf};

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A generated app (files only), for commands that need one.
pub fn app(parent: &Path, name: &str) -> PathBuf {
    let out = run(tasker_app()
        .args(["build", name, "-t", "ecommerce", "--skip-db", "--yes", "-o"])
        .arg(parent));
    assert_eq!(out.code, 0, "{}", out.stderr);
    parent.join(name)
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        )
    })
}

/// A tree of a folder: relative path -> bytes.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

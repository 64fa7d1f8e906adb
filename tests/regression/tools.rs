//! External programs with a time limit (#6).

use crate::db_support::{run, tasker_app};
use crate::json;
use tempfile::TempDir;

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

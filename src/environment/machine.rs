//! Checks of this machine: the Rust toolchain, protoc, free ports, optional tools.

use super::{Check, CheckStatus, REQUIRED_RUST, check, hints};
use std::process::Command;

/// The first line `cmd args` prints, with where `cmd` was found on PATH
/// (`libprotoc 3.21.12 (/usr/bin/protoc)`); `None` if it is missing or fails.
fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let path = which::which(cmd).ok()?;
    let out = Command::new(&path)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("").trim();
    Some(format!("{first} ({})", path.display()))
}

/// `rustc 1.95.0 (59807616e 2026-04-14)` -> (1, 95).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let mut parts = word.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub(super) fn rust_check(tool: &str) -> Check {
    let required = format!(
        ">= {}.{} (generated apps use edition 2024)",
        REQUIRED_RUST.0, REQUIRED_RUST.1
    );
    match run(tool, &["--version"]) {
        None => check(tool, CheckStatus::Fail, "not found", required, hints::RUST),
        Some(found) => {
            let ok = parse_version(&found).is_some_and(|v| v >= REQUIRED_RUST);
            check(
                tool,
                if ok {
                    CheckStatus::Pass
                } else {
                    CheckStatus::Fail
                },
                found,
                required,
                hints::RUST,
            )
        }
    }
}

pub(super) fn protoc_check() -> Check {
    match run("protoc", &["--version"]) {
        Some(found) => check(
            "protoc",
            CheckStatus::Pass,
            found,
            "installed (the engine crates' build script runs it)",
            "",
        ),
        None => check(
            "protoc",
            CheckStatus::Fail,
            "not found",
            "installed (the engine crates' build script runs it)",
            hints::PROTOC,
        ),
    }
}

pub(super) fn optional_tool(tool: &str, args: &[&str], hint: &str) -> Check {
    match run(tool, args) {
        Some(found) => check(tool, CheckStatus::Pass, found, "optional", hint),
        None => check(tool, CheckStatus::Warn, "not found", "optional", hint),
    }
}

pub(super) fn port_check(port: u16) -> Check {
    let what = match port {
        8080 => "orchestration REST API",
        8081 => "worker REST API",
        _ => "fake API",
    };
    let id = format!("port_{port}");
    let required = format!("127.0.0.1:{port} free ({what})");
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => check(&id, CheckStatus::Pass, "free", required, ""),
        Err(e) => check(
            &id,
            CheckStatus::Warn,
            format!("in use ({e})"),
            required,
            &hints::PORT.replace("PORT", &port.to_string()),
        ),
    }
}

//! Checks of this machine: the Rust toolchain, protoc, free ports, optional tools.

use super::{Check, CheckStatus, REQUIRED_RUST, check, hints};
use crate::process::{self, RunError};
use std::process::Command;
use std::time::Duration;

/// A `--version` answers at once; a tool that takes longer is broken or hangs.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// What running `cmd args` found: the first line it printed, with where `cmd`
/// was found on PATH (`libprotoc 3.21.12 (/usr/bin/protoc)`), or why not.
enum Found {
    Yes(String),
    Missing,
    Broken(String),
}

fn run(cmd: &str, args: &[&str]) -> Found {
    let Ok(path) = which::which(cmd) else {
        return Found::Missing;
    };
    let shown = path.display();
    match process::run(
        Command::new(&path).args(args),
        TOOL_TIMEOUT,
        process::Group::Own,
    ) {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let first = text.lines().next().unwrap_or("").trim();
            Found::Yes(format!("{first} ({shown})"))
        }
        Ok(out) => Found::Broken(format!(
            "`{shown} {}` failed ({})",
            args.join(" "),
            out.status
        )),
        Err(e @ RunError::TimedOut(_)) | Err(e @ RunError::Spawn(_)) => {
            Found::Broken(format!("`{shown} {}` {e}", args.join(" ")))
        }
    }
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
        Found::Missing => check(tool, CheckStatus::Fail, "not found", required, hints::RUST),
        Found::Broken(why) => check(tool, CheckStatus::Fail, why, required, hints::RUST),
        Found::Yes(found) => {
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
    let required = "installed (the engine crates' build script runs it)";
    match run("protoc", &["--version"]) {
        Found::Broken(why) => check("protoc", CheckStatus::Fail, why, required, hints::PROTOC),
        Found::Yes(found) => check(
            "protoc",
            CheckStatus::Pass,
            found,
            "installed (the engine crates' build script runs it)",
            "",
        ),
        Found::Missing => check(
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
        Found::Yes(found) => check(tool, CheckStatus::Pass, found, "optional", hint),
        Found::Missing => check(tool, CheckStatus::Warn, "not found", "optional", hint),
        Found::Broken(why) => check(tool, CheckStatus::Warn, why, "optional", hint),
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

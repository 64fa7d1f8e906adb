/*!
`validate-environment`: can this machine build and run a Tasker app, and is its
database ready? Each check says what it found, what is required, and how to
fix it on Debian/Ubuntu, macOS and with Docker. A `fail` is required; a `warn`
is worth knowing. Modelled on rustup-init's `need_cmd`: check everything first,
report everything at once.
*/

mod database;
mod hints;
mod machine;

pub use database::server_checks;
pub use machine::parse_version;

use database::database_checks;
use machine::{optional_tool, port_check, protoc_check, rust_check};
use serde::Serialize;

/// Rust needed by a generated app: edition 2024 (the engine crates declare no
/// rust-version of their own).
pub const REQUIRED_RUST: (u32, u32) = (1, 85);
/// Ports the app uses: orchestration REST, worker REST, fake API.
pub const APP_PORTS: [u16; 3] = [8080, 8081, 3001];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: String,
    pub status: CheckStatus,
    pub found: String,
    pub required: String,
    pub hint: String,
}

pub(crate) fn check(
    id: &str,
    status: CheckStatus,
    found: impl Into<String>,
    required: impl Into<String>,
    hint: &str,
) -> Check {
    let hint = if status == CheckStatus::Pass {
        String::new()
    } else {
        hint.to_string()
    };
    Check {
        id: id.into(),
        status,
        found: found.into(),
        required: required.into(),
        hint,
    }
}

/// Every check, for `validate-environment`.
pub fn all_checks(database_url: Option<&str>) -> Vec<Check> {
    // The tools run side by side: each is bounded by machine::TOOL_TIMEOUT, so
    // a hanging tool costs that time once, not once per tool.
    std::thread::scope(|scope| {
        let rustc = scope.spawn(|| rust_check("rustc"));
        let cargo = scope.spawn(|| rust_check("cargo"));
        let protoc = scope.spawn(protoc_check);
        let docker = scope.spawn(|| optional_tool("docker", &["--version"], hints::DOCKER));
        let git = scope.spawn(|| optional_tool("git", &["--version"], hints::GIT));
        let tasker_ctl =
            scope.spawn(|| optional_tool("tasker-ctl", &["--version"], hints::TASKER_CTL));
        let database = database_checks(database_url);
        let join = |h: std::thread::ScopedJoinHandle<'_, Check>| {
            h.join().expect("a tool check does not panic")
        };
        let mut checks = vec![join(rustc), join(cargo), join(protoc)];
        checks.extend(database);
        checks.extend(APP_PORTS.iter().map(|p| port_check(*p)));
        checks.push(join(docker));
        checks.push(join(git));
        checks.push(join(tasker_ctl));
        checks
    })
}

/// The checks that matter before build prepares a database.
pub fn checks_for_build(database_url: Option<&str>) -> Vec<Check> {
    match database_url {
        Some(url) => database_checks(Some(url)),
        None => Vec::new(),
    }
}

/// Runs [`checks_for_build`], prints what is not a pass, and fails with exit 4
/// when a required check failed.
pub fn preflight_for_build(database_url: &str, shell: &crate::shell::Shell) -> anyhow::Result<()> {
    let checks = checks_for_build(Some(database_url));
    let failed: Vec<&Check> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .collect();
    for c in checks.iter().filter(|c| c.status == CheckStatus::Warn) {
        shell.warn(format!("{}: {} (required: {})", c.id, c.found, c.required));
    }
    if failed.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = failed
        .iter()
        .map(|c| format!("{}: {} (required: {})", c.id, c.found, c.required))
        .collect();
    let help = failed
        .iter()
        .map(|c| format!("{}: {}", c.id, c.hint))
        .collect::<Vec<_>>()
        .join("\n      ");
    Err(crate::error::CliError::new(
        crate::error::Exit::EnvironmentNotReady,
        format!(
            "the database is not ready for the engine; nothing was applied to it:\n  {}",
            lines.join("\n  ")
        ),
    )
    .with_help(format!(
        "{help}\n      (`tasker-app validate-environment` shows every check)"
    ))
    .into())
}

/// `validate-environment` as text: one line per check with a clear mark.
pub fn render_text(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let mark = match c.status {
            CheckStatus::Pass => "✓ pass",
            CheckStatus::Warn => "! warn",
            CheckStatus::Fail => "✗ FAIL",
        };
        out.push_str(&format!("{mark}  {:<width$}  {}", c.id, c.found));
        if c.status != CheckStatus::Pass {
            out.push_str(&format!(
                "\n        {:<width$}  required: {}\n        {:<width$}  hint: {}",
                "", c.required, "", c.hint
            ));
        }
        out.push('\n');
    }
    let fails = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .count();
    let warns = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Warn)
        .count();
    out.push_str(&if fails == 0 {
        format!("ready: {} checks, {warns} warning(s)", checks.len())
    } else {
        format!("not ready: {fails} required check(s) failed, {warns} warning(s)")
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::preflight::{ServerFacts, Uuidv7};

    fn facts() -> ServerFacts {
        ServerFacts {
            version_num: 150018,
            version: "15.18".into(),
            user: "app".into(),
            superuser: false,
            can_create_schema: true,
            can_create_in_public: false,
            pgmq_available: None,
            pgmq_installed: None,
            uuidv7: Uuidv7::Missing,
            engine_migrations_applied: 0,
        }
    }

    fn status_of(checks: &[Check], id: &str) -> CheckStatus {
        checks.iter().find(|c| c.id == id).unwrap().status
    }

    #[test]
    fn versions_parse_from_tool_output() {
        assert_eq!(
            parse_version("rustc 1.95.0 (59807616e 2026-04-14)"),
            Some((1, 95))
        );
        assert_eq!(parse_version("cargo 1.85.1"), Some((1, 85)));
        assert_eq!(parse_version("libprotoc 3.21.12"), Some((3, 21)));
    }

    #[test]
    fn server_thresholds() {
        let mut f = facts();
        let c = server_checks(&f);
        assert_eq!(status_of(&c, "postgres_version"), CheckStatus::Warn);
        assert_eq!(status_of(&c, "pgmq"), CheckStatus::Fail);
        assert_eq!(status_of(&c, "uuidv7"), CheckStatus::Fail);
        assert_eq!(status_of(&c, "privileges"), CheckStatus::Fail);
        f.version_num = 140000;
        assert_eq!(
            status_of(&server_checks(&f), "postgres_version"),
            CheckStatus::Fail
        );
        f.version_num = 170002;
        f.superuser = true;
        f.pgmq_available = Some("1.13.0".into());
        let c = server_checks(&f);
        assert!(c.iter().all(|c| c.status == CheckStatus::Pass), "{c:?}");
        assert!(c.iter().all(|c| c.hint.is_empty()));
    }

    #[test]
    fn every_failing_hint_names_debian_macos_and_docker() {
        for hint in [
            hints::PROTOC,
            hints::VERSION,
            hints::PGMQ,
            hints::PRIVILEGES,
            hints::NO_URL,
            hints::DOCKER,
            hints::GIT,
            hints::RUST,
            hints::PORT,
            hints::UUIDV7,
        ] {
            assert!(
                hint.contains("Debian/Ubuntu") || hint.contains("Debian"),
                "{hint}"
            );
            assert!(hint.contains("macOS"), "{hint}");
            assert!(hint.contains("Docker") || hint.contains("docker"), "{hint}");
        }
    }
}

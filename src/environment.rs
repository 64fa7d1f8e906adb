/*!
`validate-environment`: can this machine build and run a Tasker app, and is its
database ready? Each check says what it found, what is required, and how to
fix it on Debian/Ubuntu, macOS and with Docker. A `fail` is required; a `warn`
is worth knowing. Modelled on rustup-init's `need_cmd`: check everything first,
report everything at once.
*/

use crate::db::connect;
use crate::db::preflight::{self, ServerFacts, Uuidv7};
use crate::db::url::describe;
use serde::Serialize;
use std::process::Command;

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

fn check(
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

mod hints {
    pub const RUST: &str = "Debian/Ubuntu and macOS: install rustup (https://rustup.rs), then `rustup update stable`; Docker: build in the `rust:1` image";
    pub const PROTOC: &str = "the engine crates' build script needs protoc. Debian/Ubuntu: `sudo apt-get install protobuf-compiler`; macOS: `brew install protobuf`; Docker: add `apt-get install -y protobuf-compiler` to the build image";
    pub const NO_URL: &str = "pass --database-url postgresql://USER:PASSWORD@HOST:PORT/DB or set DATABASE_URL. Debian/Ubuntu: `sudo scripts/provision-postgres.sh` prints one; macOS: `brew install postgresql@17 && brew services start postgresql@17`; Docker: `docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=postgres ghcr.io/pgmq/pg17-pgmq:latest`";
    pub const SCHEME: &str = "the engine's bootstrap accepts only URLs starting with postgresql:// (postgres:// makes it panic): write postgresql://...";
    pub const VERSION: &str = "the engine targets PostgreSQL 17+ (15 and 16 work with tasker-app's uuidv7() compat). Debian/Ubuntu: PostgreSQL 17 from the PGDG apt repository (apt.postgresql.org); macOS: `brew install postgresql@17`; Docker: `docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=postgres ghcr.io/pgmq/pg17-pgmq:latest`";
    pub const PGMQ: &str = "the engine's migrations run CREATE EXTENSION pgmq. Debian/Ubuntu: `sudo scripts/provision-postgres.sh` installs it from the PyPI package pgmq; macOS: build it from source (https://github.com/pgmq/pgmq) against Homebrew's PostgreSQL; Docker: use the image ghcr.io/pgmq/pg17-pgmq, which has it";
    pub const UUIDV7: &str = "on PostgreSQL 15-17 tasker-app creates public.uuidv7(), which needs CREATE on schema public: connect as a superuser or the database owner, or `GRANT CREATE ON SCHEMA public TO <role>`. Debian/Ubuntu: `sudo -u postgres psql -d DB -c \"GRANT CREATE ON SCHEMA public TO <role>\"`; macOS: the same with `psql -d DB`; Docker: a PostgreSQL 18 pgmq image has uuidv7() built in, and with the image's superuser tasker-app installs the function on 17";
    pub const PRIVILEGES: &str = "the engine's migrations create extensions and an event trigger, which needs a superuser. Use the postgres role (Debian/Ubuntu: `sudo -u postgres psql -c \"ALTER ROLE <you> SUPERUSER\"`; macOS: your Homebrew user is a superuser; Docker: the POSTGRES_USER of the image is one), or have an administrator run `tasker-app install-database-objects` once";
    pub const PORT: &str = "another program listens on this port; stop it (Debian/Ubuntu and macOS: `lsof -i :PORT` shows which), or change the app's port in config/tasker/*.toml; Docker: publish the app on another host port (-p OTHER:PORT)";
    pub const DOCKER: &str = "optional (docker-compose.yml of the app). Debian/Ubuntu: `sudo apt-get install docker.io docker-compose-v2`; macOS: install Docker Desktop or `brew install colima docker`";
    pub const GIT: &str = "optional. Debian/Ubuntu: `sudo apt-get install git`; macOS: `xcode-select --install` or `brew install git`; Docker: `apt-get install -y git` in the image";
}

/// Every check, for `validate-environment`.
pub fn all_checks(database_url: Option<&str>) -> Vec<Check> {
    let mut checks = vec![rust_check("rustc"), rust_check("cargo"), protoc_check()];
    checks.extend(database_checks(database_url));
    checks.extend(APP_PORTS.iter().map(|p| port_check(*p)));
    checks.push(optional_tool("docker", &["--version"], hints::DOCKER));
    checks.push(optional_tool("git", &["--version"], hints::GIT));
    checks
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

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

/// `rustc 1.95.0 (59807616e 2026-04-14)` -> (1, 95).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let mut parts = word.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn rust_check(tool: &str) -> Check {
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

fn protoc_check() -> Check {
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

fn optional_tool(tool: &str, args: &[&str], hint: &str) -> Check {
    match run(tool, args) {
        Some(found) => check(tool, CheckStatus::Pass, found, "optional", hint),
        None => check(tool, CheckStatus::Warn, "not found", "optional", hint),
    }
}

fn port_check(port: u16) -> Check {
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

fn database_checks(database_url: Option<&str>) -> Vec<Check> {
    let Some(url) = database_url.filter(|u| !u.trim().is_empty()) else {
        return vec![check(
            "database",
            CheckStatus::Warn,
            "no --database-url or DATABASE_URL given",
            "reachable PostgreSQL (to prepare the database)",
            hints::NO_URL,
        )];
    };
    let mut checks = Vec::new();
    if !url.starts_with("postgresql://") {
        checks.push(check(
            "database_url",
            CheckStatus::Warn,
            "the URL does not start with postgresql://",
            "postgresql://USER:PASSWORD@HOST:PORT/DB",
            hints::SCHEME,
        ));
    }
    let required = "reachable within 10 s, login accepted";
    let mut client = match connect::connect(url) {
        Ok(c) => {
            checks.push(check(
                "database",
                CheckStatus::Pass,
                format!("connected to {}", describe(url)),
                required,
                "",
            ));
            c
        }
        Err(e) if connect::is_missing_database(&e) => {
            // The server is fine; build creates the database. Inspect the server
            // through its maintenance database instead.
            let name = url
                .parse::<postgres::Config>()
                .ok()
                .and_then(|c| c.get_dbname().map(str::to_string))
                .unwrap_or_default();
            match connect::maintenance_url(url, &name).and_then(|m| connect::connect(&m)) {
                Ok(c) => {
                    checks.push(check(
                        "database",
                        CheckStatus::Pass,
                        format!("server reachable; database `{name}` does not exist yet (tasker-app creates it)"),
                        required,
                        "",
                    ));
                    c
                }
                Err(e) => {
                    let hint = crate::error::help_of(&e)
                        .unwrap_or(hints::NO_URL)
                        .to_string();
                    checks.push(check(
                        "database",
                        CheckStatus::Fail,
                        format!("{e:#}"),
                        required,
                        &hint,
                    ));
                    return checks;
                }
            }
        }
        Err(e) => {
            let hint = crate::error::help_of(&e)
                .unwrap_or(hints::NO_URL)
                .to_string();
            checks.push(check(
                "database",
                CheckStatus::Fail,
                format!("{e:#}"),
                required,
                &hint,
            ));
            return checks;
        }
    };
    match preflight::inspect(&mut client) {
        Ok(facts) => checks.extend(server_checks(&facts)),
        Err(e) => checks.push(check(
            "server",
            CheckStatus::Fail,
            format!("cannot inspect the server: {e:#}"),
            "readable catalogs",
            hints::PRIVILEGES,
        )),
    }
    checks
}

/// Checks derived from what the server said (pure, unit-tested).
pub fn server_checks(f: &ServerFacts) -> Vec<Check> {
    let mut out = Vec::new();
    let major = f.major();
    let status = if major < 15 {
        CheckStatus::Fail
    } else if major < 17 {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    out.push(check(
        "postgres_version",
        status,
        format!("PostgreSQL {}", f.version),
        ">= 15 (17+ recommended)",
        hints::VERSION,
    ));

    let pgmq_required = "pgmq extension available (installed by the engine's migrations)";
    out.push(match (&f.pgmq_installed, &f.pgmq_available) {
        (Some(v), _) => check(
            "pgmq",
            CheckStatus::Pass,
            format!("installed, version {v}"),
            pgmq_required,
            hints::PGMQ,
        ),
        (None, Some(v)) => check(
            "pgmq",
            CheckStatus::Pass,
            format!("available, version {v}"),
            pgmq_required,
            hints::PGMQ,
        ),
        (None, None) => check(
            "pgmq",
            CheckStatus::Fail,
            "not available on this server",
            pgmq_required,
            hints::PGMQ,
        ),
    });

    let uuid_required = "uuidv7(): native (18+), pg_uuidv7, or tasker-app's compat function";
    out.push(match f.uuidv7 {
        Uuidv7::Native => check(
            "uuidv7",
            CheckStatus::Pass,
            "native uuidv7()",
            uuid_required,
            hints::UUIDV7,
        ),
        Uuidv7::Extension => check(
            "uuidv7",
            CheckStatus::Pass,
            "pg_uuidv7 extension available",
            uuid_required,
            hints::UUIDV7,
        ),
        Uuidv7::Function => check(
            "uuidv7",
            CheckStatus::Pass,
            "public.uuidv7() exists",
            uuid_required,
            hints::UUIDV7,
        ),
        Uuidv7::Missing if f.superuser || f.can_create_in_public => check(
            "uuidv7",
            CheckStatus::Pass,
            "missing; installable (tasker-app creates public.uuidv7())",
            uuid_required,
            hints::UUIDV7,
        ),
        Uuidv7::Missing => check(
            "uuidv7",
            CheckStatus::Fail,
            format!(
                "missing, and role {} cannot create it in schema public",
                f.user
            ),
            uuid_required,
            hints::UUIDV7,
        ),
    });

    let priv_required = "superuser for the engine's migrations (event trigger, extensions)";
    out.push(if f.superuser {
        check(
            "privileges",
            CheckStatus::Pass,
            format!("role {} is a superuser", f.user),
            priv_required,
            hints::PRIVILEGES,
        )
    } else if f.engine_migrations_applied > 0 && f.can_create_schema {
        check(
            "privileges",
            CheckStatus::Warn,
            format!(
                "role {} is not a superuser; {} engine migration(s) already applied",
                f.user, f.engine_migrations_applied
            ),
            priv_required,
            hints::PRIVILEGES,
        )
    } else {
        check(
            "privileges",
            CheckStatus::Fail,
            format!("role {} is not a superuser", f.user),
            priv_required,
            hints::PRIVILEGES,
        )
    });
    out
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

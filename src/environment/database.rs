//! Checks of the database: reachable, version, pgmq, uuidv7, privileges.

use super::{Check, CheckStatus, check, hints};
use crate::db::preflight::{self, ServerFacts, Uuidv7};
use crate::db::url::describe;
use crate::db::{connect, tls};

pub(super) fn database_checks(database_url: Option<&str>) -> Vec<Check> {
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
    let settings = match connect::parse(url) {
        Ok((_, settings)) => settings,
        Err(e) => {
            checks.push(unreachable(&e, required));
            return checks;
        }
    };
    let mut client = match connect::connect(url) {
        Ok(mut c) => {
            checks.push(check(
                "database",
                CheckStatus::Pass,
                format!(
                    "connected to {}; {}",
                    describe(url),
                    tls::session(&mut c, &settings)
                ),
                required,
                "",
            ));
            c
        }
        Err(e) if connect::is_missing_database(&e) => {
            // The server is fine; build creates the database. Inspect the server
            // through its maintenance database instead.
            let name = connect::parse(url)
                .ok()
                .and_then(|(c, _)| c.get_dbname().map(str::to_string))
                .unwrap_or_default();
            match connect::maintenance_url(url, &name).and_then(|m| connect::connect(&m)) {
                Ok(mut c) => {
                    checks.push(check(
                        "database",
                        CheckStatus::Pass,
                        format!(
                            "server reachable; database `{name}` does not exist yet (tasker-app creates it); {}",
                            tls::session(&mut c, &settings)
                        ),
                        required,
                        "",
                    ));
                    c
                }
                Err(e) => {
                    checks.push(unreachable(&e, required));
                    return checks;
                }
            }
        }
        Err(e) => {
            checks.push(unreachable(&e, required));
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

/// The failed `database` check for a connection error, with its own hint if it has one.
fn unreachable(e: &anyhow::Error, required: &str) -> Check {
    let hint = crate::error::help_of(e).unwrap_or(hints::NO_URL);
    check(
        "database",
        CheckStatus::Fail,
        format!("{e:#}"),
        required,
        hint,
    )
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
